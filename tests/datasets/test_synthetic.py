"""Tests of the synthetic NIR spectra generators."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skl_nirs.datasets import make_nirs_classification, make_nirs_regression
from skl_nirs.datasets._synthetic import _pure_spectra, _rngs

NO_NUISANCE = {"noise": 0.0, "scatter": 0.0, "baseline": 0.0, "shift": 0.0}
GENERATORS = [make_nirs_regression, make_nirs_classification]


def _snv(X):
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


class _MSC(TransformerMixin, BaseEstimator):
    """Multiplicative scatter correction against the mean training spectrum."""

    def fit(self, X, y=None):
        self.reference_ = X.mean(axis=0)
        return self

    def transform(self, X):
        slope, offset = np.polyfit(self.reference_, X.T, deg=1)
        return (X - offset[:, np.newaxis]) / slope[:, np.newaxis]


def _cv_rmse(model, X, y):
    cv = KFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(model, X, y, cv=cv, scoring="neg_root_mean_squared_error")
    return -scores.mean()


# --- shapes, types, determinism -------------------------------------------------


def test_regression_shapes_and_dtypes():
    X, y, wavelengths = make_nirs_regression(50, 120, random_state=0)
    assert X.shape == (50, 120)
    assert y.shape == (50,)
    assert wavelengths.shape == (120,)
    assert X.dtype == y.dtype == wavelengths.dtype == np.float64
    assert_allclose(wavelengths, np.linspace(1000, 2500, 120))


def test_regression_several_targets():
    X, y, _ = make_nirs_regression(
        30, 40, n_components=4, n_targets=3, target_noise=0.0, random_state=0
    )
    assert y.shape == (30, 3)
    # contents in percent of the first constituents: they sum to at most 100
    assert np.all(y > 0)
    assert np.all(y.sum(axis=1) < 100)


def test_classification_shapes_and_balance():
    X, y, wavelengths = make_nirs_classification(101, 80, n_classes=3, random_state=0)
    assert X.shape == (101, 80)
    assert wavelengths.shape == (80,)
    assert y.dtype.kind == "i"
    assert_array_equal(np.bincount(y), [34, 34, 33])
    # labels are shuffled, not sorted by class
    assert np.any(np.diff(y) < 0)


@pytest.mark.parametrize("generator", GENERATORS)
def test_same_seed_same_data(generator):
    first = generator(40, 60, random_state=7)
    second = generator(40, 60, random_state=7)
    for a, b in zip(first, second, strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("generator", GENERATORS)
def test_different_seeds_differ(generator):
    X0, y0, _ = generator(40, 60, random_state=0)
    X1, y1, _ = generator(40, 60, random_state=1)
    assert not np.allclose(X0, X1)
    assert not np.array_equal(y0, y1)


def test_random_state_instance_is_advanced():
    rng = np.random.RandomState(0)
    X0, _, _ = make_nirs_regression(10, 20, random_state=rng)
    X1, _, _ = make_nirs_regression(10, 20, random_state=rng)
    assert not np.allclose(X0, X1)
    X2, _, _ = make_nirs_regression(10, 20, random_state=np.random.RandomState(0))
    assert_array_equal(X0, X2)


@pytest.mark.parametrize("seed", range(3))
def test_spectra_look_like_nir_absorbance(seed):
    X, _, wavelengths = make_nirs_regression(random_state=seed)
    assert 0.0 < X.min() < 0.3
    assert 0.7 < X.max() < 2.5
    # smooth, broad bands: the second difference is small next to the signal
    assert np.abs(np.diff(X, n=2, axis=1)).max() < 0.02 * np.ptp(X)


# --- the physical model ---------------------------------------------------------


@pytest.mark.parametrize("n_components", [2, 5, 8])
def test_beer_lambert_rank_without_nuisances(n_components):
    X, y, _ = make_nirs_regression(
        60,
        300,
        n_components=n_components,
        target_noise=0.0,
        random_state=0,
        **NO_NUISANCE,
    )
    singular_values = np.linalg.svd(X, compute_uv=False)
    rank = np.sum(singular_values > 1e-10 * singular_values[0])
    assert rank == n_components
    # Beer-Lambert is linear: the content is an exact linear function of X
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    assert_allclose(X @ coef, y, atol=1e-6)


def test_constituent_spectra_do_not_depend_on_samples_or_grid():
    X_small, _, _ = make_nirs_regression(20, 50, random_state=3, **NO_NUISANCE)
    X_large, _, _ = make_nirs_regression(40, 50, random_state=3, **NO_NUISANCE)
    # the same five pure spectra span both sets of mixtures
    stacked = np.vstack([X_small, X_large])
    singular_values = np.linalg.svd(stacked, compute_uv=False)
    assert np.sum(singular_values > 1e-10 * singular_values[0]) == 5

    X_full, _, wl_full = make_nirs_regression(20, 1501, random_state=3, **NO_NUISANCE)
    X_part, _, wl_part = make_nirs_regression(
        20, 501, wavelength_range=(1500, 2000), random_state=3, **NO_NUISANCE
    )
    assert_allclose(wl_part, wl_full[500:1001])
    assert_allclose(X_part, X_full[:, 500:1001], rtol=1e-12)


def test_pure_spectra_derivative_is_exact():
    wavelengths = np.linspace(1000, 2500, 301)
    h = 1e-4
    pure, d_pure = _pure_spectra(5, wavelengths, _rngs(0)[0])
    up, _ = _pure_spectra(5, wavelengths + h, _rngs(0)[0])
    down, _ = _pure_spectra(5, wavelengths - h, _rngs(0)[0])
    assert pure.shape == d_pure.shape == (5, 301)
    assert_allclose(d_pure, (up - down) / (2 * h), atol=1e-8)


def test_noise_is_the_standard_deviation_of_the_measurement_error():
    kwargs = {**NO_NUISANCE, "random_state": 0}
    X_clean, _, _ = make_nirs_regression(400, 500, **kwargs)
    X_noisy, _, _ = make_nirs_regression(400, 500, **{**kwargs, "noise": 0.01})
    assert_allclose((X_noisy - X_clean).std(), 0.01, rtol=0.01)


def test_target_noise_is_the_reference_error():
    _, y_exact, _ = make_nirs_regression(5000, 5, target_noise=0.0, random_state=0)
    _, y_noisy, _ = make_nirs_regression(5000, 5, target_noise=0.5, random_state=0)
    assert_allclose((y_noisy - y_exact).std(), 0.5, rtol=0.05)


def test_scatter_is_multiplicative():
    kwargs = {**NO_NUISANCE, "random_state": 0}
    X_clean, _, _ = make_nirs_regression(100, 200, **kwargs)
    X_scattered, _, _ = make_nirs_regression(100, 200, **{**kwargs, "scatter": 0.2})
    ratio = X_scattered / X_clean
    # one path length per spectrum, the same at every wavelength
    assert_allclose(ratio, ratio[:, :1] * np.ones_like(ratio))
    assert_allclose(np.log(ratio[:, 0]).std(), 0.2, rtol=0.2)
    # so SNV removes it exactly
    assert_allclose(_snv(X_scattered), _snv(X_clean), atol=1e-10)


def test_baseline_is_an_offset_plus_a_slope():
    kwargs = {**NO_NUISANCE, "random_state": 0}
    X_clean, _, wavelengths = make_nirs_regression(100, 200, **kwargs)
    X_base, _, _ = make_nirs_regression(100, 200, **{**kwargs, "baseline": 0.1})
    difference = X_base - X_clean
    slope, offset = np.polyfit((wavelengths - 1000) / 1500, difference.T, deg=1)
    assert_allclose(
        difference,
        offset[:, None] + slope[:, None] * (wavelengths - 1000) / 1500,
        atol=1e-12,
    )
    assert np.all((0.1 <= offset) & (offset <= 0.3))
    assert np.all(np.abs(slope) <= 0.05)


def test_shift_moves_bands_along_the_wavelength_axis():
    kwargs = {**NO_NUISANCE, "random_state": 0}
    X_clean, _, wavelengths = make_nirs_regression(200, 700, **kwargs)
    X_shifted, _, _ = make_nirs_regression(200, 700, **{**kwargs, "shift": 1.0})
    # first order: X_shifted = X_clean - delta * dX/dlambda, one delta per sample
    gradient = np.gradient(X_clean, wavelengths, axis=1)
    delta = -np.sum((X_shifted - X_clean) * gradient, axis=1) / np.sum(
        gradient**2, axis=1
    )
    assert_allclose(delta.std(), 1.0, rtol=0.15)
    residual = X_shifted - X_clean + delta[:, None] * gradient
    assert np.abs(residual).max() < 0.05 * np.abs(X_shifted - X_clean).max()


# --- what the nuisances are for: scatter correction must pay off ---------------


@pytest.mark.parametrize("seed", range(4))
def test_scatter_correction_helps_pls(seed):
    X, y, _ = make_nirs_regression(random_state=seed)
    raw = _cv_rmse(PLSRegression(n_components=10), X, y)
    snv = _cv_rmse(
        make_pipeline(FunctionTransformer(_snv), PLSRegression(n_components=10)),
        X,
        y,
    )
    msc = _cv_rmse(make_pipeline(_MSC(), PLSRegression(n_components=10)), X, y)
    assert snv < 0.8 * raw
    assert msc < 0.8 * raw


def test_scatter_correction_does_not_help_without_scatter():
    X, y, _ = make_nirs_regression(scatter=0.0, baseline=0.0, random_state=0)
    raw = _cv_rmse(PLSRegression(n_components=10), X, y)
    snv = _cv_rmse(
        make_pipeline(FunctionTransformer(_snv), PLSRegression(n_components=10)),
        X,
        y,
    )
    assert raw < snv


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_classification_is_neither_trivial_nor_hopeless(seed):
    model = make_pipeline(PCA(10), LinearDiscriminantAnalysis())
    cv = StratifiedKFold(5, shuffle=True, random_state=0)

    def accuracy(**kwargs):
        X, y, _ = make_nirs_classification(
            n_wavelengths=200, random_state=seed, **kwargs
        )
        return cross_val_score(model, X, y, cv=cv).mean()

    assert 0.7 < accuracy() < 0.95
    assert accuracy(class_sep=0.0) < 0.6
    assert accuracy(class_sep=3.0) > 0.95


# --- pandas output --------------------------------------------------------------


def test_regression_as_frame():
    pd = pytest.importorskip("pandas")
    X_frame, y_frame, wavelengths = make_nirs_regression(
        20, 30, random_state=0, as_frame=True
    )
    X, y, _ = make_nirs_regression(20, 30, random_state=0)
    assert isinstance(X_frame, pd.DataFrame)
    assert isinstance(y_frame, pd.Series)
    assert_array_equal(X_frame.columns.astype(float), wavelengths)
    assert list(X_frame.columns) == [str(w) for w in wavelengths]
    assert y_frame.name == "target"
    assert_array_equal(X_frame.to_numpy(), X)
    assert_array_equal(y_frame.to_numpy(), y)

    _, Y_frame, _ = make_nirs_regression(
        20, 30, n_targets=2, random_state=0, as_frame=True
    )
    assert isinstance(Y_frame, pd.DataFrame)
    assert list(Y_frame.columns) == ["target_0", "target_1"]


def test_classification_as_frame():
    pd = pytest.importorskip("pandas")
    X_frame, y_frame, wavelengths = make_nirs_classification(
        20, 30, random_state=0, as_frame=True
    )
    _, y, _ = make_nirs_classification(20, 30, random_state=0)
    assert isinstance(X_frame, pd.DataFrame)
    assert_array_equal(X_frame.columns.astype(float), wavelengths)
    assert isinstance(y_frame, pd.Series)
    assert_array_equal(y_frame.to_numpy(), y)


# --- errors ---------------------------------------------------------------------


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_samples": 0}, "'n_samples' parameter of make_nirs_"),
        ({"n_samples": 2.5}, "'n_samples' parameter"),
        ({"n_wavelengths": 0}, "'n_wavelengths' parameter"),
        ({"n_components": 1}, "'n_components' parameter"),
        ({"noise": -1.0}, "'noise' parameter"),
        ({"scatter": -0.1}, "'scatter' parameter"),
        ({"baseline": -0.1}, "'baseline' parameter"),
        ({"shift": -1}, "'shift' parameter"),
        ({"random_state": "seed"}, "'random_state' parameter"),
        ({"as_frame": "yes"}, "'as_frame' parameter"),
        ({"wavelength_range": 1000}, "'wavelength_range' parameter"),
        ({"wavelength_range": (1000, 2000, 2500)}, "'wavelength_range' parameter"),
        ({"wavelength_range": ("a", "b")}, "'wavelength_range' parameter"),
        ({"wavelength_range": (2500, 1000)}, r"'wavelength_range'.*0 < low < high"),
        ({"wavelength_range": (0, 1000)}, r"'wavelength_range'.*0 < low < high"),
        ({"wavelength_range": (1000, np.inf)}, r"'wavelength_range'.*0 < low"),
    ],
)
def test_invalid_common_parameters(generator, params, match):
    with pytest.raises(ValueError, match=match):
        generator(**params)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_targets": 0}, "'n_targets' parameter of make_nirs_regression"),
        ({"n_targets": 6}, "'n_targets' parameter must be at most n_components=5"),
        ({"target_noise": -1.0}, "'target_noise' parameter"),
    ],
)
def test_invalid_regression_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        make_nirs_regression(**params)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_classes": 1}, "'n_classes' parameter of make_nirs_classification"),
        ({"n_samples": 3, "n_classes": 4}, "'n_classes' parameter must be at most"),
        ({"class_sep": -1.0}, "'class_sep' parameter"),
    ],
)
def test_invalid_classification_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        make_nirs_classification(**params)


def test_parameters_are_keyword_only():
    with pytest.raises(TypeError, match="positional"):
        make_nirs_regression(10, 20, 3)


def test_frame_wavelength_names_survive_preprocessing():
    pytest.importorskip("pandas")
    from sklearn.pipeline import make_pipeline

    from skl_nirs.feature_selection import RangeCut
    from skl_nirs.preprocessing import StandardNormalVariate

    X, _, wavelengths = make_nirs_regression(10, 50, random_state=0, as_frame=True)
    pipe = make_pipeline(
        RangeCut(1200, 2000, by="wavelength"), StandardNormalVariate()
    ).set_output(transform="pandas")
    out = pipe.fit_transform(X)
    kept = wavelengths[(wavelengths >= 1200) & (wavelengths <= 2000)]
    assert list(out.columns) == [str(w) for w in kept]
    assert list(pipe.get_feature_names_out()) == list(out.columns)
