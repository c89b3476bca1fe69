"""OptunaSearchCV on shared Optuna storages: several processes, interrupt, resume.

The PostgreSQL cases need a server: ``.ci/run`` starts one and exports its URL
in SKL_NIRS_TEST_POSTGRES_URL; without it they skip.
"""

import functools
import json
import math
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import optuna
import pytest
from _search_process import make_search, make_storage
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import fbeta_score, make_scorer, mean_absolute_error, r2_score
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV, _study
from skl_nirs.model_selection._study import _FOLDS, _REUSED
from skl_nirs.model_selection._study import scoring_id as _scoring_id

SCRIPT = Path(__file__).with_name("_search_process.py")
TESTS = Path(__file__).parents[1]


@pytest.fixture
def data():
    X, y, _ = make_nirs_regression(60, 100, random_state=0)
    return X, y


POSTGRES_URL = "SKL_NIRS_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_url():
    """A fresh schema in the test server's database, dropped afterwards."""
    url = os.environ.get(POSTGRES_URL)
    if not url:
        pytest.skip(
            f"{POSTGRES_URL} is not set: no PostgreSQL server to test on "
            "(.ci/run starts one)"
        )
    import sqlalchemy

    schema = f"skl_nirs_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    yield f"{url}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["journal", "sqlite", "postgresql"])
def storage(request, tmp_path):
    if request.param == "journal":
        return f"journal:{tmp_path / 'study.log'}"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    return request.getfixturevalue("postgres_url")


def _launch(
    storage, study_name, n_trials, out, sleep=0.0, seed=None, batch_size=2, barrier=()
):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(SCRIPT.parent)]))
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), storage, study_name, str(n_trials), str(out)]
        + [f"--sleep={sleep}", f"--batch-size={batch_size}"]
        + ([] if seed is None else [f"--seed={seed}"])
        + (["--barrier", *map(str, barrier)] if barrier else []),
        env=env,
    )


def _load(storage, study_name):
    return optuna.load_study(study_name=study_name, storage=make_storage(storage))


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["journal", "sqlite"])  # 4 processes: all three
def test_two_processes_share_one_study(kind, tmp_path):
    storage = {
        "journal": f"journal:{tmp_path / 'study.log'}",
        "sqlite": f"sqlite:///{tmp_path / 'study.db'}",
    }[kind]
    # both processes create the storage and the study: one of them retries
    outs = [tmp_path / "first.json", tmp_path / "second.json"]
    processes = [_launch(storage, "shared", 20, out, sleep=0.01) for out in outs]
    assert [p.wait() for p in processes] == [0, 0]
    reports = [json.loads(out.read_text()) for out in outs]

    trials = _load(storage, "shared").trials
    assert {t.state for t in trials} == {optuna.trial.TrialState.COMPLETE}
    assert len(trials) >= 20
    numbers = [t.number for t in trials]
    assert len(set(numbers)) == len(numbers)
    told = reports[0]["told"] + reports[1]["told"]
    assert sorted(told) == sorted(numbers)  # none lost, none told twice
    assert reports[0]["told"] and reports[1]["told"]  # both contributed
    # the process that finishes last sees every candidate of the study
    evaluated = {t.params["ridge__alpha"] for t in trials if _FOLDS in t.user_attrs}
    assert max(report["rows"] for report in reports) == len(evaluated)
    best = max(t.value for t in trials)
    assert max(r["best_score"] for r in reports) == pytest.approx(best)


