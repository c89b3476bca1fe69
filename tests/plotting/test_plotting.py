"""Tests of skl_nirs.plotting: the right elements on the Axes."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.metrics import r2_score, root_mean_squared_error
from sklearn.pipeline import make_pipeline

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.plotting import (
    plot_leaderboard,
    plot_predictions,
    plot_search_history,
    plot_spectra,
)
from skl_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    RangeCut,
    SavitzkyGolay,
    StandardNormalVariate,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.container import BarContainer  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_nirs_regression(n_samples=15, n_wavelengths=40, random_state=0)


@pytest.fixture(scope="module")
def search(data):
    X, y, _ = data
    return OptunaSearchCV(
        Ridge(),
        {"alpha": ("float_log", 1e-6, 1e2)},
        n_trials=7,
        cv=3,
        scoring="neg_root_mean_squared_error",
        random_state=0,
    ).fit(X, y)


def test_import_does_not_import_matplotlib():
    code = (
        "import sys, skl_nirs, skl_nirs.plotting, skl_nirs._cli; "
        "assert 'matplotlib' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# -- plot_spectra --------------------------------------------------------------


def test_plot_spectra_one_line_per_spectrum(data):
    X, _, wavelengths = data
    ax = plot_spectra(X, wavelengths)
    assert len(ax.lines) == X.shape[0]
    assert_array_equal(ax.lines[0].get_xdata(), wavelengths)
    assert_array_equal(ax.lines[3].get_ydata(), X[3])
    assert ax.get_xlabel() == "Wavelength"
    assert ax.get_title() == "Spectra"


def test_plot_spectra_without_wavelengths_uses_the_index(data):
    X, _, _ = data
    _, ax = plt.subplots()
    assert plot_spectra(X, ax=ax) is ax
    assert ax.get_xlabel() == "Wavelength index"
    assert_array_equal(ax.lines[0].get_xdata(), np.arange(X.shape[1]))


def test_plot_spectra_reads_wavelengths_from_column_names(data):
    pd = pytest.importorskip("pandas")
    X, _, wavelengths = data
    frame = pd.DataFrame(X, columns=[str(w) for w in wavelengths])
    ax = plot_spectra(frame)
    assert_allclose(ax.lines[0].get_xdata(), wavelengths)


def test_plot_spectra_with_transformer_draws_two_axes(data):
    X, _, wavelengths = data
    transformer = make_pipeline(StandardNormalVariate(), SavitzkyGolay(7, 2))
    axes = plot_spectra(X, wavelengths, transformer=transformer)
    assert axes.shape == (2,)
    raw, transformed = axes
    assert raw.figure is transformed.figure
    assert len(raw.figure.axes) == 2
    assert len(raw.lines) == len(transformed.lines) == X.shape[0]
    assert transformed.get_title() == "After StandardNormalVariate + SavitzkyGolay"
    expected = clone(transformer).fit_transform(X)
    assert_allclose(transformed.lines[2].get_ydata(), expected[2])
    assert_array_equal(transformed.lines[0].get_xdata(), wavelengths)
    assert not hasattr(transformer[0], "n_features_in_")  # a clone was fitted


def test_plot_spectra_uses_a_fitted_transformer_as_is(data):
    X, _, _ = data
    msc = MultiplicativeScatterCorrection().fit(X[:5])
    _, ax_after = plot_spectra(X, transformer=msc)
    assert_allclose(ax_after.lines[-1].get_ydata(), msc.transform(X)[-1])


def test_plot_spectra_transformer_changing_the_width(data):
    X, _, wavelengths = data
    _, after = plot_spectra(X, wavelengths, transformer=RangeCut(5, 15))
    assert after.get_xlabel() == "Feature index"
    assert len(after.lines[0].get_xdata()) == 10


def test_plot_spectra_into_given_axes(data):
    X, _, _ = data
    fig, axes = plt.subplots(1, 2)
    out = plot_spectra(X, transformer=StandardNormalVariate(), ax=axes)
    assert list(out) == list(axes)
    with pytest.raises(ValueError, match="ax must hold two Axes"):
        plot_spectra(X, transformer=StandardNormalVariate(), ax=axes[0])


def test_plot_spectra_wavelengths_length_checked(data):
    X, _, wavelengths = data
    with pytest.raises(ValueError, match="wavelengths has 39 values but X has 40"):
        plot_spectra(X, wavelengths[:-1])


# -- plot_predictions ------------------------------------------------------------


def test_plot_predictions():
    rng = np.random.RandomState(0)
    y_true = rng.uniform(0, 10, 30)
    y_pred = y_true + rng.normal(0, 0.5, 30)
    ax = plot_predictions(y_true, y_pred.reshape(-1, 1))
    (points,) = ax.collections
    assert_allclose(points.get_offsets(), np.column_stack([y_true, y_pred]))
    (identity,) = ax.lines
    assert_array_equal(identity.get_xdata(), identity.get_ydata())
    rmse = root_mean_squared_error(y_true, y_pred)
    r2 = r2_score(y_true, y_pred)
    assert ax.get_title() == f"RMSE = {rmse:.3g}, R² = {r2:.3f}"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Measured", "Predicted")
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["Samples", "Identity"]


def test_plot_predictions_lengths_checked():
    with pytest.raises(ValueError, match="different lengths: 3 and 2"):
        plot_predictions([1, 2, 3], [1, 2])


# -- plot_leaderboard -------------------------------------------------------------


def test_plot_leaderboard_one_bar_per_branch():
    names = ["snv_pls", "msc_pls", "raw_ridge", "raw_pls"]
    scores = [0.3, 0.35, 0.9, 1.2]
    errors = [0.01, 0.02, 0.1, 0.2]
    ax = plot_leaderboard(names, scores, errors, xlabel="CV RMSE")
    assert len(ax.patches) == len(names)
    assert [bar.get_width() for bar in ax.patches] == scores
    assert [label.get_text() for label in ax.get_yticklabels()] == names
    assert ax.yaxis_inverted()  # the first branch is drawn at the top
    (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert bars.errorbar is not None
    assert ax.get_xlabel() == "CV RMSE"


def test_plot_leaderboard_without_errors_and_checks():
    ax = plot_leaderboard(["a", "b"], [1.0, 2.0])
    (bars,) = ax.containers
    assert bars.errorbar is None
    with pytest.raises(ValueError, match="different lengths: 2 and 1"):
        plot_leaderboard(["a", "b"], [1.0])
    with pytest.raises(ValueError, match="errors has 1 values for 2 scores"):
        plot_leaderboard(["a", "b"], [1.0, 2.0], [0.1])


# -- plot_search_history ----------------------------------------------------------


def test_plot_search_history_one_point_per_trial(search):
    ax = plot_search_history(search)
    values = [trial.value for trial in search.study_.trials]
    (points,) = ax.collections
    assert len(points.get_offsets()) == len(search.study_.trials) == 7
    assert_allclose(points.get_offsets()[:, 1], values)
    (best,) = ax.lines
    assert_allclose(best.get_ydata(), np.maximum.accumulate(values))
    assert ax.get_xlabel() == "Trial"
    assert ax.get_ylabel() == "score"


def test_plot_search_history_negated_from_a_study(search):
    ax = plot_search_history(search.study_, negate=True, ylabel="CV RMSE")
    values = -np.asarray([trial.value for trial in search.study_.trials])
    assert_allclose(ax.collections[0].get_offsets()[:, 1], values)
    assert_allclose(ax.lines[0].get_ydata(), np.minimum.accumulate(values))
    assert ax.get_ylabel() == "CV RMSE"


def test_plot_search_history_errors():
    optuna = pytest.importorskip("optuna")
    with pytest.raises(NotFittedError):
        plot_search_history(OptunaSearchCV(Ridge(), {"alpha": [1.0]}))
    with pytest.raises(ValueError, match="no completed trial"):
        plot_search_history(optuna.create_study())
