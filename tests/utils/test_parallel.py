import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
import types
import warnings
from contextlib import nullcontext, suppress

import numpy as np
import pytest
from _probes import (
    RecordingRegressor,
    RecordingTransformer,
    array_seen,
    began_and_pid,
    first_rows,
    logged_sleep,
    max_overlap,
    memmap_file,
    nested_or_sleep,
    read_log,
    sleep_then,
    sum_then_change,
)
from joblib import cpu_count, parallel_backend, parallel_config
from joblib.externals.loky import get_reusable_executor
from sklearn import config_context
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_info, threadpool_limits

from skl_nirs.compose import ParallelBranches
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.utils import _parallel
from skl_nirs.utils._compat import MEMORY_FOLDER
from skl_nirs.utils._parallel import (
    BudgetedParallel,
    _blas_limit,
    capped_n_jobs,
    format_plan,
)


def _within_budget(rows, cores):
    """At every moment, the running fits and their BLAS threads fit the cores."""
    assert max_overlap(rows) <= cores
    for row in rows:  # the moments a fit starts are when the load can peak
        running = [r for r in rows if r["start"] <= row["start"] < r["end"]]
        assert sum(r["blas"] or 1 for r in running) <= cores
        assert sum(max(r["n_jobs"] or 1, 1) for r in running) <= cores


def test_nested_search_over_branches_stays_within_the_cores(tmp_path, force_workers):
    rng = np.random.RandomState(0)
    X, y = rng.rand(120, 30), rng.rand(120)
    log = str(tmp_path / "fits.log")
    forest = RandomForestRegressor(n_estimators=10, n_jobs=-1, random_state=0)
    probe = RecordingRegressor(sleep=0.05, log=log, n_jobs=-1)
    branches = ParallelBranches(
        [("rf", forest), ("probe", probe), ("probe2", RecordingTransformer(log=log))],
        final_estimator=Ridge(),
        cv=2,
        n_jobs=2,
    )
    search = OptunaSearchCV(
        branches, {"probe__sleep": [0.05, 0.06, 0.07, 0.08]}, n_trials=4, cv=2, n_jobs=2
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no joblib or threadpoolctl warnings
        search.fit(X, y)
    rows = read_log(log)
    n_candidates = len(search.cv_results_["params"])
    # per candidate and fold: probe on 2 folds + refit, probe2; then the refit
    assert len(rows) == n_candidates * 2 * 4 + 4
    _within_budget(rows, cpu_count())
    plan = search.parallel_plan_
    assert plan["n_workers"] == min(2, cpu_count())
    assert plan["inner_n_jobs"] == cpu_count() // plan["n_workers"]
    worker_rows = [r for r in rows if r["pid"] != os.getpid()]
    assert worker_rows and all(r["blas"] <= plan["blas_threads"] for r in worker_rows)
    # the user's estimators keep their n_jobs; only the fitted clones were capped
    assert forest.n_jobs == -1 and probe.n_jobs == -1 and branches.n_jobs == 2
    # the fitted clones keep the n_jobs they were given, too
    assert search.best_estimator_.named_branches_["rf"].n_jobs == -1


def test_threading_backend_limits_blas_to_the_share(tmp_path, force_workers):
    X = np.random.RandomState(0).rand(60, 40)
    log = str(tmp_path / "fits.log")
    branches = [(f"p{i}", RecordingTransformer(sleep=0.05, log=log)) for i in range(4)]
    with parallel_backend("threading"):
        union = ParallelBranches(branches, n_jobs=2).fit(X)
    rows = sorted(read_log(log), key=lambda row: row["start"])
    assert {r["pid"] for r in rows} == {os.getpid()}
    plan = union.parallel_plan_
    share = plan["blas_threads"]
    assert share == max(1, cpu_count() // 2)
    # the first task starts alone with the whole budget while the GIL is
    # measured (sleeps release it); the others then share the cores in threads
    # (BLAS limits are process-wide: the first task's drops to theirs)
    assert plan["gil_held"] < 0.5
    assert plan["tasks_in_caller"] == 1 and plan["tasks_in_workers"] == 3
    assert rows[0]["blas"] == plan["budget"]
    assert all(r["blas"] <= share for r in rows[1:])
    _within_budget(rows[1:], cpu_count())


def _hold_the_gil(seconds):
    """Native code that keeps the GIL (as scipy.linalg's LAPACK wrappers do)."""
    ctypes.PyDLL(None).usleep(int(seconds * 1e6))  # (PyDLL: the GIL is kept)
    return seconds


def test_under_threads_tasks_that_hold_the_gil_run_one_at_a_time():
    with parallel_backend("threading"):
        runner = BudgetedParallel(2, n_tasks=4)
        assert runner.map(_hold_the_gil, [(0.3,)] * 4) == [0.3] * 4
        plan = runner.plan
        assert plan["gil_held"] >= 0.75 and plan["tasks_in_caller"] == 4
        assert plan["inner_n_jobs"] == plan["blas_threads"] == plan["budget"]
        assert "one at a time in the caller" in plan["reason"]
        runner = BudgetedParallel(2, n_tasks=4)  # work that lets go of the GIL
        runner.map(time.sleep, [(0.3,)] * 4)
    assert runner.plan["gil_held"] < 0.5 and runner.plan["tasks_in_workers"] == 3


def test_under_threads_a_long_gil_free_first_task_waits_half_a_second_alone(
    tmp_path,
):
    log = str(tmp_path / "fits.log")
    branches = [(f"p{i}", RecordingTransformer(sleep=1.5, log=log)) for i in range(3)]
    with parallel_backend("threading"):
        union = ParallelBranches(branches, n_jobs=2).fit(np.ones((20, 4)))
    rows = sorted(read_log(log), key=lambda row: row["start"])
    assert union.parallel_plan_["gil_held"] < 0.5
    # the others start after the probe's 0.5 s, not when the first task ends
    waited = rows[1]["start"] - rows[0]["start"]
    first_task = rows[0]["end"] - rows[0]["start"]
    assert 0.4 < waited < 1.2 < first_task
    # beside the first task, one thread of the pool: n_jobs tasks at once
    assert max_overlap(rows) == 2


def _holding_the_gil(X):
    _hold_the_gil(0.2)
    return X


def test_beside_a_warm_pool_the_caller_takes_no_task_once_the_pool_pays():
    # a second task of the caller's would run beside the busy workers (it yields
    # them the cores and ends last) and, holding the GIL, delay their dispatch
    Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(2))  # a warm pool
    for _ in range(3):
        runner = BudgetedParallel(2, n_tasks=8)
        assert runner.map(_hold_the_gil, [(0.05,)] * 8) == [0.05] * 8
        assert runner.plan["pool"] == "warm"
        assert runner.plan["tasks_in_caller"] == 1
        assert runner.plan["tasks_in_workers"] == 7


def test_while_a_cold_pool_starts_the_caller_works_on(tmp_path, pool_start_pinned):
    get_reusable_executor().shutdown(wait=True)  # a cold pool: seconds to start
    runner = BudgetedParallel(2, n_tasks=24)  # a pool pays at once, but starts late
    log = str(tmp_path / "tasks.log")
    assert runner.map(logged_sleep, [(0.15, log)] * 24) == [None] * 24
    assert runner.plan["pool"] == "cold"
    assert runner.plan["tasks_in_caller"] >= 2  # (one measured, then more)
    assert runner.plan["tasks_in_workers"] >= 1
    assert max_overlap(read_log(log)) <= 2  # the caller's task holds a worker's place


@pytest.mark.timeout(120)
def test_a_call_nested_in_the_callers_task_runs_there_without_deadlock(
    monkeypatch, pool_start_pinned
):
    # 6 cores: 2 workers of 3 cores; the caller's first task nests a call of 3
    # workers, whose pool, resizing joblib's executor, would wait for the outer
    # tasks, one of which holds a worker's place until the caller's task ends
    monkeypatch.setattr(_parallel, "effective_n_jobs", lambda n_jobs: 6)
    Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(2))  # a warm pool
    runner = BudgetedParallel(2, n_tasks=6)
    out = runner.map(nested_or_sleep, [(i, 0.6) for i in range(6)])
    assert runner.plan["pool"] == "warm" and runner.plan["tasks_in_workers"] >= 1
    nested = out[0]
    assert nested["dispatch"] == "caller" and nested["tasks_in_workers"] == 0
    assert (
        nested["reason"]
        == "in a task of the caller's thread, beside which a pool may run"
    )
    assert nested["inner_n_jobs"] == nested["budget"] == 3  # (the share it had)