@pytest.mark.timeout(240)
def test_killed_search_resumes_where_it_stopped(storage, tmp_path, data, monkeypatch):
    X, y = data
    # the killed process's RUNNING trials stop counting after this
    monkeypatch.setattr(_study, "_STALE_AFTER", 1.0)
    process = _launch(storage, "resumable", 30, tmp_path / "killed.json", sleep=0.05)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        time.sleep(0.5)
        assert process.poll() is None, "the search process ended before it was killed"
        try:
            done = [
                t for t in _load(storage, "resumable").trials if t.state.is_finished()
            ]
        except KeyError:  # the study is not created yet
            continue
        if len(done) >= 6:
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = {
        t.number: t.value
        for t in _load(storage, "resumable").trials
        if t.state == optuna.trial.TrialState.COMPLETE
    }
    assert len(before) >= 6

    search = make_search(storage, "resumable", 30, sleep=0.05).fit(X, y)
    trials = search.study_.trials
    finished = [t for t in trials if t.state.is_finished()]
    assert len(finished) == 30  # continued to the requested number, not 30 more
    after = {t.number: t.value for t in finished}
    assert all(after[number] == value for number, value in before.items())
    evaluated = {t.number for t in search.trials_}
    reused = {t.number for t in finished if _REUSED in t.user_attrs}
    assert evaluated | reused == set(after)  # cv_results_ covers every trial
    assert len(search.cv_results_["params"]) == len(evaluated)
    # trials left running by the killed process are not counted
    running = [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]
    assert len(trials) == 30 + len(running)


def test_storage_errors(tmp_path, data):
    X, y = data
    with pytest.raises(ValueError, match="storage='sqlite:////no/such/dir/x.db'"):
        make_search("sqlite:////no/such/dir/x.db", "s", 2).fit(X, y)

    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(storage=url, study_name="minimised", direction="minimize")
    with pytest.raises(ValueError, match="'minimised' in storage is set to MINIMIZE"):
        make_search(url, "minimised", 2).fit(X, y)

    make_search(url, "r2", 2).fit(X, y)
    search = make_search(url, "r2", 4).set_params(
        scoring="neg_mean_squared_error", refit="neg_mean_squared_error"
    )
    search.set_params(scoring={"neg_mean_squared_error": "neg_mean_squared_error"})
    with pytest.raises(ValueError, match="objective='score', not 'neg_mean_sq"):
        search.fit(X, y)
    with pytest.raises(ValueError, match="n_splits=3, not 5"):
        make_search(url, "r2", 4).set_params(cv=5).fit(X, y)


def test_creation_races_are_recognised_by_type(monkeypatch):
    import sqlalchemy.exc

    class OperationalError(Exception):
        """Named like SQLAlchemy's, but no creation race."""

    calls = []
    raised = iter(
        [
            sqlalchemy.exc.OperationalError("CREATE TABLE", {}, "database is locked"),
            optuna.exceptions.DuplicatedStudyError("created meanwhile"),
        ]
    )

    def create_study(**kwargs):
        calls.append(kwargs["study_name"])
        error = next(raised, None)
        if error is not None:
            raise error
        return "study"

    monkeypatch.setattr(optuna, "create_study", create_study)
    monkeypatch.setattr(_study.time, "sleep", lambda seconds: None)
    assert _study.open_study("sqlite://", "s", None, None) == "study"
    assert calls == ["s"] * 3

    def homonym(**kwargs):
        calls.append(kwargs["study_name"])
        raise OperationalError("not a race")

    calls.clear()
    monkeypatch.setattr(optuna, "create_study", homonym)
    with pytest.raises(ValueError, match="could not be opened: OperationalError"):
        _study.open_study("sqlite://", "s", None, None)
    assert calls == ["s"]


def test_a_seeded_search_explores_new_candidates_when_resumed(tmp_path, data):
    X, y = data
    url = f"sqlite:///{tmp_path / 'study.db'}"
    make_search(url, "seeded", 5).set_params(random_state=0).fit(X, y)
    search = make_search(url, "seeded", 10).set_params(random_state=0).fit(X, y)
    assert len(search.cv_results_["params"]) == 10  # 5 new candidates, not repeats


def test_a_seeded_search_on_a_new_study_is_reproducible(tmp_path):
    # in two processes, as a user running the same script twice
    reports = []
    for run in ("first", "second"):
        out = tmp_path / f"{run}.json"
        _launch(f"sqlite:///{tmp_path / run}.db", "seeded", 6, out, seed=0).wait()
        reports.append(json.loads(out.read_text()))
    assert reports[0]["params"] == reports[1]["params"]
    assert len(reports[0]["params"]) == 6


