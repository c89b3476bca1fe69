"""OptunaSearchCV on shared Optuna storages: several processes, interrupt, resume."""

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from _search_process import make_search, make_storage
from sklearn.metrics import fbeta_score, make_scorer, mean_absolute_error, r2_score

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection._optuna_search import _FOLDS, _REUSED, _scoring_id

SCRIPT = Path(__file__).with_name("_search_process.py")
TESTS = Path(__file__).parents[1]


@pytest.fixture
def data():
    X, y, _ = make_nirs_regression(60, 100, random_state=0)
    return X, y


@pytest.fixture(params=["journal", "sqlite"])
def storage(request, tmp_path):
    if request.param == "journal":
        return f"journal:{tmp_path / 'study.log'}"
    return f"sqlite:///{tmp_path / 'study.db'}"


def _launch(storage, study_name, n_trials, out, sleep=0.0, seed=None):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(SCRIPT.parent)]))
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), storage, study_name, str(n_trials), str(out)]
        + [str(sleep)]
        + ([] if seed is None else [str(seed)]),
        env=env,
    )


def _load(storage, study_name):
    return optuna.load_study(study_name=study_name, storage=make_storage(storage))


@pytest.mark.timeout(240)
def test_two_processes_share_one_study(storage, tmp_path):
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
def test_killed_search_resumes_where_it_stopped(storage, tmp_path, data):
    X, y = data
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

    search = make_search(storage, "resumable", 30).fit(X, y)
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
