import collections
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import optuna
import pytest
from _probes import FailingRegressor, RecordingRegressor, read_log
from joblib import parallel_backend
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn import config_context
from sklearn.base import is_classifier, is_regressor
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict
from sklearn.pipeline import Pipeline

import skl_nirs
from skl_nirs.compose import ParallelBranches
from skl_nirs.model_selection import OptunaSearchCV


def _pls_search(**params):
    defaults = dict(n_trials=8, cv=3, random_state=0)
    return OptunaSearchCV(
        PLSRegression(),
        {"n_components": ("int", 1, 12)},
        **(defaults | params),
    )


def test_headline_import_and_roles():
    assert skl_nirs.OptunaSearchCV is OptunaSearchCV
    assert is_regressor(OptunaSearchCV(Ridge(), {"alpha": [1.0]}))
    assert is_classifier(OptunaSearchCV(LogisticRegression(), {"C": [1.0]}))


def test_same_results_as_grid_search(spectra):
    X, y = spectra
    grid = {"n_components": [1, 2, 3, 4, 5, 6]}
    reference = GridSearchCV(PLSRegression(), grid, cv=3).fit(X, y)
    search = OptunaSearchCV(
        PLSRegression(),
        grid,
        n_trials=6,
        cv=3,
        sampler=optuna.samplers.BruteForceSampler(seed=0),
    ).fit(X, y)
    assert set(search.cv_results_) == set(reference.cv_results_)
    order = np.argsort(search.cv_results_["param_n_components"])
    for key in ("mean_test_score", "std_test_score", "rank_test_score"):
        assert_allclose(search.cv_results_[key][order], reference.cv_results_[key])
    assert search.best_params_ == reference.best_params_
    assert search.best_score_ == pytest.approx(reference.best_score_)
    assert_allclose(search.predict(X), reference.predict(X))
    assert search.n_splits_ == 3 and search.n_features_in_ == 60
    assert len(search.trials_) == 6 and search.refit_time_ > 0


def test_compact_tuple_specs(spectra):
    X, y = spectra
    space = {
        "alpha": ("float_log", 1e-3, 1e2),
        "tol": ("float", 1e-5, 1e-3),
        "max_iter": ("int", 100, 200, 10),
        "random_state": ("int_log", 1, 1000),
        "fit_intercept": [True, False],
    }
    search = OptunaSearchCV(Ridge(), space, n_trials=6, cv=3, random_state=0)
    search.fit(X, y)
    for params in search.cv_results_["params"]:
        assert 1e-3 <= params["alpha"] <= 1e2
        assert 1e-5 <= params["tol"] <= 1e-3
        assert params["max_iter"] % 10 == 0 and 100 <= params["max_iter"] <= 200
        assert isinstance(params["random_state"], int)
        assert params["fit_intercept"] in (True, False)
    distribution = search.study_.trials[0].distributions["alpha"]
    assert distribution.log and distribution.low == 1e-3


def test_scipy_distributions_as_in_randomized_search(spectra):
    X, y = spectra
    pipe = Pipeline([("pca", PCA()), ("ridge", Ridge())])
    scipy_space = {
        "pca__n_components": stats.randint(1, 13),
        "ridge__alpha": stats.loguniform(1e-3, 1e2),
    }
    compact = {
        "pca__n_components": ("int", 1, 12),
        "ridge__alpha": ("float_log", 1e-3, 1e2),
    }
    searches = [
        OptunaSearchCV(pipe, space, n_trials=16, cv=3, random_state=0).fit(X, y)
        for space in (scipy_space, compact)
    ]
    # the same Optuna distributions: the same trials, value for value
    results, reference = (search.cv_results_ for search in searches)
    assert results["params"] == reference["params"]
    assert_allclose(results["mean_test_score"], reference["mean_test_score"])
    for params in results["params"]:
        assert 1e-3 <= params["ridge__alpha"] <= 1e2
        assert params["pca__n_components"] in range(1, 13)
    # sensible: as good as the best of a grid over the same support
    grid = GridSearchCV(
        pipe,
        {"pca__n_components": [2, 4, 6, 8, 10, 12], "ridge__alpha": [1e-3, 1e-1, 10]},
        cv=3,
    ).fit(X, y)
    assert searches[0].best_score_ >= grid.best_score_ - 0.05