def test_a_change_of_scoring_is_refused(tmp_path, data):
    X, y = data
    url = f"sqlite:///{tmp_path / 'study.db'}"
    make_search(url, "r2", 2).fit(X, y)
    with pytest.raises(ValueError, match="scoring='None', not 'neg_mean_squared"):
        make_search(url, "r2", 4).set_params(scoring="neg_mean_squared_error").fit(X, y)


def test_a_change_of_scorer_object_is_refused(tmp_path, data):
    X, y = data
    url = f"sqlite:///{tmp_path / 'study.db'}"
    r2 = make_scorer(r2_score)
    make_search(url, "scorers", 2).set_params(scoring=r2).fit(X, y)
    make_search(url, "scorers", 3).set_params(scoring=make_scorer(r2_score)).fit(X, y)
    mae = make_scorer(mean_absolute_error, greater_is_better=False)
    with pytest.raises(ValueError, match="scoring=.*r2_score.*, not .*mean_absolute"):
        make_search(url, "scorers", 4).set_params(scoring=mae).fit(X, y)


def test_scoring_ids_are_stable_and_tell_options_apart():
    def fbeta(beta):
        return make_scorer(functools.partial(fbeta_score, beta=beta))

    assert _scoring_id(fbeta(2)) == _scoring_id(fbeta(2))  # no object addresses
    assert _scoring_id(fbeta(2)) != _scoring_id(fbeta(3))
    assert _scoring_id({"a": fbeta(2), "b": "r2"}) != _scoring_id({"a": fbeta(3)})


# -- a study refuses what it cannot compare -----------------------------------


def _model_search(storage, study_name, choices, n_trials=2, **params):
    return OptunaSearchCV(
        Pipeline([("model", Ridge())]),
        {"model": choices},
        n_trials=n_trials,
        cv=3,
        storage=make_storage(storage),
        study_name=study_name,
        **params,
    )


def _n_trials(storage, study_name):
    return len(_load(storage, study_name).trials)


def test_other_data_is_refused_before_any_trial(storage, data):
    X, y = data
    make_search(storage, "s", 3).fit(X, y)
    X_new, y_new, _ = make_nirs_regression(60, 100, random_state=1)
    for other in [(X_new, y_new), (X, y_new), (X[:45], y[:45])]:
        with pytest.raises(
            ValueError,
            match=r"'s' in storage was searched with data='X \(60, 100\) #.*', "
            r"not 'X \(.*; use another study_name",
        ):
            make_search(storage, "s", 6).fit(*other)
    # another split of the same data, or other fit parameters, too
    with pytest.raises(ValueError, match=r"data=.*cv splits #\w+', not .*cv splits"):
        make_search(storage, "s", 6).set_params(cv=KFold(3, shuffle=True)).fit(X, y)
    weights = np.ones(len(y))
    with pytest.raises(ValueError, match=r"not .*parameters \['fit'\] #"):
        make_search(storage, "s", 6).fit(X, y, ridge__sample_weight=weights)
    assert _n_trials(storage, "s") == 3
    make_search(storage, "s", 5).fit(X, y)  # the same data is welcome
    assert _n_trials(storage, "s") == 5


def test_other_estimator_is_refused(storage, data):
    X, y = data
    make_search(storage, "s", 2).fit(X, y)
    search = make_search(storage, "s", 4)
    search.estimator.set_params(ridge__fit_intercept=False)
    with pytest.raises(
        ValueError,
        match=r"searched with estimator=.*\('ridge', Ridge\(\)\).*, not .*"
        r"Ridge\(fit_intercept=False\).*; use another study_name",
    ):
        search.fit(X, y)
    assert _n_trials(storage, "s") == 2


