"""Gaussian smoothing checked against scipy.ndimage and a hand-built kernel."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.ndimage import gaussian_filter1d

from skl_nirs.preprocessing import GaussianFilter


@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(sigma=2.5),
        dict(sigma=1.5, order=1),
        dict(sigma=3.0, order=2, mode="nearest"),
        dict(sigma=0.7, mode="constant", truncate=2.0),
        dict(sigma=4.0, mode="wrap"),
        dict(sigma=2.0, mode="mirror"),
    ],
)
def test_gaussian_filter_matches_scipy_row_by_row(spectra, params):
    X, _ = spectra
    expected = np.vstack([gaussian_filter1d(x, **{"sigma": 1.0, **params}) for x in X])
    assert_allclose(GaussianFilter(**params).fit_transform(X), expected, rtol=1e-12)


def test_gaussian_filter_hand_built_kernel():
    X = np.array([[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]])
    # sigma=1, truncate=2: weights exp(-k**2 / 2) for k = -2..2, normalised.
    weights = np.exp(-(np.arange(-2, 3) ** 2) / 2.0)
    weights /= weights.sum()
    expected = np.concatenate([[0.0], weights, [0.0]])[None]
    X_new = GaussianFilter(sigma=1.0, truncate=2.0).fit_transform(X)
    assert_allclose(X_new, expected)


def test_gaussian_filter_keeps_a_line_inside_and_its_slope():
    X = (0.5 * np.arange(50.0) + 2.0)[None]
    assert_allclose(GaussianFilter(sigma=2.0).fit_transform(X)[0, 10:-10], X[0, 10:-10])
    slope = GaussianFilter(sigma=2.0, order=1).fit_transform(X)
    # The derivative kernel, cut at 4 sigma, is short of its full moment.
    assert_allclose(slope[0, 10:-10], 0.5, rtol=1e-3)


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(sigma=0.0), "sigma"),
        (dict(order=-1), "order"),
        (dict(mode="interp"), "mode"),
        (dict(truncate=0), "truncate"),
    ],
)
def test_invalid_parameters_raise(spectra, params, name):
    X, _ = spectra
    with pytest.raises(ValueError, match=f"The '{name}' parameter of GaussianFilter"):
        GaussianFilter(**params).fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(sigma=1.0, truncate=1e9), r"sigma \* truncate = 1 \* 1e\+09 = 1e\+09"),
        (dict(sigma=1e9), r"sigma \* truncate = 1e\+09 \* 4 = 4e\+09"),
        (dict(sigma=1e300, truncate=1e300), r"= inf"),
        (dict(sigma=60.25, truncate=4.0), r"sigma \* truncate = 60.25 \* 4 = 241"),
    ],
)
def test_kernel_reaching_beyond_four_spectra_raises(spectra, params, message):
    # Before: sigma=1, truncate=1e9 built a 15 GiB kernel and was killed.
    X, _ = spectra
    message += (
        r": the filter reaches that many wavelengths on each side of a point, "
        r"more than 4 times the number of wavelengths, n_features=60 "
        r"\(at most 240\)\. Use a smaller sigma or truncate\."
    )
    with pytest.raises(ValueError, match=message):
        GaussianFilter(**params).fit(X)


def test_kernel_reaching_four_spectra_works(spectra):
    X, _ = spectra
    X_new = GaussianFilter(sigma=60.0, truncate=4.0).fit_transform(X)
    expected = gaussian_filter1d(X, 60.0, axis=1, truncate=4.0)
    assert_allclose(X_new, expected)


def test_derivative_order_not_below_number_of_wavelengths_raises(spectra):
    # Before: order=10**5 built a (10**5 + 1)**2 matrix (80 GB).
    X, _ = spectra
    with pytest.raises(
        ValueError,
        match=r"order=60 must be less than the number of wavelengths, n_features=60",
    ):
        GaussianFilter(order=60).fit(X)
    GaussianFilter(order=59, sigma=0.5, truncate=120.0).fit(X)


def test_float32_is_preserved(spectra):
    X, _ = spectra
    X_new = GaussianFilter(sigma=2.0).fit_transform(X.astype(np.float32))
    assert X_new.dtype == np.float32
    assert_allclose(X_new, GaussianFilter(sigma=2.0).fit_transform(X), rtol=1e-5)


def test_pandas_output_keeps_wavelength_names(spectra):
    X, _ = spectra
    columns = [f"{1100 + 10 * i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    X_new = GaussianFilter().set_output(transform="pandas").fit_transform(frame)
    assert list(X_new.columns) == columns
    assert_allclose(X_new.to_numpy(), GaussianFilter().fit_transform(X))