def test_beside_the_callers_task_the_pool_runs_one_task_fewer(tmp_path):
    Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(2))  # a warm pool
    runner = BudgetedParallel(2, n_tasks=6)
    log = str(tmp_path / "tasks.log")
    runner.map(logged_sleep, [(0.4, log)] * 6)
    rows = read_log(log)
    assert runner.plan["pool"] == "warm"
    assert runner.plan["tasks_in_caller"] == 1  # the decision came during it
    assert os.getpid() in {r["pid"] for r in rows}
    assert max_overlap(rows) == 2  # not 3, in the cores and in memory


def test_a_threaded_search_measures_the_gil_once_for_all_its_batches():
    X, y = np.random.RandomState(0).rand(40, 5), np.arange(40.0)
    search = OptunaSearchCV(
        make_pipeline(FunctionTransformer(_holding_the_gil), Ridge()),
        {"ridge__alpha": [0.1, 1.0, 10.0]},
        n_trials=6,
        batch_size=2,
        cv=2,
        n_jobs=2,
        random_state=0,
    )
    with parallel_backend("threading"):
        search.fit(X, y)
    plan = search.parallel_plan_
    assert plan["gil_held"] >= 0.75 and plan["tasks_in_workers"] == 0
    assert plan["tasks_in_caller"] == 2 * len(search.cv_results_["params"])
    assert plan["reason"].endswith("one at a time in the caller, with 2 BLAS threads")


def test_plan_matches_what_ran(tmp_path, force_workers):
    X = np.random.RandomState(0).rand(60, 40)
    log = str(tmp_path / "fits.log")
    branches = [(f"p{i}", RecordingTransformer(sleep=0.1, log=log)) for i in range(4)]
    union = ParallelBranches(branches, n_jobs=2).fit(X)
    plan = union.parallel_plan_
    rows = read_log(log)
    assert plan["backend"] == "loky" and not plan["sequential"]
    assert plan["n_tasks"] == 4 and plan["gil_held"] is None  # (threads only)
    assert len({r["pid"] for r in rows}) <= plan["n_workers"] == 2
    assert os.getpid() not in {r["pid"] for r in rows}
    assert max_overlap(rows) <= plan["n_workers"]
    assert format_plan(plan).startswith("2 loky workers (")
    assert "0 tasks in the caller (0.00 s), 4 in workers" in format_plan(plan)


