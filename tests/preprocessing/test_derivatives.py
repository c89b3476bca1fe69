"""Derivatives checked against scipy.signal.savgol_filter and a padded loop."""

import re

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy.signal import savgol_filter
from sklearn.base import clone

from skl_nirs.preprocessing import NorrisWilliams, SavitzkyGolay


@pytest.mark.parametrize(
    "params",
    [
        dict(window_length=11, polyorder=2),
        dict(window_length=7, polyorder=3, deriv=1),
        dict(window_length=9, polyorder=2, deriv=2, delta=0.5),
        dict(window_length=8, polyorder=2, deriv=1),  # even window
        dict(window_length=5, polyorder=1, mode="nearest"),
        dict(window_length=15, polyorder=4, deriv=1, mode="mirror"),
        dict(window_length=5, polyorder=2, mode="constant"),
        dict(window_length=5, polyorder=2, deriv=1, mode="wrap"),
    ],
)
def test_savitzky_golay_matches_scipy(spectra, params):
    X, _ = spectra
    expected = np.vstack([savgol_filter(x, **params) for x in X])
    X_new = SavitzkyGolay(**params).fit_transform(X)
    assert_allclose(X_new, expected, rtol=1e-10, atol=1e-12)


def test_savitzky_golay_default_parameters_are_scipy_defaults(spectra):
    X, _ = spectra
    expected = savgol_filter(X, 11, 2, deriv=0, delta=1.0, mode="interp", axis=1)
    assert_allclose(SavitzkyGolay().fit_transform(X), expected)


def test_savitzky_golay_differentiates_a_cubic_exactly():
    grid = np.arange(20.0)
    X = np.vstack([grid**3, 2.0 * grid**2 - grid])
    X_new = SavitzkyGolay(window_length=7, polyorder=3, deriv=1).fit_transform(X)
    assert_allclose(X_new, np.vstack([3.0 * grid**2, 4.0 * grid - 1.0]), atol=1e-8)


def test_savitzky_golay_polyorder_not_below_window_raises(spectra):
    X, _ = spectra
    transformer = SavitzkyGolay(window_length=5, polyorder=5)  # __init__ accepts it
    with pytest.raises(
        ValueError, match="polyorder=5 must be less than window_length=5"
    ):
        transformer.fit(X)


def test_savitzky_golay_window_longer_than_spectrum_raises(spectra):
    X, _ = spectra
    with pytest.raises(
        ValueError, match="window_length=61 is longer than the spectra.*n_features=60"
    ):
        SavitzkyGolay(window_length=61).fit(X)


def test_savitzky_golay_long_window_works_outside_interp_mode(spectra):
    X, _ = spectra
    X_small = X[:, :4]
    X_new = SavitzkyGolay(window_length=7, polyorder=2, mode="nearest").fit_transform(
        X_small
    )
    expected = savgol_filter(X_small, 7, 2, mode="nearest", axis=1)
    assert_allclose(X_new, expected)


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(window_length=0), "window_length"),
        (dict(polyorder=-1), "polyorder"),
        (dict(deriv=1.5), "deriv"),
        (dict(delta=0.0), "delta"),
        (dict(mode="edge"), "mode"),
    ],
)
def test_savitzky_golay_invalid_parameters_raise(spectra, params, name):
    X, _ = spectra
    with pytest.raises(ValueError, match=f"The '{name}' parameter of SavitzkyGolay"):
        SavitzkyGolay(**params).fit(X)


@pytest.mark.parametrize("mode", ["nearest", "mirror", "constant", "wrap"])
def test_savitzky_golay_window_reaching_beyond_four_spectra_raises(spectra, mode):
    # Before: window_length=10**9 + 1 allocated gigabytes of coefficients.
    X, _ = spectra
    message = (
        r"window_length // 2 = 483 // 2 = 241: the filter reaches that many "
        r"wavelengths on each side of a point, more than 4 times the number of "
        r"wavelengths, n_features=60 \(at most 240\)\. Use a shorter window\."
    )
    with pytest.raises(ValueError, match=message):
        SavitzkyGolay(window_length=483, mode=mode).fit(X)
    with pytest.raises(ValueError, match="window_length // 2 = 1000000001 // 2"):
        SavitzkyGolay(window_length=10**9 + 1, mode=mode).fit(X)
    SavitzkyGolay(window_length=481, mode=mode).fit(X)


_PAD_MODES = {
    "nearest": "edge",
    "reflect": "symmetric",
    "mirror": "reflect",
    "constant": "constant",
    "wrap": "wrap",
}


def _gap_segment_loop(X, segment, gap, deriv, mode):
    """The gap-segment derivative written out: pad, average, difference."""
    half = segment // 2
    reach = half + gap
    padded = np.pad(X, ((0, 0), (reach, reach)), mode=_PAD_MODES[mode])
    n = X.shape[1]
    out = np.empty_like(X)
    for i in range(n):
        j = i + reach

        def smooth(k):
            return padded[:, k - half : k + half + 1].mean(axis=1)

        if deriv == 1:
            out[:, i] = smooth(j + gap) - smooth(j - gap)
        else:
            out[:, i] = smooth(j + gap) - 2.0 * smooth(j) + smooth(j - gap)
    return out