def test_estimator_choices_are_stored_by_what_they_are(storage, data):
    # the same list reversed once reported Ridge(alpha=1000) at the score of
    # Ridge(alpha=0.001): choices were stored by their position
    X, y = data
    choices = [Ridge(alpha=1e-3), Ridge(alpha=1e3), LinearRegression()]
    first = _model_search(storage, "s", choices, n_trials=6, random_state=0)
    first.fit(X, y)
    stored = {t.params["model"].split(" #")[0] for t in first.study_.trials}
    assert stored == {"Ridge(alpha=0.001)", "Ridge(alpha=1000.0)", "LinearRegression()"}
    with pytest.raises(
        ValueError,
        match=r"param_distributions=\{'model': CategoricalDistribution\(choices="
        r"\('Ridge\(alpha=0.001\) #\w+', 'Ridge\(alpha=1000.0\).*, not .*"
        r"\('LinearRegression\(\) #.*; use another study_name",
    ):
        _model_search(storage, "s", choices[::-1], n_trials=8).fit(X, y)
    assert _n_trials(storage, "s") == 6
    # scores follow the estimators they were measured on
    again = _model_search(storage, "s", choices, n_trials=6).fit(X, y)
    results = again.cv_results_
    for params, score in zip(results["params"], results["mean_test_score"]):
        alone = _model_search(storage, None, [params["model"]], n_trials=1)
        alone.set_params(storage=None).fit(X, y)
        assert alone.best_score_ == pytest.approx(score)


def test_scipy_distributions_are_recorded_stably(tmp_path, data):
    X, y = data
    code = (
        "from scipy import stats\n"
        "from skl_nirs.model_selection._search_space import SearchSpace\n"
        "print(SearchSpace({'a': stats.norm(1.0, scale=2)}).describe())"
    )
    elsewhere = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    from scipy import stats

    from skl_nirs.model_selection._search_space import SearchSpace

    described = SearchSpace({"a": stats.norm(loc=1, scale=2.0)}).describe()
    assert (
        elsewhere == described and "scipy.stats.norm(loc=1.0, scale=2.0)" in described
    )

    url = f"sqlite:///{tmp_path / 'study.db'}"
    make_search(url, "s", 2).set_params(
        param_distributions={"ridge__alpha": stats.expon(scale=1.0)}
    ).fit(X, y)
    other = make_search(url, "s", 4).set_params(
        param_distributions={"ridge__alpha": stats.expon(scale=2.0)}
    )
    with pytest.raises(
        ValueError,
        match=r"'ridge__alpha': 'scipy.stats.expon\(loc=0.0, scale=1.0\), by its "
        r"inverse CDF'\}, not \{'ridge__alpha': 'scipy.stats.expon\(loc=0.0, scale=2.0",
    ):
        other.fit(X, y)


def test_another_parameter_name_is_refused_and_the_study_still_works(storage, data):
    X, y = data
    make_search(storage, "s", 3).fit(X, y)
    other = make_search(storage, "s", 13).set_params(
        param_distributions={"ridge__tol": ("float_log", 1e-5, 1e-1)}
    )
    with pytest.raises(
        ValueError,
        match=r"param_distributions=\{'ridge__alpha': FloatDistribution\(.*\), "
        r"'ridge__tol': None\}, not \{'ridge__alpha': None, 'ridge__tol': Float",
    ):
        other.fit(X, y)
    assert _n_trials(storage, "s") == 3
    search = make_search(storage, "s", 5).fit(X, y)
    assert len(search.cv_results_["params"]) == 5


def test_trials_of_plain_optuna_are_refused(storage, data):
    X, y = data
    make_search(storage, "s", 2).fit(X, y)
    study = _load(storage, "s")
    study.optimize(
        lambda trial: -trial.suggest_float("ridge__alpha", 1e-4, 1e2, log=True),
        n_trials=2,
    )
    with pytest.raises(
        ValueError,
        match=r"'s' in storage holds 2 trials that this search did not run "
        r"\(trial 2, 3\).*use another study_name",
    ):
        make_search(storage, "s", 6).fit(X, y)
    assert _n_trials(storage, "s") == 4

    # a study that plain Optuna created and ran
    plain = optuna.create_study(
        storage=make_storage(storage), study_name="plain", direction="maximize"
    )
    plain.optimize(lambda trial: trial.suggest_float("ridge__alpha", 0, 1), 1)
    with pytest.raises(
        ValueError,
        match=r"'plain' in storage holds trials but no recorded objective, .*"
        r"data \(it was run by plain Optuna.*use another study_name",
    ):
        make_search(storage, "plain", 3).fit(X, y)
    assert _n_trials(storage, "plain") == 1


