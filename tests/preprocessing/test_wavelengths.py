"""Wavelengths named by numeric columns are recorded in fit and checked after.

Every preprocessing transformer of skl_nirs, fitted on a DataFrame whose column
names are wavelengths (numbers, or numbers written as strings), refuses at
transform a frame with other wavelengths or the same in another order.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.feature_selection import RangeCut
from skl_nirs.preprocessing import (
    ReflectanceToAbsorbance,
    StandardNormalVariate,
)
from skl_nirs.utils._wavelengths import column_wavelengths
from skl_nirs.utils.discovery import all_estimators

WAVELENGTHS = 1000.0 + 10.0 * np.arange(60)  # 1000, 1010, ..., 1590

INSTANCES = {"ReflectanceToAbsorbance": ReflectanceToAbsorbance(min_reflectance=1e-6)}


def _preprocessing_estimators():
    return [
        INSTANCES.get(name, cls())
        for name, cls in all_estimators()
        if cls.__module__.startswith("skl_nirs.preprocessing")
    ]


ESTIMATORS = _preprocessing_estimators()
IDS = [type(estimator).__name__ for estimator in ESTIMATORS]


def _frame(X, wavelengths=WAVELENGTHS, as_str=False):
    columns = [str(w) for w in wavelengths] if as_str else list(wavelengths)
    return pd.DataFrame(X, columns=columns)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_same_wavelengths_pass_and_are_recorded(spectra, estimator):
    X, _ = spectra
    fitted = clone(estimator).fit(_frame(X))
    assert_array_equal(fitted.wavelengths_, WAVELENGTHS)
    assert not hasattr(fitted, "feature_names_in_")  # sklearn's semantics kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an array is taken by position, silently
        assert_allclose(fitted.transform(_frame(X)), fitted.transform(X))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_reordered_wavelengths_raise(spectra, estimator):
    X, _ = spectra
    fitted = clone(estimator).fit(_frame(X))
    order = np.r_[1, 0, 2:60]  # two columns swapped
    with pytest.raises(
        ValueError,
        match=r"X has the wavelengths seen in fit in another order: column 0 is "
        r"1010 instead of 1000, column 1 is 1000 instead of 1010 \(2 of 60 "
        r"columns differ\)\. Reorder the columns of X as in fit\.",
    ):
        fitted.transform(_frame(X[:, order], WAVELENGTHS[order]))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_other_wavelengths_raise(spectra, estimator):
    X, _ = spectra
    fitted = clone(estimator).fit(_frame(X))
    name = type(estimator).__name__
    other = WAVELENGTHS.copy()
    other[[7, 30]] += 0.5
    with pytest.raises(
        ValueError,
        match=rf"X has other wavelengths than those {name} was fitted on: column 7 "
        r"is 1070.5 instead of 1070, column 30 is 1300.5 instead of 1300 \(2 of "
        r"60 columns differ\)\. Give the spectra at the wavelengths seen in fit "
        r"\(1000 to 1590\)\.",
    ):
        fitted.transform(_frame(X, other))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_other_number_of_wavelengths_raises(spectra, estimator):
    X, _ = spectra
    fitted = clone(estimator).fit(_frame(X))
    name = type(estimator).__name__
    with pytest.raises(
        ValueError,
        match=rf"X has 59 wavelengths \(1000 to 1580\), but {name} was fitted on "
        r"the wavelengths 1000 to 1590 \(60 wavelengths\)\.",
    ):
        fitted.transform(_frame(X[:, :-1], WAVELENGTHS[:-1]))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_names_that_are_not_wavelengths_raise(spectra, estimator):
    X, _ = spectra
    fitted = clone(estimator).fit(_frame(X))
    name = type(estimator).__name__
    frame = pd.DataFrame(X, columns=[f"band_{i}" for i in range(60)])
    with pytest.raises(
        ValueError,
        match=r"X has column names that are not wavelengths \('band_0', 'band_1', "
        rf"'band_2', \.\.\.\), but {name} was fitted on the wavelengths 1000 to "
        r"1590",
    ):
        fitted.transform(frame)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_string_and_numeric_names_agree(spectra, estimator):
    """``as_frame=True`` names (str(w)) and numeric names are the same wavelengths.

    scikit-learn checks string names itself (``feature_names_in_``); the numeric
    check must accept the same wavelengths written as numbers and refuse other
    ones, whichever way the model was fitted.
    """
    X, _ = spectra
    on_strings = clone(estimator).fit(_frame(X, as_str=True))
    assert_array_equal(on_strings.wavelengths_, WAVELENGTHS)
    assert_array_equal(on_strings.feature_names_in_, [str(w) for w in WAVELENGTHS])
    on_numbers = clone(estimator).fit(_frame(X))
    expected = on_numbers.transform(X)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert_allclose(on_strings.transform(_frame(X)), expected)
    with pytest.warns(UserWarning, match="X has feature names, but"):
        assert_allclose(on_numbers.transform(_frame(X, as_str=True)), expected)

    reversed_numbers = _frame(X[:, ::-1], WAVELENGTHS[::-1])
    reversed_strings = _frame(X[:, ::-1], WAVELENGTHS[::-1], as_str=True)
    message = r"X has the wavelengths seen in fit in another order"
    with pytest.raises(ValueError, match=message):
        on_strings.transform(reversed_numbers)
    with pytest.raises(ValueError, match=message):
        on_numbers.transform(reversed_strings)
    # String names against string names: scikit-learn's own check.
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        on_strings.transform(reversed_strings)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_refit_without_names_forgets_wavelengths(spectra, estimator):
    X, _ = spectra
    fitted = clone(estimator).fit(_frame(X))
    assert_array_equal(fitted.wavelengths_, WAVELENGTHS)
    fitted.fit(X)
    assert not hasattr(fitted, "wavelengths_")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.transform(_frame(X[:, ::-1], WAVELENGTHS[::-1]))  # nothing to check


def test_numeric_names_become_output_names(spectra):
    X, _ = spectra
    snv = StandardNormalVariate().fit(_frame(X))
    assert_array_equal(snv.get_feature_names_out(), [str(w) for w in WAVELENGTHS])
    assert_array_equal(
        snv.get_feature_names_out([f"w{i}" for i in range(60)]),
        [f"w{i}" for i in range(60)],
    )
    assert_array_equal(
        StandardNormalVariate().fit(X).get_feature_names_out()[:2], ["x0", "x1"]
    )


def test_pandas_pipeline_keeps_and_checks_the_wavelengths(spectra):
    X, _ = spectra
    pipe = make_pipeline(StandardNormalVariate(), RangeCut(1100, 1200))
    pipe.set_output(transform="pandas").fit(_frame(X))
    X_new = pipe.transform(_frame(X))
    assert list(X_new.columns) == [str(w) for w in WAVELENGTHS[10:21]]
    assert_allclose(X_new, StandardNormalVariate().fit_transform(X)[:, 10:21])
    with pytest.raises(ValueError, match="in another order"):
        pipe.transform(_frame(X[:, ::-1], WAVELENGTHS[::-1]))


def test_dataset_frames_are_checked_as_numbers():
    X, _, wavelengths = make_nirs_regression(
        n_samples=20, n_wavelengths=50, random_state=0
    )
    frame, _, _ = make_nirs_regression(
        n_samples=20, n_wavelengths=50, random_state=0, as_frame=True
    )
    snv = StandardNormalVariate().fit(frame)
    assert_array_equal(snv.wavelengths_, wavelengths)
    numbers = pd.DataFrame(X, columns=wavelengths)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert_allclose(snv.transform(numbers), snv.transform(frame))
    with pytest.raises(ValueError, match="in another order"):
        snv.transform(numbers[numbers.columns[::-1]])


@pytest.mark.parametrize(
    "columns, expected",
    [
        ([1000, 1010.5, np.float32(1020)], [1000.0, 1010.5, 1020.0]),
        (["1000", " 1010.5", "1.02e3"], [1000.0, 1010.5, 1020.0]),
        (["1000", "1010", "a"], None),
        ([1000.0, np.nan, 1020.0], None),
        (["1000", "inf", "1020"], None),
        ([True, False, True], None),
        (pd.RangeIndex(3), None),
        (pd.RangeIndex(5, 8), None),
        (pd.Index([0, 1, 2]), [0.0, 1.0, 2.0]),
    ],
)
def test_column_wavelengths(columns, expected):
    frame = pd.DataFrame(np.zeros((2, 3)), columns=columns)
    wavelengths = column_wavelengths(frame)
    if expected is None:
        assert wavelengths is None
    else:
        assert wavelengths.dtype == np.float64
        assert_array_equal(wavelengths, expected)


def test_arrays_have_no_wavelengths():
    assert column_wavelengths(np.zeros((2, 3))) is None
    assert column_wavelengths([[0.0, 1.0]]) is None