def test_cheap_work_stays_in_the_caller_and_the_plan_says_why():
    branches = [(f"p{i}", StandardScaler()) for i in range(4)]
    X = np.random.RandomState(0).rand(21, 100)
    Parallel(n_jobs=2)(delayed(abs)(i) for i in range(2))  # even with a warm pool
    union = ParallelBranches(branches, n_jobs=2).fit(X)
    plan = union.parallel_plan_
    assert plan["dispatch"] == "auto" and plan["sequential"]
    assert plan["sequential_reason"].startswith("cheap work: 4 tasks took")
    assert plan["tasks_in_caller"] == 4 and plan["tasks_in_workers"] == 0
    assert plan["pool"] is None and plan["pool_cost"] > plan["caller_seconds"]
    assert "sequential (cheap work" in format_plan(plan)


def _sleepy(log, n=4, sleep=1.0):
    return [(f"p{i}", RecordingTransformer(sleep=sleep, log=log)) for i in range(n)]


def test_costly_work_on_small_data_goes_to_workers(tmp_path, pool_start_pinned):
    log = str(tmp_path / "fits.log")
    with config_context(assume_finite=True):
        union = ParallelBranches(_sleepy(log), n_jobs=2).fit(
            np.random.RandomState(0).rand(20, 4)
        )
    rows, plan = read_log(log), union.parallel_plan_
    in_workers = [r for r in rows if r["pid"] != os.getpid()]
    assert plan["reason"].startswith("costly work") and not plan["sequential"]
    # the decision came from the caller's first task, running or measured
    basis = r"while the caller's first task ran \([\d.]+ s so far\)|after 1 measured"
    assert re.search(rf"estimated at [\d.]+ s ({basis})", plan["reason"])
    assert plan["pool"] in ("cold", "warm") and plan["estimate"] > 0
    assert len(in_workers) == plan["tasks_in_workers"] >= 1
    assert plan["tasks_in_caller"] + plan["tasks_in_workers"] == 4
    assert all(r["assume_finite"] for r in rows)  # the caller's config, everywhere
    assert plan["caller_seconds"] + plan["worker_seconds"] >= 4.0


def test_under_threads_costly_work_runs_in_the_callers_threads(tmp_path):
    log = str(tmp_path / "fits.log")
    with parallel_backend("threading"), config_context(assume_finite=True):
        union = ParallelBranches(_sleepy(log, sleep=0.2), n_jobs=2).fit(
            np.random.RandomState(0).rand(20, 4)
        )
    rows, plan = read_log(log), union.parallel_plan_
    assert {r["pid"] for r in rows} == {os.getpid()}
    # (the first task runs in the caller, its GIL measured: sleeps release it)
    assert plan["pool"] == "threads" and plan["tasks_in_caller"] == 1
    assert plan["tasks_in_workers"] == 3
    assert all(r["assume_finite"] for r in rows)


def test_the_user_forces_workers_or_the_caller(tmp_path):
    log = str(tmp_path / "fits.log")
    cheap = [(f"p{i}", RecordingTransformer(log=log)) for i in range(4)]
    with parallel_config(backend="loky"):  # cheap work, but workers asked for
        union = ParallelBranches(cheap, n_jobs=2).fit(
            np.random.RandomState(0).rand(20, 4)
        )
    assert union.parallel_plan_["tasks_in_workers"] == 4
    forced = "forced: workers (parallel_config backend='loky')"
    assert union.parallel_plan_["reason"] == forced
    assert os.getpid() not in {r["pid"] for r in read_log(log)}
    with parallel_config(backend="sequential"):  # costly work, kept in the caller
        union = ParallelBranches(_sleepy(None, sleep=0.3), n_jobs=2).fit(
            np.random.RandomState(0).rand(20, 4)
        )
    assert union.parallel_plan_["tasks_in_caller"] == 4
    forced = "forced: the caller (parallel_config backend='sequential')"
    assert union.parallel_plan_["sequential_reason"] == forced
    assert union.parallel_plan_["budget"] == 1  # (inner joblib calls: sequential)
    union = ParallelBranches(cheap, n_jobs=1).fit(np.random.RandomState(0).rand(20, 4))
    plan = union.parallel_plan_  # the caller, whose tasks keep the machine
    assert plan["tasks_in_caller"] == 4 and plan["inner_n_jobs"] == cpu_count()


def test_an_explicit_backend_without_n_jobs_runs_one_job_and_says_so():
    with parallel_config(backend="loky"):  # joblib's rule: n_jobs=None is one job
        runner = BudgetedParallel(None, n_tasks=1)
        assert runner.map(abs, [(-1,)]) == [1]
    assert runner.plan["dispatch"] == "caller"
    assert runner.plan["reason"] == "n_jobs=None"
    line = format_plan(runner.plan)
    assert line.startswith("sequential (n_jobs=None); inner n_jobs <= ")
    assert "; 1 task in the caller (" in line


def test_a_plan_over_several_calls_keeps_the_decision_that_started_the_pool(
    pool_start_pinned,
):
    # a search's batches: the first starts a cold pool, the next ones use it warm
    get_reusable_executor().shutdown(wait=True)
    with BudgetedParallel(2, n_tasks=12, total_tasks=20) as runner:
        assert runner.map(sleep_then, [(0.1, i) for i in range(12)]) == [*range(12)]
        first = dict(runner.plan)
        assert runner.map(sleep_then, [(0.1, i) for i in range(8)]) == [*range(8)]
    plan = runner.plan
    assert first["pool"] == plan["pool"] == "cold"
    assert plan["pool_start_seconds"] == first["pool_start_seconds"] is not None
    assert plan["reason"] == first["reason"]
    assert plan["reason"].startswith("costly work: ")
    assert plan["tasks_in_workers"] > first["tasks_in_workers"]
    assert plan["tasks_in_caller"] + plan["tasks_in_workers"] == 20
    assert "loky workers (" in format_plan(plan)
    assert "cores, outermost call, cold pool); " in format_plan(plan)


