"""SpectraDisplay: the spectra drawn, their wavelengths, units and colours."""

import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from skl_nirs.feature_selection import RangeCut
from skl_nirs.plotting import SpectraDisplay
from skl_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)


def test_importing_the_displays_does_not_import_matplotlib():
    code = (
        "import sys, skl_nirs, skl_nirs.plotting, skl_nirs._cli; "
        "assert 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_from_spectra_one_line_per_spectrum(data):
    X, _, wavelengths = data
    display = SpectraDisplay.from_spectra(X, wavelengths)
    assert list(display.ax_.lines) == display.lines_
    assert len(display.lines_) == X.shape[0]
    assert display.figure_ is display.ax_.figure
    assert_array_equal(display.lines_[0].get_xdata(), wavelengths)
    assert_array_equal(display.lines_[3].get_ydata(), X[3])
    assert_array_equal(display.spectra, X)
    assert display.colorbar_ is None
    assert display.ax_.get_xlabel() == "Wavelength"
    assert display.ax_.get_ylabel() == "Signal"
    assert display.ax_.get_title() == ""


@pytest.mark.parametrize(
    "unit, label",
    [
        ("nm", "Wavelength (nm)"),
        ("cm-1", "Wavenumber (cm-1)"),
        ("µm", "Wavelength (µm)"),
        (None, "Wavelength"),
    ],
)
def test_unit_names_the_x_axis(data, unit, label):
    X, _, wavelengths = data
    display = SpectraDisplay.from_spectra(X, wavelengths, unit=unit)
    assert display.ax_.get_xlabel() == label
    custom = SpectraDisplay.from_spectra(X, wavelengths, unit=unit, xlabel="Channel")
    assert custom.ax_.get_xlabel() == "Channel"


def test_wavenumbers_decrease_to_the_right(data):
    X, _, wavelengths = data
    nm = SpectraDisplay.from_spectra(X, wavelengths, unit="nm").ax_.get_xlim()
    assert nm[0] < nm[1]
    wavenumbers = 1e7 / np.asarray(wavelengths)  # nm -> cm-1
    ax = SpectraDisplay.from_spectra(X, wavenumbers, unit="cm-1").ax_
    assert ax.get_xlim() == (wavenumbers.max(), wavenumbers.min())


def test_without_wavelengths_the_index(data):
    X, _, _ = data
    _, ax = plt.subplots()
    display = SpectraDisplay.from_spectra(X, unit="nm", ax=ax)
    assert display.ax_ is ax
    assert ax.get_xlabel() == "Wavelength index"
    assert_array_equal(display.lines_[0].get_xdata(), np.arange(X.shape[1]))


def test_wavelengths_from_column_names(data):
    pd = pytest.importorskip("pandas")
    X, _, wavelengths = data
    frame = pd.DataFrame(X, columns=[str(w) for w in wavelengths])
    display = SpectraDisplay.from_spectra(frame)
    assert_allclose(display.lines_[0].get_xdata(), wavelengths)
    assert_allclose(display.wavelengths, wavelengths)


def test_plot_again_on_other_axes(data):
    X, _, wavelengths = data
    display = SpectraDisplay.from_spectra(X, wavelengths)
    first = display.ax_
    _, ax = plt.subplots()
    assert display.plot(ax=ax, line_kwargs={"color": "k"}) is display
    assert display.ax_ is ax is not first
    assert len(ax.lines) == len(first.lines) == X.shape[0]
    assert display.lines_[0].get_color() == "k"


def test_from_estimator_equals_from_spectra_of_the_transform(data):
    X, _, wavelengths = data
    transformer = make_pipeline(StandardNormalVariate(), SavitzkyGolay(7, 2)).fit(X)
    after = SpectraDisplay.from_estimator(transformer, X, wavelengths, unit="nm")
    same = SpectraDisplay.from_spectra(transformer.transform(X), wavelengths, unit="nm")
    assert_allclose(after.spectra, same.spectra)
    assert_array_equal(after.wavelengths, same.wavelengths)
    for line, expected in zip(after.lines_, same.lines_):
        assert_allclose(line.get_ydata(), expected.get_ydata())
        assert_array_equal(line.get_xdata(), expected.get_xdata())
    assert after.ax_.get_xlabel() == same.ax_.get_xlabel() == "Wavelength (nm)"
    assert after.ax_.get_title() == "After StandardNormalVariate + SavitzkyGolay"
    assert after.ax_.get_ylabel() == "Transformed signal"


def test_from_estimator_uses_the_fitted_transformer_as_is(data):
    X, _, _ = data
    msc = MultiplicativeScatterCorrection().fit(X[:5])
    display = SpectraDisplay.from_estimator(msc, X, title="MSC on 5")
    assert_allclose(display.lines_[-1].get_ydata(), msc.transform(X)[-1])
    assert display.ax_.get_title() == "MSC on 5"


def test_from_estimator_needs_a_fitted_transformer(data):
    X, _, _ = data
    with pytest.raises(NotFittedError, match="StandardNormalVariate instance is not"):
        SpectraDisplay.from_estimator(StandardNormalVariate(), X)


def test_from_estimator_changing_the_width(data):
    X, _, wavelengths = data
    by_index = SpectraDisplay.from_estimator(RangeCut(5, 15).fit(X), X, wavelengths)
    assert by_index.ax_.get_xlabel() == "Feature index"
    assert_array_equal(by_index.lines_[0].get_xdata(), np.arange(10))

    cut = RangeCut(1100, 1900, by="wavelength", wavelengths=wavelengths).fit(X)
    kept = (wavelengths >= 1100) & (wavelengths <= 1900)
    display = SpectraDisplay.from_estimator(cut, X, wavelengths, unit="nm")
    assert display.ax_.get_xlabel() == "Wavelength (nm)"
    assert_allclose(display.lines_[0].get_xdata(), wavelengths[kept])


def test_numeric_y_colours_by_value(data):
    X, y, wavelengths = data
    display = SpectraDisplay.from_spectra(X, wavelengths, y=y)
    assert display.colorbar_ is not None
    assert display.colorbar_.ax.get_ylabel() == "y"
    assert display.colorbar_.mappable.norm.vmin == y.min()
    low, high = np.argmin(y), np.argmax(y)
    cmap = display.colorbar_.mappable.cmap
    assert_allclose(display.lines_[low].get_color(), cmap(0.0))
    assert_allclose(display.lines_[high].get_color(), cmap(1.0))
    assert display.ax_.get_legend() is None


def test_class_labels_colour_by_class_with_a_legend(data):
    X, _, wavelengths = data
    y = np.array(["wheat", "barley", "rye"] * 5)
    display = SpectraDisplay.from_spectra(X, wavelengths, y=y)
    assert display.colorbar_ is None
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["barley", "rye", "wheat"]
    colors = [line.get_color() for line in display.lines_]
    assert colors[:3] == ["C2", "C0", "C1"]
    assert colors[3:6] == colors[:3]


def test_many_integer_values_are_a_continuum(data):
    X, _, _ = data
    display = SpectraDisplay.from_spectra(X, y=np.arange(15))
    assert display.colorbar_ is not None
    few = SpectraDisplay.from_spectra(X, y=np.arange(15) % 3)
    assert few.colorbar_ is None and few.ax_.get_legend() is not None


def test_errors(data):
    X, _, wavelengths = data
    with pytest.raises(ValueError, match="wavelengths has 39 values but X has 40"):
        SpectraDisplay.from_spectra(X, wavelengths[:-1])
    with pytest.raises(ValueError, match="one value per spectrum: 15 values, got"):
        SpectraDisplay.from_spectra(X, y=np.zeros(14))
    with pytest.raises(ValueError, match="y must hold class labels or numbers"):
        SpectraDisplay.from_spectra(X, y=np.array([object()] * 15))