def test_other_scipy_distributions_by_their_inverse_cdf(spectra):
    X, y = spectra
    space = {
        "alpha": stats.expon(scale=10.0),
        "max_iter": stats.poisson(200),
        "tol": stats.uniform(1e-5, 1e-3),
    }
    search = OptunaSearchCV(Ridge(), space, n_trials=6, cv=3, random_state=0)
    search.fit(X, y)
    for trial, params in zip(search.trials_, search.cv_results_["params"]):
        quantiles = trial.params
        assert params["alpha"] == pytest.approx(space["alpha"].ppf(quantiles["alpha"]))
        assert params["max_iter"] == space["max_iter"].ppf(quantiles["max_iter"])
        assert isinstance(params["max_iter"], int) and params["alpha"] > 0
        assert 1e-5 <= params["tol"] == quantiles["tol"] <= 1e-5 + 1e-3


def test_list_of_spaces_and_estimator_choices(spectra):
    X, y = spectra
    pipe = Pipeline([("model", Ridge())])
    space = [
        {"model": [Ridge()], "model__alpha": ("float_log", 1e-3, 1e2)},
        {"model": [PLSRegression()], "model__n_components": ("int", 1, 8)},
    ]
    search = OptunaSearchCV(pipe, space, n_trials=12, cv=3, random_state=0)
    search.fit(X, y)
    kinds = set()
    for params in search.cv_results_["params"]:
        model = params["model"]
        kinds.add(type(model))
        other = "model__n_components" if isinstance(model, Ridge) else "model__alpha"
        assert other not in params
    assert kinds == {Ridge, PLSRegression}
    # the user's choices are not fitted: the refit works on clones
    assert not hasattr(space[0]["model"][0], "coef_")
    assert type(search.best_estimator_["model"]) in kinds


@pytest.mark.parametrize(
    "space, error, match",
    [
        ({"alpha": ("float", 1.0)}, ValueError, r"\['alpha'\]: 'float' takes"),
        ({"alpha": ("normal", 0, 1)}, ValueError, r"\['alpha'\] must be an Optuna"),
        ({"alpha": []}, ValueError, r"\['alpha'\] is an empty list"),
        ({"alpha": ("float_log", 0.0, 1.0)}, ValueError, r"\['alpha'\]: .*low"),
        ({"alpha": ("int", 1.5, 3)}, TypeError, r"\['alpha'\]: the bounds of 'int'"),
        ({"alpha": ("int_log", 1, 9, 2)}, ValueError, r"'int_log' takes \(low, high\)"),
        # once an OverflowError from numpy at the first trial
        (
            {"alpha": ("float", 0.0, np.nan)},
            ValueError,
            r"\['alpha'\]: high=nan is not",
        ),
        ({"alpha": ("float", -np.inf, 1.0)}, ValueError, r"low=-inf is not a finite"),
        ({"alpha": ("float", 0.0, 1.0, np.inf)}, ValueError, r"step=inf is not a fi"),
        ({"alpha": ("float", 2.0, 1.0)}, ValueError, r"low=2.0 is greater than high"),
        (
            {"alpha": optuna.distributions.FloatDistribution(0.0, np.inf)},
            ValueError,
            r"\['alpha'\]: high=inf is not a finite number",
        ),
        ({"a": [Ridge(), Ridge()]}, ValueError, r"\['a'\] holds the same choice tw"),
        ({1: [1.0]}, TypeError, "keys must be parameter names"),
        ([], TypeError, "non-empty list"),
        ([{"alpha": [1.0]}, "x"], TypeError, "got 'x' in the list"),
        (
            {"alpha": stats.loguniform},
            TypeError,
            r"\['alpha'\] is scipy.stats.loguniform without its parameters",
        ),
        (
            {"alpha": stats.loguniform(1e2, 1e-3)},
            ValueError,
            r"\['alpha'\]: scipy.stats.loguniform has invalid parameters",
        ),
        (
            {"alpha": stats.multivariate_normal([0.0, 0.0])},
            TypeError,
            r"\['alpha'\] has an rvs method but is not a frozen scipy.stats",
        ),
    ],
)
def test_invalid_space_fails_before_any_trial(spectra, tmp_path, space, error, match):
    X, y = spectra
    log = tmp_path / "fits.log"
    search = OptunaSearchCV(RecordingRegressor(log=str(log)), space, n_trials=2)
    with pytest.raises(error, match=match):
        search.fit(X, y)
    assert not log.exists()


