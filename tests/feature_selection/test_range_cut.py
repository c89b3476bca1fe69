"""RangeCut: windows by index and by wavelength, names, and every error."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectorMixin

from skl_nirs.feature_selection import RangeCut

WAVELENGTHS = 1000.0 + 10.0 * np.arange(60)  # 1000, 1010, ..., 1590


@pytest.mark.parametrize(
    "start, stop", [(None, None), (0, 60), (5, 20), (None, 10), (50, None), (59, 60)]
)
def test_index_window_is_python_slice(spectra, start, stop):
    X, _ = spectra
    cut = RangeCut(start=start, stop=stop).fit(X)
    assert_array_equal(cut.transform(X), X[:, start:stop])
    assert_array_equal(np.flatnonzero(cut.support_), np.arange(60)[start:stop])


@pytest.mark.parametrize(
    "start, stop, expected",
    [
        (1100, 1200, slice(10, 21)),  # both bounds kept
        (1095, 1205, slice(10, 21)),  # bounds between wavelengths
        (None, 1020, slice(0, 3)),
        (1580, None, slice(58, 60)),
        (1000, 1590, slice(0, 60)),
        (1250, 1250, slice(25, 26)),
    ],
)
def test_wavelength_window_is_closed_interval(spectra, start, stop, expected):
    X, _ = spectra
    cut = RangeCut(start=start, stop=stop, by="wavelength", wavelengths=WAVELENGTHS)
    assert_array_equal(cut.fit_transform(X), X[:, expected])


def test_wavelengths_from_numeric_string_column_names(spectra):
    X, _ = spectra
    columns = [f"{w:.1f}" for w in WAVELENGTHS]
    frame = pd.DataFrame(X, columns=columns)
    cut = RangeCut(start=1100, stop=1200, by="wavelength").fit(frame)
    assert_array_equal(cut.transform(frame), X[:, 10:21])
    assert_array_equal(cut.get_feature_names_out(), columns[10:21])


def test_wavelengths_from_float_column_names(spectra):
    X, _ = spectra
    frame = pd.DataFrame(X, columns=WAVELENGTHS)
    cut = RangeCut(start=1100, stop=1200, by="wavelength").fit(frame)
    assert_array_equal(cut.transform(frame), X[:, 10:21])
    # scikit-learn records only string column names: the wavelengths are kept
    # as str(wavelength), as the as_frame=True data sets name them.
    assert_array_equal(
        cut.get_feature_names_out(), [str(w) for w in WAVELENGTHS[10:21]]
    )


def test_decreasing_wavenumbers_keep_input_order(spectra):
    X, _ = spectra
    wavenumbers = 10000.0 - 50.0 * np.arange(60)  # 10000, 9950, ..., 7050
    cut = RangeCut(start=9000, stop=9500, by="wavelength", wavelengths=wavenumbers)
    assert_array_equal(cut.fit_transform(X), X[:, 10:21])


def test_pandas_output_keeps_the_kept_names(spectra):
    X, _ = spectra
    columns = [f"{w:g}" for w in WAVELENGTHS]
    frame = pd.DataFrame(X, columns=columns)
    cut = RangeCut(start=3, stop=7, by="index").set_output(transform="pandas")
    X_new = cut.fit_transform(frame)
    assert list(X_new.columns) == columns[3:7]
    assert_array_equal(X_new.to_numpy(), X[:, 3:7])


def test_feature_names_out_without_names(spectra):
    X, _ = spectra
    cut = RangeCut(start=2, stop=4).fit(X)
    assert_array_equal(cut.get_feature_names_out(), ["x2", "x3"])
    assert_array_equal(
        cut.get_feature_names_out([f"w{i}" for i in range(60)]), ["w2", "w3"]
    )


def test_selector_api_from_selector_mixin(spectra):
    X, _ = spectra
    cut = RangeCut(1100, 1200, wavelengths=WAVELENGTHS).fit(X)
    assert isinstance(cut, SelectorMixin)
    assert_array_equal(cut.get_support(), cut.support_)
    assert_array_equal(cut.get_support(indices=True), np.arange(10, 21))
    X_back = cut.inverse_transform(cut.transform(X))
    assert_array_equal(X_back[:, 10:21], X[:, 10:21])
    assert not X_back[:, :10].any() and not X_back[:, 21:].any()
    with pytest.raises(ValueError, match="X has a different shape than during"):
        cut.inverse_transform(X)


def test_get_support_before_fit():
    with pytest.raises(NotFittedError, match="This RangeCut instance is not fitted"):
        RangeCut().get_support()


def test_former_import_path_is_the_same_class():
    from skl_nirs import preprocessing

    assert preprocessing.RangeCut is RangeCut
    assert "RangeCut" not in preprocessing.__all__


def test_float32_is_preserved(spectra):
    X, _ = spectra
    X_new = RangeCut(start=2, stop=4).fit_transform(X.astype(np.float32))
    assert X_new.dtype == np.float32
    assert_array_equal(X_new, X[:, 2:4].astype(np.float32))


def test_output_is_a_copy(spectra):
    X, _ = spectra
    X_new = RangeCut(start=2, stop=4).fit_transform(X)
    X_new[:] = 0.0
    assert X[:, 2:4].any()


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(start=60), r"start=60 is outside the spectrum.*n_features=60"),
        (dict(start=-1), r"start=-1 is outside the spectrum"),
        (dict(stop=61), r"stop=61 is outside the spectrum.*n_features=60"),
        (dict(stop=0), r"stop=0 is outside the spectrum"),
        (dict(start=5, stop=5), r"The window is empty: start=5 must be less than"),
        (dict(start=8, stop=3), r"The window is empty: start=8"),
        (dict(start=2.5), r"start=2.5 is read as a column index, because the wav"),
        (dict(stop=10.0), r"stop=10.0 is read as a column index, because the wav"),
        (
            dict(start=2.5, by="index"),
            r"start must be an integer column index with by='index'",
        ),
        (
            dict(stop=10.0, by="index"),
            r"stop must be an integer column index with by='index'",
        ),
    ],
)
def test_index_window_errors(spectra, params, message):
    X, _ = spectra
    cut = RangeCut(**params)  # __init__ accepts anything; fit checks
    with pytest.raises(ValueError, match=message):
        cut.fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(start=990), r"start=990 is outside the spectrum.*1000 to 1590"),
        (dict(stop=1600), r"stop=1600 is outside the spectrum.*1000 to 1590"),
        (dict(start=1300, stop=1200), r"The window is empty.*start=1300.*stop=1200"),
        (dict(start=1101, stop=1109), r"The window is empty.*start=1101.*stop=1109"),
    ],
)
def test_wavelength_window_errors(spectra, params, message):
    X, _ = spectra
    cut = RangeCut(**params, by="wavelength", wavelengths=WAVELENGTHS)
    with pytest.raises(ValueError, match=message):
        cut.fit(X)


def test_wavelengths_of_wrong_length_raise(spectra):
    X, _ = spectra
    cut = RangeCut(by="wavelength", wavelengths=WAVELENGTHS[:-1])
    with pytest.raises(ValueError, match=r"wavelengths has shape \(59,\).*\(60,\)"):
        cut.fit(X)


def test_wavelengths_with_nan_raise(spectra):
    X, _ = spectra
    wavelengths = WAVELENGTHS.copy()
    wavelengths[4] = np.nan
    cut = RangeCut(by="wavelength", wavelengths=wavelengths)
    with pytest.raises(ValueError, match="Input wavelengths contains NaN"):
        cut.fit(X)


def test_by_wavelength_without_wavelengths_raises(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match="by='wavelength' needs the wavelengths"):
        RangeCut(by="wavelength").fit(X)


def test_by_wavelength_with_non_numeric_column_names_raises(spectra):
    X, _ = spectra
    frame = pd.DataFrame(X, columns=[f"band_{i}" for i in range(60)])
    with pytest.raises(ValueError, match="the column names of X are not numbers"):
        RangeCut(start=1, by="wavelength").fit(frame)


@pytest.mark.parametrize(
    "params, name",
    [(dict(by="nm"), "by"), (dict(start="1100"), "start"), (dict(stop=[3]), "stop")],
)
def test_invalid_parameters_raise(spectra, params, name):
    X, _ = spectra
    with pytest.raises(ValueError, match=f"The '{name}' parameter of RangeCut"):
        RangeCut(**params).fit(X)


def test_output_is_c_contiguous_and_a_copy():
    X = np.random.RandomState(0).rand(5, 20)
    out = RangeCut(2, 12).fit_transform(X)
    assert out.flags["C_CONTIGUOUS"] and not np.shares_memory(out, X)
    np.testing.assert_array_equal(out, X[:, 2:12])


# -- by="auto": bounds are wavelengths whenever the wavelengths are known ------


def _frame(X, wavelengths=WAVELENGTHS, as_str=False):
    columns = [str(w) for w in wavelengths] if as_str else list(wavelengths)
    return pd.DataFrame(X, columns=columns)


@pytest.mark.parametrize(
    "source", ["float names", "int names", "string names", "wavelengths"]
)
def test_known_wavelengths_make_bounds_wavelengths(spectra, source):
    X, _ = spectra
    wide = np.hstack([X] * 30)  # 1800 columns: 1100 and 1200 are valid indices too
    wavelengths = 400.0 + np.arange(1800)  # 400, 401, ..., 2199
    if source == "wavelengths":
        cut, data = RangeCut(1100, 1200, wavelengths=wavelengths), wide
    else:
        cut = RangeCut(1100, 1200)
        names = wavelengths.astype(int) if source == "int names" else wavelengths
        data = _frame(wide, names, as_str=source == "string names")
    assert_array_equal(cut.fit_transform(data), wide[:, 700:801])
    assert_array_equal(cut.wavelengths_, wavelengths)


def test_by_index_is_explicit_when_wavelengths_are_known(spectra):
    X, _ = spectra
    cut = RangeCut(5, 20, by="index").fit(_frame(X))
    assert_array_equal(cut.transform(_frame(X)), X[:, 5:20])
    assert_array_equal(cut.wavelengths_, WAVELENGTHS)  # known, so still checked


@pytest.mark.parametrize("as_str", [False, True])
def test_indices_on_known_wavelengths_raise_naming_by(spectra, as_str):
    X, _ = spectra
    with pytest.raises(
        ValueError,
        match=r"start=5 is outside the spectrum, whose wavelengths go from 1000 "
        r"to 1590 \(by='auto' reads start and stop as wavelengths.*by='index'",
    ):
        RangeCut(5, 20).fit(_frame(X, as_str=as_str))


def test_default_pandas_columns_are_not_wavelengths(spectra):
    X, _ = spectra
    frame = pd.DataFrame(X)  # columns 0, 1, ..., 59: positions, not wavelengths
    cut = RangeCut(5, 20).fit(frame)
    assert_array_equal(cut.transform(frame), X[:, 5:20])
    assert not hasattr(cut, "wavelengths_")
    with pytest.raises(ValueError, match="by='wavelength' needs the wavelengths: "):
        RangeCut(5, 20, by="wavelength").fit(frame)


def test_wavelengths_and_column_names_must_agree(spectra):
    X, _ = spectra
    RangeCut(1100, 1200, wavelengths=WAVELENGTHS).fit(_frame(X))  # agree: fine
    with pytest.raises(
        ValueError,
        match=r"wavelengths and the column names of X give different wavelengths: "
        r"column 0 is named 1000 but wavelengths\[0\]=1001",
    ):
        RangeCut(1100, 1200, wavelengths=WAVELENGTHS + 1).fit(_frame(X))


# -- wavelengths recorded in fit are checked in transform ----------------------


@pytest.mark.parametrize("by", ["wavelength", "auto", "index"])
def test_reversed_wavelengths_raise_in_transform(spectra, by):
    X, _ = spectra
    start, stop = (1010, 1020) if by != "index" else (1, 3)
    cut = RangeCut(start, stop, by=by).fit(_frame(X))
    with pytest.raises(
        ValueError,
        match=r"X has the wavelengths seen in fit in another order: column 0 is "
        r"1590 instead of 1000, column 1 is 1580 instead of 1010, column 2 is "
        r"1570 instead of 1020 \(60 of 60 columns differ\)",
    ):
        cut.transform(_frame(X[:, ::-1], WAVELENGTHS[::-1]))


def test_other_wavelengths_raise_in_transform(spectra):
    X, _ = spectra
    cut = RangeCut(1010, 1020, by="wavelength").fit(_frame(X))
    with pytest.raises(
        ValueError,
        match=r"X has other wavelengths than those RangeCut was fitted on: column "
        r"0 is 1002 instead of 1000, column 1 is 1012 instead of 1010, column 2 "
        r"is 1022 instead of 1020 \(60 of 60 columns differ\)",
    ):
        cut.transform(_frame(X, WAVELENGTHS + 2))


def test_wavelengths_parameter_is_checked_in_transform(spectra):
    X, _ = spectra
    cut = RangeCut(1010, 1020, wavelengths=WAVELENGTHS).fit(X)
    assert_array_equal(cut.transform(_frame(X)), X[:, 1:3])
    assert_array_equal(cut.transform(X), X[:, 1:3])  # an array: taken as it is
    with pytest.raises(ValueError, match=r"X has other wavelengths than those"):
        cut.transform(_frame(X, WAVELENGTHS + 2))