def test_inside_another_librarys_workers_the_budget_is_one_core():
    # e.g. ParallelBranches(n_jobs=2) inside GridSearchCV(n_jobs=2)'s workers
    for backend in ("loky", "threading"):
        with parallel_backend(backend):
            plans = _nested_plans()
        assert plans == [
            (1, "CPU budget of 1 core (inside another library's parallel worker)")
        ]


def _plan_in_worker(_):
    plan = BudgetedParallel(2, n_tasks=4).plan
    return plan["n_workers"], plan["sequential_reason"]


def _nested_plans():
    from sklearn.utils.parallel import Parallel, delayed

    return list(set(Parallel(n_jobs=2)(delayed(_plan_in_worker)(i) for i in range(2))))


@pytest.mark.parametrize(
    "n_jobs, share, expected",
    [(-1, 3, 3), (-2, 3, 2), (8, 3, 3), (2, 3, 2), (None, 3, None)],
)
def test_capped_n_jobs_caps_every_nested_n_jobs_for_a_while(n_jobs, share, expected):
    pipe = make_pipeline(
        RandomForestRegressor(n_jobs=n_jobs), RecordingRegressor(n_jobs=n_jobs)
    )
    with capped_n_jobs(pipe, share):
        assert pipe[0].n_jobs == expected and pipe[1].n_jobs == expected
    assert pipe[0].n_jobs == n_jobs and pipe[1].n_jobs == n_jobs  # restored
    # outside of skl_nirs workers, and without a share, nothing is changed
    untouched = RandomForestRegressor(n_jobs=-1)
    with capped_n_jobs(untouched):
        assert untouched.n_jobs == -1


def test_nested_call_in_our_worker_gets_the_share(force_workers):
    runner = BudgetedParallel(2, n_tasks=2)
    plans = runner.map(_plan_in_worker, [(0,), (1,)])
    share = runner.plan["inner_n_jobs"]
    expected_workers = min(2, share)
    assert all(workers == expected_workers for workers, _ in plans)


def _plan_in_daemon(queue):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan = BudgetedParallel(-1, n_tasks=4).plan
    queue.put((plan["sequential_reason"], [str(w.message) for w in caught]))


def test_daemon_processes_run_sequentially_without_warnings():
    # e.g. a search submitted as a Dask task runs in a daemon process
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_plan_in_daemon, args=(queue,), daemon=True)
    process.start()
    reason, caught = queue.get(timeout=60)
    process.join()
    assert reason == "CPU budget of 1 core (daemon process)"
    assert caught == []


def _blas():
    return {
        lib["user_api"]: lib["num_threads"]
        for lib in threadpool_info()
        if lib["user_api"] in ("blas", "openmp")
    }


def test_blas_limits_nest_and_overlap_without_leaking():
    original = _blas()
    with _blas_limit(2):
        with _blas_limit(1):  # a nested call with a smaller share lowers it
            assert all(n == 1 for n in _blas().values())
        assert all(n <= 2 for n in _blas().values())
    assert _blas() == original
    # two tasks in two threads, leaving in the order they did not enter
    first_in, first_may_leave, first_out = (threading.Event() for _ in range(3))
    seen = {}

    def first():
        with _blas_limit(1):
            first_in.set()
            first_may_leave.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with _blas_limit(1):
            seen["with both"] = _blas()
            first_may_leave.set()
            first_out.wait(10)
            seen["after the first left"] = _blas()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(n == 1 for n in seen["with both"].values()), seen
    assert all(n == 1 for n in seen["after the first left"].values())
    assert _blas() == original


def test_blas_limits_are_lowered_never_raised():
    with threadpool_limits(limits=1):  # the user's own limit
        with _blas_limit(2):
            assert all(n == 1 for n in _blas().values())
        assert all(n == 1 for n in _blas().values())


def test_loaded_libraries_are_scanned_again_only_after_imports(monkeypatch):
    first = _parallel._loaded_pools()
    assert _parallel._loaded_pools() is first  # no import since: the same scan
    monkeypatch.setitem(sys.modules, "skl_nirs_probe_module", types.ModuleType("m"))
    again = _parallel._loaded_pools()
    assert again is not first
    assert {lib.filepath for lib in again} == {lib.filepath for lib in first}


def test_a_slow_branch_among_fast_ones_starts_first(tmp_path, force_workers):
    log = str(tmp_path / "fits.log")
    branches = [(f"fast{i}", RecordingRegressor(sleep=0.05, log=log)) for i in range(3)]
    branches.append(("slow", RecordingRegressor(sleep=0.6, log=log)))
    X, y = np.random.RandomState(0).rand(30, 4), np.arange(30.0)
    ParallelBranches(branches, final_estimator=Ridge(), cv=3, n_jobs=2).fit(X, y)
    rows = read_log(log)
    slow_starts = [r["start"] for r in rows if r["sleep"] == 0.6]
    fast_starts = [r["start"] for r in rows if r["sleep"] == 0.05]
    assert len(slow_starts) == 4 and len(fast_starts) == 12
    # listed last, yet once its first fold shows its cost, its other folds and
    # its refit go before the fast branches' remaining folds
    assert max(slow_starts) < max(fast_starts)


_FIT_FOREVER = """
import numpy as np
from _probes import RecordingTransformer
from skl_nirs.compose import ParallelBranches

branches = [(f"p{i}", RecordingTransformer(sleep=60)) for i in range(4)]
ParallelBranches(branches, n_jobs=2).fit(np.random.RandomState(0).rand(20, 4))
"""