def test_multimetric_refit(spectra):
    X, y = spectra
    scoring = {"r2": "r2", "rmse": "neg_root_mean_squared_error"}
    search = _pls_search(scoring=scoring, refit="rmse", return_train_score=True)
    search.fit(X, y)
    results = search.cv_results_
    for key in ("mean_test_r2", "rank_test_rmse", "split2_test_rmse", "mean_train_r2"):
        assert key in results
    assert search.best_index_ == np.argmin(results["rank_test_rmse"])
    assert search.best_score_ == results["mean_test_rmse"][search.best_index_]
    assert set(search.scorer_) == {"r2", "rmse"} and search.multimetric_
    # Optuna maximised the refit metric
    best = max(search.trials_, key=lambda t: t.value)
    assert search.trials_[search.best_index_].number == best.number

    def pick_fewest_components(results):
        return int(np.argmin(results["param_n_components"]))

    search = _pls_search(scoring=scoring, refit=pick_fewest_components).fit(X, y)
    assert search.best_params_["n_components"] == min(
        search.cv_results_["param_n_components"]
    )
    with pytest.raises(ValueError, match="For multi-metric scoring"):
        _pls_search(scoring=scoring, refit=True).fit(X, y)


def test_fresh_study_per_fit_and_user_objects_untouched(spectra):
    X, y = spectra
    sampler = optuna.samplers.TPESampler(seed=3)
    state = pickle.dumps(sampler)
    search = _pls_search(sampler=sampler, random_state=None)
    first = search.fit(X, y).study_
    assert len(first.trials) == 8
    second = search.fit(X, y).study_
    assert second is not first and len(second.trials) == 8
    assert pickle.dumps(sampler) == state
    assert [t.params for t in first.trials] == [t.params for t in second.trials]


def test_reproducible_with_a_seed_for_any_n_jobs(spectra, force_workers):
    X, y = spectra
    reference = _pls_search(n_jobs=1).fit(X, y)
    for n_jobs, backend in ((2, "loky"), (2, "threading"), (-1, "loky")):
        with parallel_backend(backend):
            search = _pls_search(n_jobs=n_jobs).fit(X, y)
        assert [t.params for t in search.study_.trials] == [
            t.params for t in reference.study_.trials
        ]
        assert search.best_params_ == reference.best_params_
        assert_array_equal(
            search.cv_results_["mean_test_score"],
            reference.cv_results_["mean_test_score"],
        )


def test_repeated_candidates_are_evaluated_once(spectra, tmp_path):
    X, y = spectra
    log = tmp_path / "fits.log"
    search = OptunaSearchCV(
        RecordingRegressor(log=str(log)),
        {"sleep": [0.0, 0.001, 0.002]},
        n_trials=10,
        cv=3,
        random_state=0,
    ).fit(X, y)
    assert len(search.study_.trials) == 10
    assert len(search.cv_results_["params"]) == 3
    assert len(read_log(log)) == 3 * 3 + 1  # 3 candidates x 3 folds + refit
    reused = [t for t in search.study_.trials if "skl_nirs:reused_from" in t.user_attrs]
    assert len(reused) == 7
    assert all(t.value is not None for t in search.study_.trials)


def test_trials_run_in_worker_processes_by_default(spectra, tmp_path, force_workers):
    X, y = spectra
    log = tmp_path / "fits.log"
    space = {"sleep": [0.0, 0.001, 0.002, 0.003]}
    OptunaSearchCV(
        RecordingRegressor(log=str(log)), space, n_trials=4, cv=3, n_jobs=2
    ).fit(X, y)
    pids = {row["pid"] for row in read_log(log)[:-1]}  # the last one is the refit
    assert os.getpid() not in pids
    os.remove(log)
    with parallel_backend("threading"), config_context(assume_finite=True):
        search = OptunaSearchCV(
            RecordingRegressor(log=str(log)), space, n_trials=4, cv=3, n_jobs=2
        ).fit(X, y)
    rows = read_log(log)
    assert {row["pid"] for row in rows} == {os.getpid()}
    assert all(row["assume_finite"] for row in rows)
    assert search.parallel_plan_["backend"] == "threading"
    assert search.parallel_plan_["n_workers"] == 2


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_config_reaches_trial_fits(spectra, tmp_path, backend, force_workers):
    X, y = spectra
    log = tmp_path / "fits.log"
    with parallel_backend(backend), config_context(assume_finite=True):
        OptunaSearchCV(
            RecordingRegressor(log=str(log)),
            {"sleep": [0.0, 0.001]},
            n_trials=2,
            cv=3,
            n_jobs=2,
        ).fit(X, y)
    assert all(row["assume_finite"] for row in read_log(log))


