"""BranchComparisonDisplay: one bar per branch, from branches, searches or
out-of-fold predictions."""

import os

import matplotlib.pyplot as plt
import numpy as np
import pytest
from _probes import FailingRegressor, RecordingRegressor, read_log
from joblib import parallel_config
from joblib.externals.loky import get_reusable_executor
from matplotlib.container import BarContainer
from numpy.testing import assert_allclose
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline

from skl_nirs.compose import ParallelBranches
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.plotting import BranchComparisonDisplay
from skl_nirs.preprocessing import StandardNormalVariate
from skl_nirs.utils import _parallel

CV = KFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def problem():
    X, y, _ = make_nirs_regression(n_samples=45, n_wavelengths=30, random_state=0)
    branches = [
        ("raw_pls", PLSRegression(3)),
        ("snv_pls", make_pipeline(StandardNormalVariate(), PLSRegression(3))),
        ("raw_ridge", Ridge(alpha=1e-3)),
    ]
    return X, y, branches


def bar_widths(display):
    return [bar.get_width() for bar in display.bars_]


def test_constructor_and_plot_one_bar_per_branch():
    names = ["snv_pls", "msc_pls", "raw_ridge", "raw_pls"]
    scores = [0.3, 0.35, 0.9, 1.2]
    display = BranchComparisonDisplay(
        names, scores, errors=[0.01, 0.02, 0.1, 0.2], score_name="CV RMSE"
    )
    assert display.plot() is display
    assert isinstance(display.bars_, BarContainer)
    assert display.bars_.errorbar is not None
    assert bar_widths(display) == scores
    ax = display.ax_
    assert display.figure_ is ax.figure
    assert [label.get_text() for label in ax.get_yticklabels()] == names
    assert ax.yaxis_inverted()  # the first branch is drawn at the top
    assert ax.get_xlabel() == "CV RMSE"


def test_plot_again_on_given_axes_negated():
    display = BranchComparisonDisplay(["a", "b"], [-1.0, -2.0]).plot()
    assert display.bars_.errorbar is None
    assert display.ax_.get_xlabel() == "Score"
    _, ax = plt.subplots()
    display.plot(ax=ax, negate_score=True, bar_kwargs={"color": "C3"})
    assert display.ax_ is ax and ax.yaxis_inverted()
    assert bar_widths(display) == [1.0, 2.0]
    assert ax.get_xlabel() == "Negative score"
    display.plot(ax=ax, score_name="RMSE")
    assert ax.yaxis_inverted() and ax.get_xlabel() == "RMSE"


def test_constructor_errors():
    with pytest.raises(ValueError, match="different lengths: 2 and 1"):
        BranchComparisonDisplay(["a", "b"], [1.0]).plot()
    with pytest.raises(ValueError, match="errors has 1 values for 2 scores"):
        BranchComparisonDisplay(["a", "b"], [1.0, 2.0], errors=[0.1]).plot()


def test_from_estimator_cross_validates_the_predictor_branches(problem):
    X, y, branches = problem
    union = ParallelBranches(branches + [("pca", PCA(2)), ("gone", "drop")], cv=CV)
    display = BranchComparisonDisplay.from_estimator(
        union, X, y, scoring="neg_root_mean_squared_error", negate_score=True
    )
    expected = {
        name: cross_val_score(
            branch, X, y, cv=CV, scoring="neg_root_mean_squared_error"
        )
        for name, branch in branches
    }
    order = sorted(expected, key=lambda name: -expected[name].mean())
    assert display.names == order  # ranked, the best first; pca/drop skipped
    assert_allclose(display.scores, [expected[n].mean() for n in order])
    assert_allclose(display.errors, [expected[n].std() for n in order])
    assert_allclose(bar_widths(display), [-expected[n].mean() for n in order])
    assert display.ax_.get_xlabel() == "Root mean squared error"
    assert not hasattr(union, "branches_")  # the branches were cloned


def test_from_estimator_equals_from_predictions_of_out_of_fold(problem):
    X, y, branches = problem
    union = ParallelBranches(branches, cv=CV)
    from_estimator = BranchComparisonDisplay.from_estimator(union, X, y)
    out_of_fold = union.fit_transform(X, y)
    from_predictions = BranchComparisonDisplay.from_predictions(
        y, out_of_fold, names=[n for n, _ in branches], splits=list(CV.split(X))
    )
    assert from_estimator.names == from_predictions.names
    assert_allclose(from_estimator.scores, from_predictions.scores)
    assert_allclose(from_estimator.errors, from_predictions.errors)
    assert from_estimator.score_name == "Score"
    assert from_predictions.score_name == "R2 score"


def test_from_estimator_fits_where_the_work_pays_with_the_same_scores(
    problem, tmp_path, monkeypatch
):
    # a fresh process: no pool running, its start not measured yet
    get_reusable_executor().shutdown(wait=True)
    monkeypatch.setitem(_parallel._pool_start, "seconds", _parallel._POOL_START_SECONDS)
    X, y, branches = problem
    log = str(tmp_path / "fits.log")
    union = ParallelBranches(branches + [("probe", RecordingRegressor(log=log))], cv=CV)
    alone = BranchComparisonDisplay.from_estimator(union, X, y, n_jobs=1)
    # tiny, cheap fits: n_jobs=2 starts no worker process for them
    cheap = BranchComparisonDisplay.from_estimator(union, X, y, n_jobs=2)
    assert {row["pid"] for row in read_log(log)} == {os.getpid()}
    os.remove(log)
    with parallel_config(backend="loky"):  # workers, forced
        forced = BranchComparisonDisplay.from_estimator(union, X, y, n_jobs=2)
    assert os.getpid() not in {row["pid"] for row in read_log(log)}
    for display in (cheap, forced):
        assert display.names == alone.names
        assert_allclose(display.scores, alone.scores, rtol=1e-12)
        assert_allclose(display.errors, alone.errors, rtol=1e-12)
    union.set_params(probe=FailingRegressor(fail=True))
    with pytest.raises(ZeroDivisionError, match="the probe failed on purpose"):
        BranchComparisonDisplay.from_estimator(union, X, y, n_jobs=2)