def test_no_worker_outlives_a_fit_stopped_with_sigterm():
    psutil = pytest.importorskip("psutil")
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(__file__))}
    process = subprocess.Popen([sys.executable, "-c", _FIT_FOREVER], env=env)
    parent = psutil.Process(process.pid)
    deadline = time.monotonic() + 60
    workers = []
    while len(workers) < 2 and time.monotonic() < deadline:  # the pool has started
        time.sleep(0.2)
        workers = [
            p
            for p in parent.children(recursive=True)
            if "loky" in " ".join(p.cmdline())
        ]
    assert len(workers) >= 2, "the pool never started"
    children = parent.children(recursive=True)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    _, alive = psutil.wait_procs(children, timeout=5)
    assert alive == []


_ISOLATING_FOREVER = """
from joblib import parallel_config
from _probes import sleep_then
from skl_nirs.utils._parallel import BudgetedParallel

# task 1 kills its worker while task 0 runs: task 0 then runs alone, to tell
with parallel_config(backend="loky"):
    BudgetedParallel(2, n_tasks=2).map(sleep_then, [(60, 0), (0.5, 1, True)])
"""


def test_no_worker_outlives_a_fit_stopped_while_it_isolates_a_crash():
    psutil = pytest.importorskip("psutil")
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(__file__))}
    process = subprocess.Popen([sys.executable, "-c", _ISOLATING_FOREVER], env=env)
    parent = psutil.Process(process.pid)

    def workers():
        found = set()
        for child in parent.children(recursive=True):
            with suppress(psutil.Error):  # (one that just died)
                command = " ".join(child.cmdline())
                if "loky" in command and "resource_tracker" not in command:
                    found.add(child.pid)
        return found

    deadline, first = time.monotonic() + 60, set()
    while len(first) < 2 and time.monotonic() < deadline:  # the pool has started
        time.sleep(0.1)
        first = workers()
    isolating = set()
    while not isolating and time.monotonic() < deadline:  # then a new one, alone
        time.sleep(0.1)
        isolating = workers() - first
    children = parent.children(recursive=True)
    try:
        assert isolating, "the suspects were never run alone"
        time.sleep(2)  # task 0 runs
        children = parent.children(recursive=True)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 143
        _, alive = psutil.wait_procs(children, timeout=5)
        assert alive == []
    finally:  # (a failure leaves nothing running)
        for leftover in [process, *children]:
            with suppress(psutil.Error, OSError):
                leftover.kill()


def test_a_worker_whose_caller_is_gone_ends_instead_of_waiting(tmp_path):
    psutil = pytest.importorskip("psutil")
    # A worker still starting when its caller was killed (kill -9) reads the
    # tasks left in its pipe, the caller's wait among them: it ends (code 1),
    # where it would wait for ever for a file only its own exit lets be removed.
    busy = tmp_path / "caller"
    busy.touch()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()

    def wait_in_worker(caller_pid):
        code = "from skl_nirs.utils._parallel import _wait_while_exists as wait; "
        code += f"wait({str(busy)!r}, {caller_pid})"
        return subprocess.Popen([sys.executable, "-c", code])

    assert wait_in_worker(gone.pid).wait(timeout=20) == 1
    if sys.platform == "linux":  # an ended caller not yet reaped is gone too
        zombie = subprocess.Popen([sys.executable, "-c", "pass"])
        while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.05)
        assert wait_in_worker(zombie.pid).wait(timeout=20) == 1
        zombie.wait()
    alive = wait_in_worker(os.getpid())  # (its parent)
    time.sleep(2)
    assert alive.poll() is None  # waits while the caller's thread works
    busy.unlink()
    assert alive.wait(timeout=20) == 0


def _our_folders(tmp_path, earlier=()):
    """Our folders in ``tmp_path`` and the memory folder, but ``earlier``."""
    parents = [tmp_path, *[MEMORY_FOLDER] * os.access(MEMORY_FOLDER, os.W_OK)]
    found = {
        os.path.join(parent, entry)
        for parent in parents
        for entry in os.listdir(parent)
        if entry.startswith("skl_nirs-")
    }
    return sorted(found - set(earlier))


def test_no_folder_of_ours_outlives_a_caller_killed_mid_fit(tmp_path):
    psutil = pytest.importorskip("psutil")
    fit = _FIT_FOREVER.replace("rand(20, 4)", "rand(200, 100)")  # (filed: 160 KB)
    env = {
        **os.environ,
        "PYTHONPATH": os.path.dirname(os.path.dirname(__file__)),
        "TMPDIR": str(tmp_path),
    }
    earlier = _our_folders(tmp_path)  # (in the memory folder, by others)
    process = subprocess.Popen([sys.executable, "-c", fit], env=env)
    parent, deadline = psutil.Process(process.pid), time.monotonic() + 60

    def files():  # the array, and a marker per task started in a worker
        return sum(len(os.listdir(path)) for path in _our_folders(tmp_path, earlier))

    while files() < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(_our_folders(tmp_path, earlier)) == 2, "the pool never started"
    children = parent.children(recursive=True)
    process.kill()  # no handler, no finally: loky's resource tracker cleans up
    process.wait(timeout=30)
    psutil.wait_procs(children, timeout=10)
    deadline = time.monotonic() + 10
    while _our_folders(tmp_path, earlier) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _our_folders(tmp_path, earlier) == []