def test_error_score(spectra):
    X, y = spectra
    space = {"fail": [True, False]}
    with pytest.raises(ZeroDivisionError, match="the probe failed on purpose"):
        OptunaSearchCV(
            FailingRegressor(), space, n_trials=4, error_score="raise", random_state=0
        ).fit(X, y)
    both = optuna.samplers.BruteForceSampler(seed=0)  # tries fail=True and False
    with pytest.warns(FitFailedWarning, match="fits failed out of a total of"):
        search = OptunaSearchCV(
            FailingRegressor(), space, cv=3, error_score=-99.0, sampler=both
        ).fit(X, y)
    failed = [p["fail"] for p in search.cv_results_["params"]].index(True)
    assert search.cv_results_["mean_test_score"][failed] == -99.0
    assert search.best_params_ == {"fail": False}
    with pytest.warns(FitFailedWarning):
        search = OptunaSearchCV(FailingRegressor(), space, cv=3, sampler=both).fit(X, y)
    states = {t.params["fail"]: t.state for t in search.study_.trials}
    assert states[True] == optuna.trial.TrialState.FAIL
    assert states[False] == optuna.trial.TrialState.COMPLETE


def test_pruning_stops_bad_candidates_after_first_folds(spectra, tmp_path):
    X, y = spectra
    log = tmp_path / "fits.log"
    estimator = Pipeline([("model", RecordingRegressor(log=str(log)))])
    # offsets make some candidates hopeless; their first fold shows it
    space = {"model": [FailingRegressor(offset=o) for o in (0.0, 5.0, 10.0, 20.0)]}
    search = OptunaSearchCV(
        estimator,
        space,
        n_trials=8,
        cv=5,
        batch_size=1,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0),
        sampler=optuna.samplers.BruteForceSampler(seed=0),
    ).fit(X, y)
    states = [t.state for t in search.study_.trials]
    pruned = [t for t in search.study_.trials if t.state.name == "PRUNED"]
    assert pruned, states
    assert all(len(t.intermediate_values) < 5 for t in pruned)
    assert search.best_params_["model"].offset == 0.0
    assert len(search.cv_results_["params"]) == len(search.study_.trials) - len(pruned)


def test_cross_val_predict_and_pipeline(spectra):
    X, y = spectra
    predictions = cross_val_predict(_pls_search(n_trials=3), X, y, cv=KFold(3))
    assert predictions.shape == (40,)
    outer = Pipeline([("search", _pls_search(n_trials=3))]).fit(X, y)
    assert outer.predict(X).shape == (40,)


