"""Baselines checked against np.polyfit and a sparse spsolve implementation."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from scipy.sparse.linalg import spsolve

from skl_nirs.preprocessing import AsymmetricLeastSquares, Detrend, _baseline
from skl_nirs.preprocessing._baseline import _second_difference_bands


@pytest.mark.parametrize("order", [0, 1, 2, 3, 5])
def test_detrend_matches_polyfit_per_row(spectra, order):
    X, _ = spectra
    index = np.arange(X.shape[1])
    expected = np.vstack(
        [x - np.polyval(np.polyfit(index, x, order), index) for x in X]
    )
    assert_allclose(Detrend(order=order).fit_transform(X), expected, atol=1e-12)


def test_detrend_hand_worked_example():
    # Least-squares line of 1, 3, 3, 7 over 0..3: 0.8 + 1.8 i.
    X = np.array([[1.0, 3.0, 3.0, 7.0]])
    assert_allclose(Detrend(order=1).fit_transform(X), [[0.2, 0.4, -1.4, 0.8]])


def test_detrend_removes_added_polynomials(spectra):
    X, _ = spectra
    index = np.arange(X.shape[1], dtype=float)
    trend = np.random.RandomState(2).normal(size=(X.shape[0], 3)) @ np.vstack(
        [index**0, index, index**2]
    )
    detrend = Detrend(order=2)
    assert_allclose(detrend.fit_transform(X + trend), detrend.fit_transform(X))


@pytest.mark.parametrize("n_features", [1, 2, 3])
def test_detrend_with_fewer_wavelengths_than_terms_gives_zeros(n_features):
    X = np.random.RandomState(0).normal(size=(4, n_features))
    assert_allclose(Detrend(order=2).fit_transform(X), 0.0, atol=1e-12)


def test_detrend_of_huge_order_allocates_one_spectrum_of_terms(spectra):
    # Before: a Vandermonde matrix of 60 x (10**9 + 1) values (480 GB).
    X, _ = spectra
    assert_allclose(Detrend(order=10**9).fit_transform(X), 0.0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_detrend_near_the_largest_float(spectra, dtype):
    # Before: the sums of the polynomial coefficients overflowed to NaN.
    X, _ = spectra
    X = (X / X.max()).astype(dtype)
    factor = dtype(0.95) * np.finfo(dtype).max
    X_new = Detrend(order=2).fit_transform(X * factor)
    expected = Detrend(order=2).fit_transform(X)
    rtol = 1e-9 if dtype == np.float64 else 1e-3
    assert X_new.dtype == dtype
    assert_allclose(X_new / factor, expected, rtol=rtol, atol=rtol * 1e-2)


def test_detrend_invalid_order_raises(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match="The 'order' parameter of Detrend"):
        Detrend(order=1.5).fit(X)


def _dense_second_difference_gram(n):
    D = np.diff(np.eye(n), 2, axis=0)
    return D.T @ D


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 9])
def test_second_difference_bands_match_dense_product(n):
    bands = _second_difference_bands(n)
    gram = _dense_second_difference_gram(n)
    assert_allclose(bands[2], np.diag(gram))
    assert_allclose(bands[1, 1:], np.diag(gram, 1))
    assert_allclose(bands[0, 2:], np.diag(gram, 2))
    assert_allclose(bands[1, :1], 0.0)
    assert_allclose(bands[0, :2], 0.0)


def _eilers_als(x, lam, p, n_iter):
    """Eilers and Boelens' algorithm, one spectrum, sparse spsolve."""
    n = len(x)
    D = sparse.diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(n - 2, n))
    penalty = lam * (D.T @ D)
    w = np.ones(n)
    for _ in range(n_iter):
        z = spsolve(sparse.csc_matrix(sparse.diags(w) + penalty), w * x)
        w = np.where(x > z, p, 1.0 - p)
    return z


@pytest.mark.parametrize(
    "lam, p, n_iter", [(1e5, 0.01, 10), (1e2, 0.1, 3), (1e7, 0.001, 20)]
)
def test_als_matches_eilers_sparse_algorithm(spectra, lam, p, n_iter):
    X, _ = spectra
    X_new = AsymmetricLeastSquares(lam=lam, p=p, n_iter=n_iter).fit_transform(X)
    expected = np.vstack([x - _eilers_als(x, lam, p, n_iter) for x in X])
    # Banded Cholesky and sparse LU round differently on systems with
    # condition numbers up to about lam * 16 / p.
    assert_allclose(X_new, expected, rtol=1e-6, atol=1e-7)


def test_als_block_systems_do_not_interact(spectra, monkeypatch):
    X, _ = spectra
    transformer = AsymmetricLeastSquares(lam=1e4, p=0.02)
    one_by_one = np.vstack([transformer.fit_transform(x[None]) for x in X])
    # Chunks of 3 spectra, the last one shorter.
    monkeypatch.setattr(_baseline, "_ALS_CHUNK_VALUES", 3 * X.shape[1])
    assert_allclose(transformer.fit_transform(X), one_by_one, rtol=1e-12, atol=1e-14)


def test_als_removes_a_smooth_baseline_under_peaks():
    grid = np.linspace(0.0, 1.0, 300)
    peaks = np.exp(-(((grid - np.array([[0.3], [0.7]])) / 0.02) ** 2)).sum(axis=0)
    baselines = np.vstack([1.0 + 2.0 * grid, 0.5 + np.sin(3.0 * grid)])
    X = baselines + peaks
    X_new = AsymmetricLeastSquares(lam=1e4, p=0.001, n_iter=20).fit_transform(X)
    assert_allclose(X_new, np.tile(peaks, (2, 1)), atol=0.02)


@pytest.mark.parametrize("n_features", [1, 2])
def test_als_without_second_differences_keeps_the_spectrum_as_baseline(n_features):
    X = np.random.RandomState(0).normal(size=(3, n_features))
    assert_allclose(AsymmetricLeastSquares().fit_transform(X), 0.0, atol=1e-12)


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(lam=0.0), "lam"),
        (dict(p=1.0), "p"),
        (dict(p=0), "p"),
        (dict(n_iter=0), "n_iter"),
    ],
)
def test_als_invalid_parameters_raise(spectra, params, name):
    X, _ = spectra
    with pytest.raises(
        ValueError, match=f"The '{name}' parameter of AsymmetricLeastSquares"
    ):
        AsymmetricLeastSquares(**params).fit(X)


@pytest.mark.parametrize("Transformer", [Detrend, AsymmetricLeastSquares])
def test_float32_is_preserved(spectra, Transformer):
    X, _ = spectra
    X_new = Transformer().fit_transform(X.astype(np.float32))
    assert X_new.dtype == np.float32
    assert_allclose(X_new, Transformer().fit_transform(X), atol=1e-5)


@pytest.mark.parametrize("Transformer", [Detrend, AsymmetricLeastSquares])
def test_pandas_output_keeps_wavelength_names(spectra, Transformer):
    X, _ = spectra
    columns = [f"{1100 + 10 * i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    X_new = Transformer().set_output(transform="pandas").fit_transform(frame)
    assert list(X_new.columns) == columns
    assert_allclose(X_new.to_numpy(), Transformer().fit_transform(X))
