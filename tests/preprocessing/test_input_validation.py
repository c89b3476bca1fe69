"""Bad input to every preprocessing transformer: each error and its message."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skl_nirs.feature_selection import RangeCut
from skl_nirs.preprocessing import (
    AsymmetricLeastSquares,
    Detrend,
    ExtendedMultiplicativeScatterCorrection,
    GaussianFilter,
    MultiplicativeScatterCorrection,
    NorrisWilliams,
    ReflectanceToAbsorbance,
    RobustNormalVariate,
    SavitzkyGolay,
    StandardNormalVariate,
)
from skl_nirs.utils.discovery import all_estimators

TRANSFORMERS = [
    AsymmetricLeastSquares(),
    Detrend(),
    ExtendedMultiplicativeScatterCorrection(),
    GaussianFilter(),
    MultiplicativeScatterCorrection(),
    NorrisWilliams(),
    RangeCut(),
    ReflectanceToAbsorbance(),
    RobustNormalVariate(),
    SavitzkyGolay(),
    StandardNormalVariate(),
]
IDS = [type(transformer).__name__ for transformer in TRANSFORMERS]


def test_every_preprocessing_transformer_is_listed():
    public = {
        name
        for name, cls in all_estimators()
        if cls.__module__.startswith(
            ("skl_nirs.preprocessing", "skl_nirs.feature_selection")
        )
    }
    assert public == set(IDS)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
@pytest.mark.parametrize(
    "value, message",
    [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity")],
)
def test_non_finite_values_raise(transformer, spectra, value, message):
    transformer = clone(transformer)
    X, _ = spectra
    X_bad = X.copy()
    X_bad[3, 7] = value
    with pytest.raises(ValueError, match=message):
        transformer.fit(X_bad)
    transformer.fit(X)
    with pytest.raises(ValueError, match=message):
        transformer.transform(X_bad)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
def test_one_dimensional_input_raises(transformer, spectra):
    transformer = clone(transformer)
    X, _ = spectra
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        transformer.fit(X[0])
    transformer.fit(X)
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array"):
        transformer.transform(X[0])


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
def test_empty_input_raises(transformer, spectra):
    transformer = clone(transformer)
    X, _ = spectra
    with pytest.raises(ValueError, match=r"Found array with 0 sample\(s\)"):
        transformer.fit(X[:0])
    with pytest.raises(ValueError, match=r"Found array with 0 feature\(s\)"):
        transformer.fit(X[:, :0])


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
def test_wrong_number_of_wavelengths_at_transform_raises(transformer, spectra):
    transformer = clone(transformer)
    X, _ = spectra
    transformer.fit(X)
    name = type(transformer).__name__
    with pytest.raises(
        ValueError, match=f"X has 59 features, but {name} is expecting 60 features"
    ):
        transformer.transform(X[:, 1:])


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
def test_non_numeric_column_raises(transformer, spectra):
    transformer = clone(transformer)
    X, _ = spectra
    frame = pd.DataFrame(X, columns=[f"{1000 + 2 * i}" for i in range(X.shape[1])])
    frame["1120"] = "high"
    with pytest.raises(ValueError, match="could not convert string to float: 'high'"):
        transformer.fit(frame)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
def test_transform_before_fit_raises(transformer, spectra):
    transformer = clone(transformer)
    X, _ = spectra
    with pytest.raises(ValueError, match="This .* instance is not fitted yet"):
        transformer.transform(X)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
def test_integer_input_gives_float64(transformer, spectra):
    transformer = clone(transformer)
    X, _ = spectra
    X_int = np.rint(100 * X).astype(np.int64) + 1
    assert transformer.fit_transform(X_int).dtype == np.float64


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=IDS)
def test_input_is_not_modified(transformer, spectra):
    transformer = clone(transformer)
    X, _ = spectra
    X_copy = X.copy()
    transformer.fit(X).transform(X)
    np.testing.assert_array_equal(X, X_copy)