def test_persistence_in_a_fresh_process(spectra, tmp_path):
    X, y = spectra
    search = _pls_search(n_trials=4).fit(X, y)
    joblib.dump(search, tmp_path / "search.joblib")
    np.save(tmp_path / "X.npy", X)
    code = (
        "import joblib, numpy as np;"
        f"m = joblib.load({str(tmp_path / 'search.joblib')!r});"
        f"np.save({str(tmp_path / 'pred.npy')!r}, "
        f"m.predict(np.load({str(tmp_path / 'X.npy')!r})))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert_array_equal(np.load(tmp_path / "pred.npy"), search.predict(X))


def test_tunes_parallel_branches(spectra):
    X, y = spectra
    stack = ParallelBranches(
        [("pls", PLSRegression()), ("ridge", Ridge())], final_estimator=Ridge(), cv=3
    )
    space = {
        "pls__n_components": ("int", 1, 8),
        "ridge": [Ridge(), "drop"],
        "final_estimator": [Ridge(), LinearRegression()],
    }
    search = OptunaSearchCV(stack, space, n_trials=8, cv=3, random_state=0)
    search.fit(X, y)
    seen = {str(p["ridge"]) for p in search.cv_results_["params"]}
    assert seen <= {"Ridge()", "drop"}
    best = search.best_estimator_
    assert isinstance(best, ParallelBranches)
    assert (
        best.named_branches_["pls"].n_components
        == search.best_params_["pls__n_components"]
    )


def test_delegation_follows_best_estimator(spectra):
    X, y = spectra
    labels = (y > np.median(y)).astype(int)
    search = OptunaSearchCV(
        LogisticRegression(), {"C": ("float_log", 0.01, 100)}, n_trials=3, cv=3
    ).fit(X, labels)
    assert search.predict_proba(X).shape == (40, 2)
    assert_array_equal(search.classes_, [0, 1])
    assert not hasattr(_pls_search().fit(X, y), "predict_proba")


class CountingCallback:
    """A scikit-learn callback (sklearn.callback.FitCallback) counting its calls."""

    def __init__(self):
        self.calls, self.tasks = collections.Counter(), []

    def setup(self, estimator, context):
        self.calls["setup"] += 1

    def teardown(self, estimator, context):
        self.calls["teardown"] += 1

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None):
        self.calls["on_fit_task_begin"] += 1
        self.tasks.append((context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None):
        self.calls["on_fit_task_end"] += 1


def test_scikit_learn_callbacks_as_in_grid_search(spectra):
    pytest.importorskip("sklearn.callback")  # scikit-learn >= 1.9
    X, y = spectra
    grid = {"alpha": [0.1, 1.0, 10.0]}
    reference, counted = CountingCallback(), CountingCallback()
    GridSearchCV(Ridge(), grid, cv=3).set_callbacks(reference).fit(X, y)
    search = OptunaSearchCV(
        Ridge(),
        grid,
        n_trials=3,
        cv=3,
        sampler=optuna.samplers.BruteForceSampler(seed=0),
    )
    search.set_callbacks(counted).fit(X, y)
    # the fit, the search, 3 candidates x 3 folds and the refit
    assert counted.calls["on_fit_task_begin"] == 12
    assert counted.calls == reference.calls
    assert sorted(counted.tasks) == sorted(reference.tasks)


def test_callbacks_are_optuna_callbacks(spectra):
    X, y = spectra
    search = OptunaSearchCV(Ridge(), {"alpha": [1.0]}, callbacks=[CountingCallback()])
    with pytest.raises(
        TypeError,
        match=r"callbacks holds CountingCallback, a scikit-learn callback; .* "
        r"Set scikit-learn's callbacks with set_callbacks\(\)",
    ):
        search.fit(X, y)


def test_check_input_parameters_hook_is_called(spectra):
    X, y = spectra

    class Checked(OptunaSearchCV):
        def _check_input_parameters(self, X, y, split_params):
            raise ValueError(f"checked {len(X)} rows")

    with pytest.raises(ValueError, match=f"checked {len(X)} rows"):
        Checked(Ridge(), {"alpha": [1.0]}, n_trials=1).fit(X, y)


def test_timeout_and_callbacks(spectra):
    X, y = spectra
    seen = []
    search = _pls_search(
        n_trials=None, timeout=0.5, callbacks=[lambda s, t: seen.append(t.number)]
    ).fit(X, y)
    assert len(search.study_.trials) >= 1
    assert seen == [t.number for t in search.study_.trials]


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(study_name="s"), ValueError, "study_name='s' needs a storage"),
        (dict(n_trials=None), ValueError, "n_trials=None needs a timeout"),
        (dict(n_trials=0), ValueError, "'n_trials' parameter"),
        (dict(batch_size=0), ValueError, "'batch_size' parameter"),
        (dict(n_jobs=0), ValueError, "'n_jobs' parameter of OptunaSearchCV .* Got 0"),
        (dict(sampler="tpe"), ValueError, "'sampler' parameter"),
        (dict(storage="nosuchdb://x"), ValueError, "storage='nosuchdb://x' could"),
    ],
)
def test_bad_parameters(spectra, params, error, match):
    X, y = spectra
    with pytest.raises(error, match=match):
        _pls_search(**params).fit(X, y)


def test_y_required(spectra):
    X, _ = spectra
    with pytest.raises(ValueError, match="requires y to be passed"):
        _pls_search().fit(X)