def test_a_multi_objective_study_is_refused(tmp_path, data):
    X, y = data
    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(
        storage=url, study_name="two", directions=["maximize", "minimize"]
    )
    with pytest.raises(
        ValueError, match="'two' in storage has 2 objectives; OptunaSearchCV maxim"
    ):
        make_search(url, "two", 2).fit(X, y)


# -- processes share n_trials -------------------------------------------------


@pytest.mark.timeout(240)
def test_four_processes_share_n_trials(storage, tmp_path):
    _four_processes_share(storage, tmp_path, n_trials=10, batch_size=8)


@pytest.mark.timeout(240)
def test_four_processes_share_n_trials_on_postgresql(postgres_url, tmp_path):
    _four_processes_share(postgres_url, tmp_path, n_trials=20, batch_size=2)


def _four_processes_share(storage, tmp_path, n_trials, batch_size):
    # 4 processes, n_trials=10, batch_size=8 once finished 32 trials, and 41 for
    # n_trials=20 on PostgreSQL: each batch is now sized from the study's
    # finished and running trials, counted again before each ask
    outs = [tmp_path / f"{i}.json" for i in range(4)]
    processes = [
        _launch(
            storage,
            "shared",
            n_trials,
            out,
            sleep=0.02,
            batch_size=batch_size,
            barrier=(tmp_path, 4),  # the 4 searches start together
        )
        for out in outs
    ]
    assert [p.wait() for p in processes] == [0] * 4
    trials = _load(storage, "shared").trials
    assert {t.state for t in trials} == {optuna.trial.TrialState.COMPLETE}
    print(f"4 processes, n_trials={n_trials}: {len(trials)} finished")
    assert n_trials <= len(trials) <= n_trials + 3
    told = [n for out in outs for n in json.loads(out.read_text())["told"]]
    assert sorted(told) == [t.number for t in trials]  # none lost, none twice


def test_running_trials_count_until_their_process_is_silent(
    tmp_path, data, monkeypatch
):
    X, y = data
    url = f"sqlite:///{tmp_path / 'study.db'}"
    monkeypatch.setattr(_study, "_STALE_AFTER", 1.5)
    monkeypatch.setattr(_study, "_HEARTBEAT", 0.2)
    make_search(url, "s", 2).fit(X, y)
    # a trial another process is running (it never finishes: that process died)
    running = _load(url, "s").ask()
    start = time.monotonic()
    search = make_search(url, "s", 4).fit(X, y)
    # the running trial counted until it was stale: 1 trial was asked, then 1
    assert time.monotonic() - start >= 1.0
    states = [t.state for t in search.study_.trials]
    assert states[running.number] == optuna.trial.TrialState.RUNNING
    assert states.count(optuna.trial.TrialState.COMPLETE) == 4


def test_a_search_records_its_heartbeat(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    monkeypatch.setattr(_study, "_HEARTBEAT", 0.05)
    study = optuna.create_study(storage=url, study_name="s")
    with _study.Heartbeat(study) as heartbeat:
        first = study.user_attrs[_study._ALIVE + heartbeat.process]
        time.sleep(0.3)
    last = study.user_attrs[_study._ALIVE + heartbeat.process]
    assert last > first
    time.sleep(0.1)  # the thread has stopped
    assert study.user_attrs[_study._ALIVE + heartbeat.process] == last
    assert not math.isnan(last)


def test_folds_of_a_trial_never_told_are_not_results():
    study = optuna.create_study(direction="maximize")
    for value in (0.25, 0.75):
        trial = study.ask()
        trial.suggest_float("alpha", 0.0, 1.0)
        trial.set_user_attr(_study._FOLDS, [{"test_scores": value}])
        if value == 0.25:
            study.tell(trial, value)
        # else: its process was killed here, the trial left RUNNING
    evaluated = _study.evaluated_trials(study.get_trials())
    assert [trial.number for trial in evaluated] == [0]