@pytest.mark.parametrize("mode", sorted(_PAD_MODES))
@pytest.mark.parametrize("segment, gap", [(1, 1), (5, 5), (3, 7), (11, 2)])
@pytest.mark.parametrize("deriv", [1, 2])
def test_norris_williams_matches_explicit_loop(spectra, segment, gap, deriv, mode):
    X, _ = spectra
    transformer = NorrisWilliams(segment=segment, gap=gap, deriv=deriv, mode=mode)
    X_new = transformer.fit_transform(X)
    assert X_new.shape == X.shape
    expected = _gap_segment_loop(X, segment, gap, deriv, mode)
    assert_allclose(X_new, expected, rtol=1e-10, atol=1e-12)


def test_norris_williams_closed_forms_away_from_edges():
    index = np.arange(40.0)
    X = np.vstack([3.0 * index + 1.0, index**2])
    first = NorrisWilliams(segment=5, gap=4, deriv=1).fit_transform(X)
    second = NorrisWilliams(segment=5, gap=4, deriv=2).fit_transform(X)
    inner = slice(6, -6)  # segment // 2 + gap from each end
    # line: s[i + g] - s[i - g] = 2 g * slope; parabola: second difference 2 g**2
    assert_allclose(first[0, inner], 2 * 4 * 3.0)
    assert_allclose(first[1, inner], 4.0 * 4 * index[inner])
    assert_allclose(second[0, inner], 0.0, atol=1e-12)
    assert_allclose(second[1, inner], 2.0 * 4**2)


def test_norris_williams_hand_worked_edges():
    X = np.arange(8.0)[None]
    # nearest: ... 0 0 | 0 1 2 ... 7 | 7 7 ...; 3-point means at -2..9:
    # 0, 0, 1/3, 1, 2, 3, 4, 5, 6, 20/3, 7, 7; out[i] = s[i + 2] - s[i - 2]
    expected = [[2.0, 3.0, 11 / 3, 4.0, 4.0, 11 / 3, 3.0, 2.0]]
    assert_allclose(NorrisWilliams(segment=3, gap=2).fit_transform(X), expected)


def test_norris_williams_even_segment_raises(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match="segment must be odd.*segment=4"):
        NorrisWilliams(segment=4).fit(X)


@pytest.mark.parametrize(
    "segment, gap, shown",
    [
        (5, 239, "5 // 2 + 239 = 241"),
        (481, 1, "481 // 2 + 1 = 241"),
        (10**9 + 1, 5, "1000000001 // 2 + 5 = 500000005"),
        (5, 10**9, "5 // 2 + 1000000000 = 1000000002"),
    ],
)
def test_norris_williams_reaching_beyond_four_spectra_raises(
    spectra, segment, gap, shown
):
    # Before: segment or gap of 10**9 allocated gigabytes of weights.
    X, _ = spectra
    message = (
        rf"segment // 2 \+ gap = {re.escape(shown)}: the filter reaches that "
        r"many wavelengths on each side of a point, more than 4 times the "
        r"number of wavelengths, n_features=60 \(at most 240\)\. Use a smaller "
        r"segment or gap\."
    )
    with pytest.raises(ValueError, match=message):
        NorrisWilliams(segment=segment, gap=gap).fit(X)
    NorrisWilliams(segment=5, gap=238).fit(X)


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(segment=0), "segment"),
        (dict(gap=0), "gap"),
        (dict(deriv=3), "deriv"),
        (dict(mode="interp"), "mode"),
    ],
)
def test_norris_williams_invalid_parameters_raise(spectra, params, name):
    X, _ = spectra
    with pytest.raises(ValueError, match=f"The '{name}' parameter of NorrisWilliams"):
        NorrisWilliams(**params).fit(X)


@pytest.mark.parametrize(
    "transformer",
    [SavitzkyGolay(), SavitzkyGolay(deriv=1, mode="nearest"), NorrisWilliams()],
)
def test_float32_is_preserved(spectra, transformer):
    transformer = clone(transformer)
    X, _ = spectra
    X_new = transformer.fit_transform(X.astype(np.float32))
    assert X_new.dtype == np.float32
    assert_allclose(X_new, transformer.fit_transform(X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("transformer", [SavitzkyGolay(), NorrisWilliams()])
def test_pandas_output_keeps_wavelength_names(spectra, transformer):
    X, _ = spectra
    columns = [f"{1100 + 10 * i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    pandas_transformer = clone(transformer).set_output(transform="pandas")
    X_new = pandas_transformer.fit_transform(frame)
    assert list(X_new.columns) == columns
    assert_allclose(X_new.to_numpy(), clone(transformer).fit_transform(X))