def test_verbose_prints_plan_and_progress(spectra, capsys):
    X, y = spectra
    _pls_search(n_trials=3, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "[OptunaSearchCV] sequential (n_jobs=None); inner n_jobs <= " in out
    assert " tasks in the caller (" in out  # (of the whole search)
    assert "[OptunaSearchCV] 3 trials" in out


def test_verbose_counts_new_candidates_in_words(spectra, capsys):
    X, y = spectra
    _pls_search(n_trials=2, batch_size=1, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "1 new candidate evaluated" in out and "1 new candidates" not in out


def test_a_batch_of_failures_does_not_end_the_search(spectra):
    X, y = spectra
    # the first batch holds only failing candidates; later ones succeed
    space = {"fail": [True, False]}
    sampler = optuna.samplers.BruteForceSampler(seed=0)
    with pytest.warns(FitFailedWarning, match="3 fits failed out of a total of 6"):
        search = OptunaSearchCV(
            FailingRegressor(), space, n_trials=2, cv=3, batch_size=1, sampler=sampler
        ).fit(X, y)
    assert search.best_params_ == {"fail": False}
    with pytest.raises(ValueError, match="All the 3 fits failed"):
        OptunaSearchCV(FailingRegressor(fail=True), {"offset": [0.0]}, cv=3).fit(X, y)


def test_choices_that_compare_equal_stay_apart(spectra):
    X, y = spectra
    from sklearn.ensemble import RandomForestRegressor

    search = OptunaSearchCV(
        RandomForestRegressor(n_estimators=3, random_state=0),
        {"max_features": [1.0, 1], "max_depth": np.array([2, 3])},
        cv=3,
        sampler=optuna.samplers.BruteForceSampler(seed=0),
    ).fit(X, y)
    seen = {
        (type(p["max_features"]), p["max_features"])
        for p in search.cv_results_["params"]
    }
    assert seen == {(float, 1.0), (int, 1)}
    assert {p["max_depth"] for p in search.cv_results_["params"]} == {2, 3}


def test_callable_multimetric_scoring_with_a_failing_batch(spectra):
    X, y = spectra

    def scores(estimator, X, y):
        return {"r2": estimator.score(X, y), "neg": -estimator.score(X, y)}

    with pytest.warns(FitFailedWarning):
        search = OptunaSearchCV(
            FailingRegressor(),
            {"fail": [True, False]},
            scoring=scores,
            refit="r2",
            cv=3,
            batch_size=1,
            sampler=optuna.samplers.BruteForceSampler(seed=0),
        ).fit(X, y)
    failed = [p["fail"] for p in search.cv_results_["params"]].index(True)
    assert np.isnan(search.cv_results_["mean_test_r2"][failed])
    assert search.best_params_ == {"fail": False}


def test_all_pruned_is_reported_as_such(spectra):
    X, y = spectra
    with pytest.raises(ValueError, match="the pruner stopped all of them"):
        _pls_search(pruner=optuna.pruners.ThresholdPruner(lower=2.0)).fit(X, y)


def test_an_error_does_not_leave_trials_running(spectra, tmp_path):
    X, y = spectra
    url = f"sqlite:///{tmp_path / 'study.db'}"
    search = OptunaSearchCV(
        FailingRegressor(),
        {"fail": [True]},
        error_score="raise",
        storage=url,
        study_name="s",
        n_trials=4,
    )
    with pytest.raises(ZeroDivisionError):
        search.fit(X, y)
    states = {t.state for t in optuna.load_study(study_name="s", storage=url).trials}
    assert states == {optuna.trial.TrialState.FAIL}


def test_pickled_search_does_not_need_its_storage(spectra, tmp_path):
    X, y = spectra
    url = f"sqlite:///{tmp_path / 'study.db'}"
    search = _pls_search(n_trials=3, storage=url, study_name="s").fit(X, y)
    joblib.dump(search, tmp_path / "search.joblib")
    (tmp_path / "study.db").rename(tmp_path / "moved.db")
    loaded = joblib.load(tmp_path / "search.joblib")
    assert loaded.study_ is None and len(loaded.trials_) == len(search.trials_)
    assert_array_equal(loaded.predict(X), search.predict(X))
    assert not (tmp_path / "study.db").exists()