@pytest.mark.parametrize("backend", [None, "threading"])
def test_costly_search_fits_run_in_workers_with_the_callers_config(
    tmp_path, backend, pool_start_pinned
):
    log = str(tmp_path / "fits.log")
    X, y = np.random.RandomState(0).rand(20, 4), np.arange(20.0)
    search = OptunaSearchCV(
        RecordingRegressor(log=log),
        {"sleep": ("float", 1.0, 1.2)},
        n_trials=2,
        cv=3,
        n_jobs=2,
        refit=False,
    )
    chosen = parallel_config(backend=backend) if backend else nullcontext()
    with chosen, config_context(assume_finite=True):
        search.fit(X, y)
    rows, plan = read_log(log), search.parallel_plan_
    assert len(rows) == 6 and all(r["assume_finite"] for r in rows)
    in_workers = [r for r in rows if r["pid"] != os.getpid()]
    if backend is None:  # auto: measured in the caller, the rest in workers
        assert plan["reason"].startswith("costly work")
        assert len(in_workers) == plan["tasks_in_workers"] >= 1
    else:  # the caller's threads (the first task in the caller, its GIL measured)
        assert in_workers == [] and plan["tasks_in_workers"] == 5


def test_a_search_starts_a_cold_pool_for_the_work_of_all_its_batches(
    tmp_path, monkeypatch
):
    # each batch (2 trials x 2 folds x 0.3 s) is cheaper than the cold pool's
    # 1 s start; the 8 batches of the whole search are not
    get_reusable_executor().shutdown(wait=True)
    monkeypatch.setitem(_parallel._pool_start, "seconds", 1.0)
    log = str(tmp_path / "fits.log")
    X, y = np.random.RandomState(0).rand(20, 4), np.arange(20.0)
    search = OptunaSearchCV(
        RecordingRegressor(log=log),
        {"sleep": ("float", 0.3, 0.31)},
        n_trials=16,
        cv=2,
        batch_size=2,
        n_jobs=2,
        refit=False,
        random_state=0,
    )
    search.fit(X, y)
    plan = search.parallel_plan_
    assert plan["pool_start_seconds"] is not None  # the cold pool was started
    in_workers = [r for r in read_log(log) if r["pid"] != os.getpid()]
    assert len(in_workers) == plan["tasks_in_workers"] >= 24
    # one pool served every batch: the same two worker processes
    assert len({r["pid"] for r in in_workers}) == 2


def test_a_search_run_again_sends_its_candidates_to_the_pool_at_once(
    pool_start_pinned,
):
    # as the outer folds of a nested cross-validation do: the same candidates
    X, y = np.random.RandomState(0).rand(20, 4), np.arange(20.0)

    def search():
        return OptunaSearchCV(
            RecordingRegressor(),
            {"sleep": ("float", 0.3, 0.31)},
            n_trials=4,
            cv=2,
            n_jobs=2,
            refit=False,
            random_state=0,
        ).fit(X, y)

    first = search().parallel_plan_
    assert first["tasks_in_caller"] >= 1 and first["tasks_in_workers"] >= 1
    again = search()
    plan = again.parallel_plan_
    assert plan["tasks_in_caller"] == 0 and plan["tasks_in_workers"] == 8
    assert "from the costs an earlier call measured" in plan["reason"]
    # another space's candidates are measured anew
    again.set_params(param_distributions={"sleep": ("float", 0.32, 0.33)}).fit(X, y)
    assert again.parallel_plan_["tasks_in_caller"] >= 1


