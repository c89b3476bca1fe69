"""Scatter corrections checked against closed forms, np.polyfit and np.linalg.lstsq."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from skl_nirs.exceptions import FlatSpectrumWarning
from skl_nirs.preprocessing import (
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    RobustNormalVariate,
    StandardNormalVariate,
)

SCATTER = [
    StandardNormalVariate,
    RobustNormalVariate,
    MultiplicativeScatterCorrection,
    ExtendedMultiplicativeScatterCorrection,
]


def test_snv_matches_closed_form(spectra):
    X, _ = spectra
    expected = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    assert_allclose(StandardNormalVariate().fit_transform(X), expected, rtol=1e-12)


def test_snv_hand_worked_example():
    X = np.array([[1.0, 2.0, 3.0]])
    # mean 2, population std sqrt(2/3)
    expected = np.array([[-1.0, 0.0, 1.0]]) / np.sqrt(2.0 / 3.0)
    assert_allclose(StandardNormalVariate().fit_transform(X), expected)


def test_snv_rows_have_zero_mean_and_unit_std(spectra):
    X, _ = spectra
    X_new = StandardNormalVariate().fit_transform(X * 7.0 + 3.0)
    assert_allclose(X_new.mean(axis=1), 0.0, atol=1e-12)
    assert_allclose(X_new.std(axis=1), 1.0)


@pytest.mark.parametrize("value", [0.0, 0.1, -3.7, 1e6])
def test_snv_flat_spectrum_is_only_centred(spectra, value):
    X, _ = spectra
    X = X.copy()
    X[5] = value  # the mean of 60 copies of 0.1 is not exactly 0.1
    with pytest.warns(FlatSpectrumWarning, match=r"at rows \[5\]: they are set"):
        X_new = StandardNormalVariate().fit_transform(X)
    assert np.all(np.isfinite(X_new))
    assert_allclose(X_new[5], 0.0, atol=1e-9 * max(1.0, abs(value)))
    others = np.delete(np.arange(X.shape[0]), 5)
    assert_allclose(X_new[others].std(axis=1), 1.0)


def test_rnv_matches_percentile_formula(spectra):
    X, _ = spectra
    q1, median, q3 = np.percentile(X, [25, 50, 75], axis=1, keepdims=True)
    expected = (X - median) / (q3 - q1)
    assert_allclose(RobustNormalVariate().fit_transform(X), expected, rtol=1e-12)


def test_rnv_hand_worked_example():
    # Sorted values 1, 2, 3, 4, 100: median 3, Q1 2, Q3 4 (linear, type 7).
    X = np.array([[4.0, 100.0, 1.0, 3.0, 2.0]])
    expected = np.array([[0.5, 48.5, -1.0, 0.0, -0.5]])
    assert_allclose(RobustNormalVariate().fit_transform(X), expected)


def test_rnv_ignores_a_spike_that_moves_snv(spectra):
    X, _ = spectra
    rows, peaks = np.arange(X.shape[0]), X.argmax(axis=1)
    X_spike = X.copy()
    X_spike[rows, peaks] += 50.0  # the largest value only grows: same quartiles
    others = np.ones_like(X, dtype=bool)
    others[rows, peaks] = False
    rnv, snv = RobustNormalVariate(), StandardNormalVariate()
    assert_allclose(
        rnv.fit_transform(X_spike)[others], rnv.fit_transform(X)[others], rtol=1e-12
    )
    snv_change = snv.fit_transform(X_spike)[others] - snv.fit_transform(X)[others]
    assert np.abs(snv_change).max() > 1.0


@pytest.mark.parametrize(
    "row", [[2.0] * 7, [0.0] * 7, [1.0, 1.0, 1.0, 1.0, 1.0, 5.0, -3.0]]
)
def test_rnv_zero_iqr_is_only_centred(row):
    X = np.array([row, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]])
    with pytest.warns(FlatSpectrumWarning, match="interquartile range zero"):
        X_new = RobustNormalVariate().fit_transform(X)
    assert np.all(np.isfinite(X_new))
    assert_allclose(X_new[0], np.array(row) - np.median(row))
    assert_allclose(X_new[1], (X[1] - 4.0) / 3.0)


def _polyfit_msc(X, reference):
    corrected = np.empty_like(X)
    for i, x in enumerate(X):
        slope, offset = np.polyfit(reference, x, 1)
        corrected[i] = (x - offset) / slope
    return corrected


@pytest.mark.parametrize("reference", ["mean", "median"])
def test_msc_matches_polyfit(spectra, reference):
    X, _ = spectra
    msc = MultiplicativeScatterCorrection(reference=reference).fit(X)
    expected_reference = X.mean(axis=0) if reference == "mean" else np.median(X, 0)
    assert_allclose(msc.reference_, expected_reference)
    assert_allclose(msc.transform(X), _polyfit_msc(X, expected_reference), rtol=1e-10)


def test_msc_user_reference_and_new_data(spectra):
    X, _ = spectra
    reference = X[:20].mean(axis=0) + 0.05
    msc = MultiplicativeScatterCorrection(reference=list(reference)).fit(X[:20])
    assert_array_equal(msc.reference_, reference)
    assert_allclose(msc.transform(X[20:]), _polyfit_msc(X[20:], reference), rtol=1e-10)


def test_msc_recovers_reference_from_scattered_copies():
    reference = np.array([1.0, 2.0, 4.0, 3.0])
    X = np.array([0.5 + 2.0 * reference, -1.0 + 0.5 * reference, reference])
    X_new = MultiplicativeScatterCorrection(reference=reference).fit_transform(X)
    assert_allclose(X_new, np.tile(reference, (3, 1)))


@pytest.mark.parametrize("value", [0.0, 0.1, 2.5])
def test_msc_flat_spectrum_is_only_offset_corrected(spectra, value):
    X, _ = spectra
    msc = MultiplicativeScatterCorrection().fit(X)
    X_flat = np.vstack([np.full(X.shape[1], value), X[0]])
    with pytest.warns(FlatSpectrumWarning, match="only offset-corrected"):
        X_new = msc.transform(X_flat)
    # b = 1: x - a with a = mean(x) - mean(reference)
    assert np.all(np.isfinite(X_new))
    assert_allclose(X_new[0], msc.reference_.mean())
    assert_allclose(X_new[1], _polyfit_msc(X[:1], msc.reference_)[0])


def test_msc_spectrum_orthogonal_to_reference_keeps_slope_one():
    reference = np.array([1.0, 2.0, 4.0, 3.0])
    x = np.array([1.0, -1.0, 1.0, -1.0])  # centred, and x . (reference - 2.5) = 0
    msc = MultiplicativeScatterCorrection(reference=reference).fit(reference[None])
    with pytest.warns(FlatSpectrumWarning, match="uncorrelated with the reference"):
        assert_allclose(msc.transform(x[None])[0], x + 2.5)


def test_msc_reference_of_wrong_length_raises(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match=r"reference has shape \(59,\).*\(60,\)"):
        MultiplicativeScatterCorrection(reference=X[0, 1:]).fit(X)
    with pytest.raises(ValueError, match=r"reference has shape \(1, 60\)"):
        MultiplicativeScatterCorrection(reference=X[:1]).fit(X)


def test_msc_reference_with_nan_raises(spectra):
    X, _ = spectra
    reference = X[0].copy()
    reference[3] = np.nan
    with pytest.raises(ValueError, match="Input reference contains NaN"):
        MultiplicativeScatterCorrection(reference=reference).fit(X)


def test_msc_constant_reference_raises(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match="The reference spectrum is constant"):
        MultiplicativeScatterCorrection(reference=np.full(60, 0.3)).fit(X)
    with pytest.raises(ValueError, match="The reference spectrum is constant"):
        MultiplicativeScatterCorrection().fit(np.tile([[1.0], [2.0]], (1, 5)))


def test_msc_single_wavelength_raises():
    with pytest.raises(ValueError, match="at least 2 wavelengths.*n_features=1"):
        MultiplicativeScatterCorrection().fit(np.ones((4, 1)))


@pytest.mark.parametrize("reference", ["average", 3.0])
def test_msc_invalid_reference_parameter_raises(spectra, reference):
    X, _ = spectra
    with pytest.raises(ValueError, match="The 'reference' parameter of"):
        MultiplicativeScatterCorrection(reference=reference).fit(X)


def _lstsq_emsc(X, reference, order):
    """EMSC with the raw design matrix [reference, 1, i, i**2, ...]."""
    index = np.arange(X.shape[1], dtype=float)
    design = np.column_stack([reference] + [index**k for k in range(order + 1)])
    coef, *_ = np.linalg.lstsq(design, X.T, rcond=None)
    baseline = design[:, 1:] @ coef[1:]
    return (X - baseline.T) / coef[0][:, np.newaxis]


@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_emsc_matches_lstsq_with_design_matrix(spectra, order):
    X, _ = spectra
    emsc = ExtendedMultiplicativeScatterCorrection(order=order).fit(X)
    assert_allclose(emsc.reference_, X.mean(axis=0))
    expected = _lstsq_emsc(X, emsc.reference_, order)
    assert_allclose(emsc.transform(X), expected, rtol=1e-8, atol=1e-10)


def test_emsc_of_order_zero_is_msc(spectra):
    X, _ = spectra
    assert_allclose(
        ExtendedMultiplicativeScatterCorrection(order=0).fit_transform(X),
        MultiplicativeScatterCorrection().fit_transform(X),
        rtol=1e-12,
    )


def test_emsc_removes_scatter_and_polynomial_baselines(spectra):
    X, _ = spectra
    reference = X[0]
    grid = np.linspace(0.0, 1.0, X.shape[1])
    rng = np.random.RandomState(1)
    slopes = rng.uniform(0.5, 2.0, size=(10, 1))
    coef = rng.normal(size=(10, 3))
    X_bad = slopes * reference + coef @ np.vstack([grid**0, grid, grid**2])
    emsc = ExtendedMultiplicativeScatterCorrection(order=2, reference=reference)
    assert_allclose(emsc.fit_transform(X_bad), np.tile(reference, (10, 1)))


def test_emsc_flat_spectrum_is_only_baseline_corrected(spectra):
    X, _ = spectra
    emsc = ExtendedMultiplicativeScatterCorrection(order=2).fit(X)
    with pytest.warns(FlatSpectrumWarning, match="only baseline-corrected"):
        X_new = emsc.transform(np.full((2, X.shape[1]), 0.1))
    # b = 1: x - baseline, the baseline fitted to x - reference, so a flat
    # spectrum becomes the polynomial part of the reference.
    index = np.arange(X.shape[1])
    expected = np.polyval(np.polyfit(index, emsc.reference_, 2), index)
    assert np.all(np.isfinite(X_new))
    assert_allclose(X_new, np.tile(expected, (2, 1)))


def test_emsc_too_few_wavelengths_raises():
    with pytest.raises(ValueError, match="order=2 fits order \\+ 2 = 4 .*n_features=3"):
        ExtendedMultiplicativeScatterCorrection(order=2).fit(np.eye(3))


def test_emsc_polynomial_reference_raises(spectra):
    X, _ = spectra
    parabola = np.linspace(-1.0, 1.0, X.shape[1]) ** 2 + 0.5
    with pytest.raises(ValueError, match="polynomial of degree at most order=2"):
        ExtendedMultiplicativeScatterCorrection(order=2, reference=parabola).fit(X)
    # With a linear baseline only, the parabola is a valid reference.
    ExtendedMultiplicativeScatterCorrection(order=1, reference=parabola).fit(X)


def test_emsc_reference_of_wrong_length_raises(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match=r"reference has shape \(3,\)"):
        ExtendedMultiplicativeScatterCorrection(reference=[1.0, 2.0, 3.0]).fit(X)


def test_emsc_invalid_order_raises(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match="The 'order' parameter of"):
        ExtendedMultiplicativeScatterCorrection(order=-1).fit(X)


@pytest.mark.parametrize("Transformer", SCATTER)
def test_float32_is_preserved(spectra, Transformer):
    X, _ = spectra
    X32 = X.astype(np.float32)
    transformer = Transformer().fit(X32)
    X_new = transformer.transform(X32)
    assert X_new.dtype == np.float32
    if hasattr(transformer, "reference_"):
        assert transformer.reference_.dtype == np.float32
    assert_allclose(X_new, Transformer().fit_transform(X), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("Transformer", SCATTER)
def test_pandas_output_keeps_wavelength_names(spectra, Transformer):
    X, _ = spectra
    columns = [f"{1100 + 10 * i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    X_new = Transformer().set_output(transform="pandas").fit_transform(frame)
    assert list(X_new.columns) == columns
    assert_allclose(X_new.to_numpy(), Transformer().fit_transform(X))


# Scale-invariant transformers give the same spectra at any scale (SNV, RNV)
# or spectra scaled with the input (MSC, EMSC, whose reference scales too).
SCALES_OUTPUT = {
    StandardNormalVariate: False,
    RobustNormalVariate: False,
    MultiplicativeScatterCorrection: True,
    ExtendedMultiplicativeScatterCorrection: True,
}


def _assert_scale_invariant(Transformer, X, factor, rtol):
    expected = Transformer().fit_transform(X)
    X_new = Transformer().fit_transform(X * factor)
    if SCALES_OUTPUT[Transformer]:
        X_new = X_new / factor
    assert X_new.dtype == X.dtype
    atol = rtol * np.abs(expected).max()
    assert_allclose(X_new, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("Transformer", SCATTER)
@pytest.mark.parametrize(
    "dtype, factor, rtol",
    [
        (np.float64, 1e300, 1e-10),
        (np.float64, 1e-300, 1e-10),
        (np.float32, 1e35, 1e-4),
        (np.float32, 1e-35, 1e-4),
    ],
)
def test_extreme_magnitudes_give_the_result_at_magnitude_one(
    spectra, Transformer, dtype, factor, rtol
):
    # Before: SNV gave zeros (x 1e300) or unscaled spectra (x 1e-300), MSC and
    # EMSC called the reference constant. (RNV already passed at these scales.)
    X, _ = spectra
    _assert_scale_invariant(Transformer, X.astype(dtype), dtype(factor), rtol)


@pytest.mark.parametrize("Transformer", SCATTER)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_spectra_spanning_the_whole_range_of_the_dtype(spectra, Transformer, dtype):
    # Each spectrum mapped onto [-1, 1], then up to 0.95 times the largest
    # float (less for MSC and EMSC if their output would not fit): sums,
    # squares and differences such as x - median overflow.
    X, _ = spectra
    low, high = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
    X_unit = (2.0 * (X - low) / (high - low) - 1.0).astype(dtype)
    largest = max(1.0, np.abs(Transformer().fit_transform(X_unit)).max())
    if not SCALES_OUTPUT[Transformer]:
        largest = 1.0
    factor = dtype(0.95 / largest) * np.finfo(dtype).max
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    _assert_scale_invariant(Transformer, X_unit, factor, rtol)


@pytest.mark.parametrize("Transformer", SCATTER)
def test_dead_spectra_warn_once_naming_rows(spectra, Transformer):
    X, _ = spectra
    dead = [3, 7, 8, 12, 20, 31]
    X_dead = X.copy()
    X_dead[dead] = 1.0  # a detector dropout
    transformer = Transformer().fit(X)
    name = Transformer.__name__
    with pytest.warns(
        FlatSpectrumWarning,
        match=(
            rf"^6 of the 40 spectra passed to {name} have no spread \(.*\), "
            r"at rows \[3, 7, 8, 12, 20, \.\.\.\]: .*detector dropout"
        ),
    ) as record:
        X_new = transformer.transform(X_dead)
    assert sum(issubclass(w.category, FlatSpectrumWarning) for w in record) == 1
    assert np.all(np.isfinite(X_new))
    if Transformer is StandardNormalVariate:
        assert_array_equal(X_new[dead], 0.0)
    assert_allclose(X_new[0], transformer.transform(X[:1])[0])


@pytest.mark.parametrize("Transformer", SCATTER)
def test_live_spectra_do_not_warn(spectra, Transformer):
    X, _ = spectra
    with warnings.catch_warnings():
        warnings.simplefilter("error", FlatSpectrumWarning)
        Transformer().fit_transform(X)
        Transformer().fit_transform(X[:, ::-1] * 1e-300)


def test_flat_spectrum_warning_points_at_the_callers_line(spectra):
    X, _ = spectra
    with pytest.warns(FlatSpectrumWarning) as record:
        StandardNormalVariate().fit_transform(np.ones((2, 5)))
    assert record[0].filename == __file__