def test_from_estimator_of_a_search_over_branches(problem):
    X, y, branches = problem
    search = GridSearchCV(
        Pipeline([("branch", branches[0][1])]),
        {"branch": [branch for _, branch in branches]},
        cv=CV,
        scoring="neg_root_mean_squared_error",
    ).fit(X, y)
    display = BranchComparisonDisplay.from_estimator(search)
    results = search.cv_results_
    order = np.argsort(results["rank_test_score"], kind="stable")
    assert display.names == [
        ["PLSRegression", "StandardNormalVariate + PLSRegression", "Ridge"][i]
        for i in order
    ]
    assert_allclose(display.scores, results["mean_test_score"][order])
    assert_allclose(display.errors, results["std_test_score"][order])
    assert display.ax_.get_xlabel() == "Negative root mean squared error"


def test_from_estimator_of_a_multimetric_search_names_the_varying_params(problem):
    X, y, _ = problem
    search = GridSearchCV(
        Ridge(),
        {"alpha": [1e-3, 1.0], "fit_intercept": [True]},
        cv=CV,
        scoring={"r2": "r2", "rmse": "neg_root_mean_squared_error"},
        refit="rmse",
    ).fit(X, y)
    display = BranchComparisonDisplay.from_estimator(search, negate_score=True)
    assert sorted(display.names) == ["0.001", "1"]
    order = np.argsort(search.cv_results_["rank_test_rmse"], kind="stable")
    assert_allclose(display.scores, search.cv_results_["mean_test_rmse"][order])
    assert display.ax_.get_xlabel() == "Root mean squared error"


def test_from_estimator_errors(problem):
    X, y, branches = problem
    search = GridSearchCV(Ridge(), {"alpha": [1.0, 2.0]}, cv=3)
    with pytest.raises(NotFittedError, match="GridSearchCV instance is not fitted"):
        BranchComparisonDisplay.from_estimator(search)
    with pytest.raises(ValueError, match="X and y are not used with a search"):
        BranchComparisonDisplay.from_estimator(search.fit(X, y), X, y)
    union = ParallelBranches(branches, cv=CV)
    with pytest.raises(ValueError, match="X and y are needed to score the branches"):
        BranchComparisonDisplay.from_estimator(union)
    transformers = ParallelBranches([("pca", PCA(2)), ("raw", "passthrough")])
    with pytest.raises(ValueError, match="has no branch ending in a predictor"):
        BranchComparisonDisplay.from_estimator(transformers, X, y)
    union.set_params(cv=[])
    with pytest.raises(ValueError, match=r"ParallelBranches, \[\], gives no split"):
        BranchComparisonDisplay.from_estimator(union, X, y)


def test_from_predictions_pooled_and_ranked_by_error():
    rng = np.random.RandomState(0)
    y = rng.uniform(0, 10, 30)
    y_pred = y[:, np.newaxis] + rng.normal(0, [2.0, 0.5, 1.0], (30, 3))
    display = BranchComparisonDisplay.from_predictions(
        y,
        y_pred,
        names=["bad", "good", "fair"],
        score_func=root_mean_squared_error,
        greater_is_better=False,
    )
    assert display.names == ["good", "fair", "bad"]
    expected = [root_mean_squared_error(y, y_pred[:, i]) for i in (1, 2, 0)]
    assert_allclose(display.scores, expected)
    assert display.errors is None and display.bars_.errorbar is None
    assert display.ax_.get_xlabel() == "Root mean squared error"


def test_from_predictions_of_classes_scores_accuracy():
    y = np.array(["a", "b"] * 6)
    y_pred = np.column_stack([y, np.where(np.arange(12) < 3, "b", y)])
    display = BranchComparisonDisplay.from_predictions(y, y_pred)
    assert display.names == ["branch0", "branch1"]
    assert_allclose(display.scores, [1.0, 10 / 12])
    assert display.ax_.get_xlabel() == "Accuracy score"


def test_from_predictions_errors():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        BranchComparisonDisplay.from_predictions([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="names has 1 values for 2 columns"):
        BranchComparisonDisplay.from_predictions(
            [1.0, 2.0], [[1.0, 2.0], [2.0, 1.0]], names=["a"]
        )


def test_from_estimator_with_class_labels():
    X, y, _ = make_nirs_regression(n_samples=40, n_wavelengths=20, random_state=0)
    labels = np.where(y > np.median(y), "high", "low")
    branches = [
        ("knn", KNeighborsClassifier(3)),
        ("snv_knn", make_pipeline(StandardNormalVariate(), KNeighborsClassifier(3))),
    ]
    display = BranchComparisonDisplay.from_estimator(
        ParallelBranches(branches, cv=CV), X, labels, scoring="accuracy"
    )
    expected = {
        name: cross_val_score(branch, X, labels, cv=CV, scoring="accuracy").mean()
        for name, branch in branches
    }
    assert_allclose(display.scores, [expected[name] for name in display.names])
    assert display.ax_.get_xlabel() == "Accuracy"
    failing = ParallelBranches(branches + [("pls", PLSRegression(2))], cv=CV)
    with pytest.raises(ValueError, match="could not convert string to float"):
        BranchComparisonDisplay.from_estimator(failing, X, labels)
