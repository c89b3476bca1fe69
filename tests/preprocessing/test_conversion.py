"""Reflectance to absorbance checked against -log10 and its errors."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from skl_nirs.preprocessing import ReflectanceToAbsorbance


def test_matches_minus_log10(spectra):
    X, _ = spectra
    assert_allclose(ReflectanceToAbsorbance().fit_transform(X), -np.log10(X))


def test_hand_worked_values():
    R = np.array([[1.0, 0.1, 0.01, 10.0]])
    assert_allclose(ReflectanceToAbsorbance().fit_transform(R), [[0.0, 1.0, 2.0, -1.0]])


def test_negative_reflectance_raises_at_fit_and_transform(spectra):
    X, _ = spectra
    X_bad = X.copy()
    X_bad[2, :3] = -0.1
    message = "Negative values in data passed to ReflectanceToAbsorbance.*X.*found 3"
    with pytest.raises(ValueError, match=message):
        ReflectanceToAbsorbance().fit(X_bad)
    with pytest.raises(ValueError, match=message):
        ReflectanceToAbsorbance(min_reflectance=1e-3).fit(X_bad)
    transformer = ReflectanceToAbsorbance().fit(X)
    with pytest.raises(ValueError, match=message):
        transformer.transform(X_bad)


def test_zero_reflectance_raises_at_fit_and_transform(spectra):
    X, _ = spectra
    X_bad = X.copy()
    X_bad[0, 0] = 0.0
    message = (
        "Zero values in data passed to ReflectanceToAbsorbance: the reflectance X "
        r"must be strictly positive.*found 1 zero.*min_reflectance"
    )
    with pytest.raises(ValueError, match=message):
        ReflectanceToAbsorbance().fit(X_bad)
    transformer = ReflectanceToAbsorbance().fit(X)
    with pytest.raises(ValueError, match=message):
        transformer.transform(X_bad)


def test_min_reflectance_clips_small_values():
    R = np.array([[0.0, 1e-5, 0.01, 0.5]])
    X_new = ReflectanceToAbsorbance(min_reflectance=1e-3).fit_transform(R)
    assert_allclose(X_new, [[3.0, 3.0, 2.0, -np.log10(0.5)]])


@pytest.mark.parametrize("value", [0.0, -1e-3, "small"])
def test_invalid_min_reflectance_raises(spectra, value):
    X, _ = spectra
    with pytest.raises(
        ValueError, match="The 'min_reflectance' parameter of ReflectanceToAbsorbance"
    ):
        ReflectanceToAbsorbance(min_reflectance=value).fit(X)


@pytest.mark.parametrize("min_reflectance", [None, 1e-3])
def test_float32_is_preserved(spectra, min_reflectance):
    X, _ = spectra
    transformer = ReflectanceToAbsorbance(min_reflectance=min_reflectance)
    X_new = transformer.fit_transform(X.astype(np.float32))
    assert X_new.dtype == np.float32
    assert_allclose(X_new, -np.log10(X), rtol=1e-5)


def test_pandas_output_keeps_wavelength_names(spectra):
    X, _ = spectra
    columns = [f"{1100 + 10 * i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    transformer = ReflectanceToAbsorbance().set_output(transform="pandas")
    X_new = transformer.fit_transform(frame)
    assert list(X_new.columns) == columns
    assert_allclose(X_new.to_numpy(), -np.log10(X))