class _MeanOfRaggedRows(RegressorMixin, BaseEstimator):
    """Predicts the mean target; takes rows of any length (no width to key)."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def fit(self, X, y):
        self.mean_ = np.mean(y) + self.shift
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def test_a_search_keys_its_work_without_a_width_for_rows_of_any_length():
    X, y = [[1.0, 2.0], [3.0], [4.0, 5.0, 6.0]] * 4, np.arange(12.0)
    search = OptunaSearchCV(
        _MeanOfRaggedRows(), {"shift": ("float", 0.0, 1.0)}, n_trials=3, cv=3, n_jobs=2
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 3


def test_a_resumed_search_counts_only_the_trials_it_has_left(tmp_path, monkeypatch):
    # 10 trials x 2 folds of 0.05 s are done; resumed with n_trials=11, the
    # search has 2 fits left (0.1 s): no reason to start a 0.3 s cold pool
    X, y = np.random.RandomState(0).rand(20, 4), np.arange(20.0)
    search = OptunaSearchCV(
        RecordingRegressor(sleep=0.05),
        {"sleep": ("float", 0.05, 0.051)},
        n_trials=10,
        cv=2,
        n_jobs=1,
        refit=False,
        storage=f"sqlite:///{tmp_path / 'study.db'}",
        study_name="resumed",
    ).fit(X, y)
    get_reusable_executor().shutdown(wait=True)
    monkeypatch.setitem(_parallel._pool_start, "seconds", 0.3)
    plan = search.set_params(n_trials=11, n_jobs=2).fit(X, y).parallel_plan_
    assert len(search.study_.trials) == 11
    assert plan["tasks_in_workers"] == 0 and plan["reason"].startswith("cheap work")


def test_a_pool_kept_open_memory_maps_the_data_once(pool_start_pinned):
    X = np.zeros((400, 400))  # 1.3 MB: memory-mapped by joblib
    tasks = [(X, 0.4)] * 4

    def files(runner):
        in_workers = [runner.map(memmap_file, tasks) for _ in range(2)]
        assert runner.plan["tasks_in_workers"] >= 5
        return [{name for name in names if name is not None} for names in in_workers]

    with BudgetedParallel(2, n_tasks=4, data_bytes=X.nbytes) as runner:
        first, second = files(runner)
    assert len(first) == 1 and first == second  # one file for both maps
    first, second = files(BudgetedParallel(2, n_tasks=4, data_bytes=X.nbytes))
    assert first and second and first != second  # without ``with``: one per map


def test_arrays_reach_workers_through_a_file_written_once_per_pool(force_workers):
    X = np.ones((200, 300))  # 480 KB: a copy per task
    large = np.ones((400, 400))  # 1.3 MB: a read-only memory map, as joblib's
    small = np.ones((10, 10))  # pickled with the task
    with BudgetedParallel(2, n_tasks=4) as runner:
        seen = runner.map(array_seen, [(X,)] * 4 + [(small,), (large,)])
        seen += runner.map(array_seen, [(X,)] * 2)
        folder = runner._filed_dir
        assert sorted(os.listdir(folder)) == ["0.npy", "1.npy"]  # once for both maps
        (mapped,) = runner.map(memmap_file, [(large, 0)])
        assert mapped == os.path.join(folder, "1.npy")
    assert runner.plan["tasks_in_workers"] == 9
    # each task gets its own writable copy, as if X had been pickled
    assert (
        seen
        == [("ndarray", True, X.sum())] * 4
        + [
            ("ndarray", True, small.sum()),
            ("memmap", False, large.sum()),
        ]
        + [("ndarray", True, X.sum())] * 2
    )
    assert not os.path.exists(folder)  # removed with the pool


def test_a_view_of_a_large_array_comes_back_as_from_joblibs_own_maps(force_workers):
    X = np.arange(400 * 400.0).reshape(400, 400)  # 1.3 MB: mapped in the workers
    with BudgetedParallel(2, n_tasks=2) as runner:
        out = runner.map(first_rows, [(X,)] * 2)
    joblibs = Parallel(n_jobs=2)(delayed(first_rows)(X) for _ in range(2))
    # a copy, not a map of the pool's file (gone with the pool)
    assert [type(rows) for rows in out + joblibs] == [np.ndarray] * 4
    seen = {rows.flags.writeable for rows in out + joblibs}
    assert len(seen) == 1  # (joblib's: read-only)
    assert all(np.array_equal(rows, X[:5]) for rows in out)


def test_a_view_of_the_users_memory_map_reaches_workers_as_a_map_of_its_file(
    tmp_path, force_workers
):
    path = str(tmp_path / "X.npy")
    np.save(path, np.ones((400, 400)))
    view = np.asarray(np.load(path, mmap_mode="r"))  # (as check_array returns it)
    assert type(view) is np.ndarray
    with BudgetedParallel(2, n_tasks=2) as runner:
        assert runner.map(memmap_file, [(view, 0)] * 2) == [path] * 2  # no copy
        assert runner._filed == {}


def test_a_task_that_changes_its_filed_array_leaves_the_next_task_a_clean_copy(
    force_workers,
):
    X = np.ones((200, 300))  # filed, and read once per worker process
    with BudgetedParallel(2, n_tasks=8) as runner:
        out = runner.map(sum_then_change, [(X,)] * 8)
    pids = [pid for pid, _ in out]
    assert len(set(pids)) < len(pids)  # (a worker ran several of them)
    assert [total for _, total in out] == [X.sum()] * 8
    assert (X == 1).all()


def test_short_measured_tasks_go_to_process_workers_in_bundles():
    groups = ["short"] * 16 + ["long"] * 2 + ["new"] * 2
    tasks = _parallel._Tasks(groups, [1.0] * 20, None, {"short": 0.01, "long": 0.2})
    runner = BudgetedParallel(2, n_tasks=20)
    dispatch = _parallel._Dispatch(runner, abs, [(0,)] * 20, ["t"] * 20, tasks, None)
    dispatch.marker_dir = "markers"  # (process workers)
    bundles = []
    while (index := tasks.pop()) is not None:
        bundles.append(dispatch._bundle(index))
    # the unmeasured and the long alone; short ones up to 0.05 s, fewer at the end
    assert bundles[:7] == [[18], [16], [17], [19], [0, 1, 2, 3], [4, 5, 6], [7, 8]]
    assert bundles[7:] == [[i] for i in range(9, 16)]


def test_new_candidates_go_together_their_other_folds_wait_for_a_measure():
    # 4 new candidates x 5 folds; 0.01 s tasks measured by an earlier map
    groups = [f"candidate {c}" for c in range(4) for _ in range(5)]
    tasks = _parallel._Tasks(groups, [1.0] * 20, None, {"earlier": 0.01})
    runner = BudgetedParallel(2, n_tasks=20)
    dispatch = _parallel._Dispatch(runner, abs, [(0,)] * 20, ["t"] * 20, tasks, None)
    dispatch.marker_dir = "markers"  # (process workers)
    # the first folds at the mean rate
    assert dispatch._bundle(tasks.pop()) == [0, 5, 10, 15]
    # a candidate's other folds go alone until one of its folds is measured
    head = tasks.pop()
    assert groups[head] == "candidate 0" and dispatch._bundle(head) == [head]
    for index in (0, 5, 10, 15):
        tasks.observe(index, 0.01)
    assert len(dispatch._bundle(tasks.pop())) == 3  # (a quarter of the 14 left)


def test_tasks_of_unknown_cost_go_alone_while_nothing_is_measured():
    groups = [f"candidate {c}" for c in range(16)]
    tasks = _parallel._Tasks(groups, [1.0] * 16, None, {})
    runner = BudgetedParallel(2, n_tasks=16)
    dispatch = _parallel._Dispatch(runner, abs, [(0,)] * 16, ["t"] * 16, tasks, None)
    dispatch.marker_dir = "markers"  # (process workers)
    assert [dispatch._bundle(tasks.pop()) for _ in range(2)] == [[0], [1]]
    tasks.observe(0, 0.01)
    assert dispatch._bundle(tasks.pop()) == [2, 3, 4]  # (at the mean rate now)


def test_bundled_tasks_give_the_results_of_single_ones(force_workers):
    keys = [("short", i % 2) for i in range(40)]  # measured by the first map
    with BudgetedParallel(2, n_tasks=40) as runner:
        first = runner.map(sleep_then, [(0.002, i) for i in range(40)], keys=keys)
        again = runner.map(sleep_then, [(0.002, -i) for i in range(40)], keys=keys)
    assert first == list(range(40)) and again == [-i for i in range(40)]
    assert runner.plan["tasks_in_workers"] == 80


def test_a_task_that_kills_its_worker_is_named_alone_among_short_ones(force_workers):
    tasks = [(0.005, i, i == 25) for i in range(40)]
    runner = BudgetedParallel(2, n_tasks=40)
    names = ["sleep"] * 25 + ["dies"] + ["sleep"] * 14
    out = runner.map(sleep_then, tasks, names=names, lost=lambda error: error)
    assert out[:25] + out[26:] == [*range(25), *range(26, 40)]
    assert "died while running ['dies']" in str(out[25])


def test_a_map_alone_does_not_start_a_cold_pool_for_a_cheap_batch(monkeypatch):
    get_reusable_executor().shutdown(wait=True)
    monkeypatch.setitem(_parallel._pool_start, "seconds", 1.0)
    runner = BudgetedParallel(2, n_tasks=4)
    assert runner.map(time.sleep, [(0.3,)] * 4) == [None] * 4
    assert runner.plan["tasks_in_workers"] == 0
    assert runner.plan["reason"].startswith("cheap work")
    # told that 16 such tasks will come, the same map starts the pool
    runner = BudgetedParallel(2, n_tasks=4, total_tasks=16)
    with runner:
        runner.map(time.sleep, [(0.3,)] * 4)
    assert runner.plan["tasks_in_workers"] >= 1
    assert "12 later tasks" in runner.plan["reason"]


def test_a_cold_pool_start_is_measured_from_its_first_worker_task(
    pool_start_pinned,
):
    # the caller's first task outlasts the pool's start; the worker held back
    # until it ends must not count that wait as the pool's start
    get_reusable_executor().shutdown(wait=True)
    runner = BudgetedParallel(2, n_tasks=12)
    out = runner.map(began_and_pid, [(3.0,)] * 2 + [(0.05,)] * 10)
    in_caller = [began for began, pid in out if pid == os.getpid()]
    in_workers = [began for began, pid in out if pid != os.getpid()]
    plan = runner.plan
    assert plan["pool"] == "cold" and in_caller and in_workers
    # the pool was started after the caller's first task began
    # (counting the wait for it as start-up gave ~3 s for a start of ~1.5 s)
    assert 0 < plan["pool_start_seconds"] <= min(in_workers) - min(in_caller) + 0.5
    assert _parallel._pool_start["seconds"] == max(plan["pool_start_seconds"], 0.1)


def test_costs_remembered_from_an_earlier_call_decide_at_once(pool_start_pinned):
    def run(key):
        runner = BudgetedParallel(2, n_tasks=4)
        runner.map(time.sleep, [(0.5,)] * 4, names=["sleep"] * 4, keys=[key] * 4)
        return runner.plan

    key = _parallel.work_key(time.sleep, 0.5, time.time())  # new to this process
    first = run(key)  # measured in the caller, then a pool
    assert first["tasks_in_caller"] >= 1 and first["tasks_in_workers"] >= 1
    again = run(key)
    assert again["tasks_in_caller"] == 0 and again["tasks_in_workers"] == 4
    assert again["reason"].startswith("costly work")
    assert "from the costs an earlier call measured" in again["reason"]
    # without a key, costs are measured anew
    assert run(None)["tasks_in_caller"] >= 1
    assert _parallel.work_key(lambda: 0) is None  # (cannot be pickled)


def test_remembered_costs_are_safe_from_concurrent_maps(monkeypatch):
    monkeypatch.setattr(_parallel, "_KNOWN_RATES_KEPT", 50)  # evictions all along
    errors = []

    def fit_many(seed):
        rng = np.random.RandomState(seed)
        try:
            for _ in range(300):
                keys = [f"work {k}" for k in rng.randint(0, 120, size=3)]
                BudgetedParallel(1, n_tasks=3).map(abs, [(-1,)] * 3, keys=keys)
        except Exception as exc:  # (a thread's error does not fail the test)
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can
    try:
        threads = [threading.Thread(target=fit_many, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert len(_parallel._known_rates) <= 50


def test_a_pool_kept_open_survives_other_parallel_calls_on_the_users_backend():
    # parallel_config's backend is shared by every Parallel in its scope: one
    # of them ends it when it returns, so a search does not keep it open
    with parallel_config(backend="loky"):
        runner = BudgetedParallel(2, n_tasks=4)
        with runner:
            assert runner.map(abs, [(-i,) for i in range(4)]) == [0, 1, 2, 3]
            assert Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(4)) == [
                0,
                1,
                2,
                3,
            ]
            assert runner.map(abs, [(-i,) for i in range(4)]) == [0, 1, 2, 3]
    assert runner.plan["tasks_in_workers"] == 8
