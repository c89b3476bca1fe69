"""SearchHistoryDisplay: one point per trial and the best score so far."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.model_selection import RandomizedSearchCV

from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.plotting import SearchHistoryDisplay


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


def test_from_estimator_one_point_per_trial(search):
    display = SearchHistoryDisplay.from_estimator(search)
    values = search.cv_results_["mean_test_score"]
    numbers = [trial.number for trial in search.trials_]
    assert_array_equal(display.trial_numbers, numbers)
    assert_allclose(display.scatter_.get_offsets(), np.column_stack([numbers, values]))
    assert_allclose(display.line_.get_ydata(), np.maximum.accumulate(values))
    assert display.ax_.collections[0] is display.scatter_
    assert display.ax_.lines[0] is display.line_
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_xlabel() == "Trial"
    assert display.ax_.get_ylabel() == "Negative root mean squared error"
    legend = [text.get_text() for text in display.ax_.get_legend().get_texts()]
    assert legend == ["Trial", "Best so far"]


def test_negated_into_given_axes(search):
    _, ax = plt.subplots()
    display = SearchHistoryDisplay.from_estimator(
        search, negate_score=True, score_name="CV RMSE", ax=ax
    )
    assert display.ax_ is ax
    values = -search.cv_results_["mean_test_score"]
    assert_allclose(display.scatter_.get_offsets()[:, 1], values)
    assert_allclose(display.line_.get_ydata(), np.minimum.accumulate(values))
    assert ax.get_ylabel() == "CV RMSE"


def test_constructor_equals_from_estimator_and_plots_again(search):
    numbers = [trial.number for trial in search.trials_]
    display = SearchHistoryDisplay(numbers, search.cv_results_["mean_test_score"]).plot(
        negate_score=True
    )
    reference = SearchHistoryDisplay.from_estimator(search, negate_score=True)
    assert_allclose(display.line_.get_ydata(), reference.line_.get_ydata())
    assert display.ax_.get_ylabel() == "Negative score"
    _, ax = plt.subplots()
    display.plot(ax=ax, line_kwargs={"color": "k"}, scatter_kwargs={"s": 4})
    assert display.ax_ is ax and display.line_.get_color() == "k"
    assert_allclose(display.scatter_.get_sizes(), [4])


def test_failed_trials_are_skipped_by_the_best_line():
    display = SearchHistoryDisplay([0, 1, 2, 3], [-2.0, np.nan, -1.0, -3.0]).plot()
    assert_allclose(display.line_.get_ydata(), [-2.0, -2.0, -1.0, -1.0])


def test_any_scikit_learn_search(data):
    X, y, _ = data
    search = RandomizedSearchCV(
        Ridge(), {"alpha": [1e-3, 1e-1, 1.0, 10.0]}, n_iter=3, cv=3, random_state=0
    ).fit(X, y)
    display = SearchHistoryDisplay.from_estimator(search)
    assert_array_equal(display.trial_numbers, [0, 1, 2])
    assert_allclose(display.scores, search.cv_results_["mean_test_score"])
    assert display.ax_.get_ylabel() == "Score"


def test_errors():
    with pytest.raises(NotFittedError, match="OptunaSearchCV instance is not fitted"):
        SearchHistoryDisplay.from_estimator(OptunaSearchCV(Ridge(), {"alpha": [1.0]}))
    with pytest.raises(ValueError, match="different lengths: 2 and 1"):
        SearchHistoryDisplay([0, 1], [1.0]).plot()
