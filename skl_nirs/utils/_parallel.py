"""One CPU budget for every parallel call of skl_nirs.

Every parallel loop of the package goes through :class:`BudgetedParallel`. It

* asks joblib which backend is active (an outer ``parallel_backend`` /
  ``parallel_config`` always wins; we only pass ``prefer=`` hints) and dispatches
  through :class:`sklearn.utils.parallel.Parallel`, so ``sklearn.get_config()``
  and the warning filters reach every worker;
* splits the cores it owns between its workers and what runs inside each worker:
  the outermost call owns the backend's cores (``cpu_count()``, or the Dask
  cluster's), a call nested in one of our workers owns that worker's share, and a
  call nested in another library's joblib worker owns one core. Inside a worker,
  :func:`capped_n_jobs` caps the ``n_jobs`` of the estimator clones about to be
  fitted and BLAS/OpenMP pools are limited to the share with threadpoolctl;
* decides where the tasks run from their measured seconds: the first tasks run
  in the caller, timed, and a process pool takes the rest once they are
  estimated to take longer than the pool costs (cheap work never pays for a
  pool, costly work never stays on one core because its input is small); the
  longest tasks start first; an explicit ``parallel_config(backend=...)``
  forces workers;
* isolates worker deaths to the task that caused them, and leaves no worker
  behind its caller (SIGTERM, kill -9);
* records what it did in :attr:`BudgetedParallel.plan`.
"""

import itertools
import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from multiprocessing import current_process
from numbers import Integral
from typing import NamedTuple

import joblib
import numpy as np
from joblib import effective_n_jobs
from sklearn import config_context, get_config
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import OpenBLASController, ThreadpoolController

from skl_nirs.utils._compat import (
    Interval,
    active_backend,
    has_shareable_memory,
    loky_pool_is_warm,
    lost_worker_errors,
    map_as_joblibs,
    remove_tracked_folder,
    tracked_folder,
)

# Constraint of an ``n_jobs`` parameter: joblib gives 0 no meaning.
N_JOBS_CONSTRAINT = [
    Interval(Integral, None, -1, closed="right"),
    Interval(Integral, 1, None, closed="left"),
    None,
]

_PROCESS_BACKENDS = ("LokyBackend", "MultiprocessingBackend")

# The number of cores granted to the task running in this thread, set by
# BudgetedParallel around each task; None outside of our workers.
_cpu_share = ContextVar("skl_nirs_cpu_share", default=None)
# True in the caller's thread that runs tasks beside a process pool (see
# _Dispatch._take_tasks): a call nested there runs in that thread.
_beside_a_pool = ContextVar("skl_nirs_beside_a_pool", default=False)

_blas_lock = threading.Lock()
_blas_shares = []  # the shares of the tasks limiting thread pools in this process
_shared_original = None  # [(process-wide pool, its limit before the first task)]
_thread_pools = None  # the per-thread pools (OpenMP) found then
_scanned = (None, None)  # (len(sys.modules), ThreadpoolController) of the last scan


def _loaded_pools():
    """The thread pools of the libraries loaded in this process.

    Scanning the loaded libraries takes milliseconds, paid by every task: the
    scan is kept until modules are imported (which may load new libraries; a
    library opened with ctypes alone is not seen). Call it under ``_blas_lock``.
    """
    global _scanned
    if _scanned[0] != len(sys.modules):
        _scanned = (len(sys.modules), ThreadpoolController())
    return _scanned[1].lib_controllers


@contextmanager
def _blas_limit(share):
    """Limit the BLAS/OpenMP pools used by this task to ``share`` threads.

    BLAS pools are process-wide, while the tasks limiting them may run
    concurrently in one process (threads, a multi-threaded Dask worker) or nest:
    the limit in force is the smallest share held, set again by every task that
    starts (another library may have reset it meanwhile), and the original limits
    come back when the last holder leaves. OpenMP limits are per thread, so each
    task sets and restores its own thread's. Limits are only lowered: a BLAS
    limit set by the user around the call stays.
    """
    global _shared_original, _thread_pools
    with _blas_lock:
        if not _blas_shares:
            pools = _loaded_pools()
            _thread_pools = [lib for lib in pools if _is_per_thread(lib)]
            _shared_original = [
                (lib, lib.num_threads) for lib in pools if not _is_per_thread(lib)
            ]
        _set_limits(_shared_original, min([share, *_blas_shares]))
        own_thread = [(lib, lib.num_threads) for lib in _thread_pools]
        _set_limits(own_thread, share)
        _blas_shares.append(share)
    try:
        yield
    finally:
        with _blas_lock:
            _blas_shares.remove(share)
            try:
                _set_limits(own_thread, None)
            finally:
                try:
                    _set_limits(_shared_original, min(_blas_shares, default=None))
                finally:
                    if not _blas_shares:
                        _shared_original = _thread_pools = None


def _is_per_thread(lib):
    """OpenMP pools take limits per calling thread; BLAS pools per process."""
    return lib.user_api == "openmp" or (
        lib.internal_api == "openblas"
        and getattr(lib, "threading_layer", None) == "openmp"
    )


def _set_limits(original, limit):
    """Lower each pool's limit to ``limit``; ``None`` sets the original limits.

    threadpoolctl >= 3.8 ignores OpenBLAS limits set by any thread but the one
    that set them first, until it releases them; our threads take turns under
    ``_blas_lock`` instead, so each releases them at once. (A thread of another
    library keeps its control.)
    """
    for lib, n in original:
        if n is not None:
            lib.set_num_threads(n if limit is None else min(n, limit))
    release = getattr(OpenBLASController, "clear_controlling_thread", None)
    if release is not None:
        release()


def _capped_n_jobs(n_jobs, share):
    if n_jobs is None:
        return None
    if n_jobs < 0:  # -1 is "all the cores", -2 "all but one"...
        return max(share + 1 + n_jobs, 1)
    return min(n_jobs, share)


@contextmanager
def capped_n_jobs(estimator, share=None):
    """Cap every ``n_jobs`` parameter of ``estimator`` at the CPU share, for a while.

    The parameters are found by walking ``get_params(deep=True)``, so any
    estimator with an ``n_jobs`` parameter, however deeply nested, is capped;
    ``n_jobs=None`` is left alone (it means one job). The values are restored
    on exit, so a fitted estimator keeps the ``n_jobs`` it was given. Use it on
    clones only: the estimator is modified in between.

    Parameters
    ----------
    estimator : estimator instance
        The clone about to be fitted (and scored).
    share : int, default=None
        Cores granted; defaults to the share of the worker running this code, and
        caps nothing outside of skl_nirs workers.
    """
    share = _cpu_share.get() if share is None else share
    original = {}
    if share is not None and hasattr(estimator, "get_params"):
        for key, value in estimator.get_params(deep=True).items():
            if key.rsplit("__", 1)[-1] == "n_jobs" and isinstance(value, Integral):
                if _capped_n_jobs(value, share) != value:
                    original[key] = value
    if original:
        estimator.set_params(
            **{key: _capped_n_jobs(value, share) for key, value in original.items()}
        )
    try:
        yield estimator
    finally:
        if original:
            estimator.set_params(**original)


def _caller_share(plan):
    """Cores for work done by the caller itself after a plan (a refit, say).

    ``None`` (no cap) for the outermost call, which owns the machine; the
    budget it was given otherwise.
    """
    return None if plan["budget_owner"] == "outermost call" else plan["budget"]


def work_key(*parts):
    """A key of the work ``parts`` describe, or None when they cannot be hashed.

    The ``joblib.hash`` of the parts, estimators by their parameters (their
    clones: a fitted state would be slow to hash and says nothing of the cost).
    None for parts that cannot be pickled (a lambda in an estimator, say).
    """
    try:
        return joblib.hash(clone(list(parts), safe=False))
    except Exception:
        return None


def _nbytes(X):
    """Size of X in bytes, estimated from its shape for non-arrays."""
    if hasattr(X, "nbytes"):
        return int(X.nbytes)
    if hasattr(X, "data") and hasattr(X.data, "nbytes"):  # sparse
        return int(X.data.nbytes)
    shape = getattr(X, "shape", (len(X), 1))
    return int(shape[0] * (shape[1] if len(shape) > 1 else 1) * 8)


# -- where the tasks run ----------------------------------------------------------
#
# The decision follows the work, measured in seconds: tasks start in the caller,
# timed, and the rest go to workers as soon as their estimated time exceeds what
# the pool costs; the caller goes on working while the pool starts. The longest
# tasks go first once their costs are known.

# What starting a process pool costs, until this process has measured it (loky on
# 2 cores: 1.0-1.3 s of process starts and imports on a quiet machine, 1.5-4 s
# under load). Erring high keeps a few seconds of work in the caller, where a pool
# would have saved at most the part left once it started.
_POOL_START_SECONDS = 2.0
# A warm pool costs a call (its set-up and the first imports of the task's
# modules in the workers), a dispatch per task and the input's transfer.
_CALL_SECONDS = 0.02
_DISPATCH_SECONDS = 0.002
_TRANSFER_BYTES_PER_SECOND = 1e9
# Arrays of 64 KiB or more go to process workers through a file written once
# per pool: sent with every task they would cross a pipe of 64 KiB while the
# cores are busy (a 480 KB X left the workers 3 ms idle per 14 ms task). Up to
# 1 MB, each worker reads the file once and each task gets its own copy (see
# _read_filed); above, the tasks get read-only memory maps of it, as joblib
# gives them (joblib's own maps, in a folder per call, made the caller wait
# 0.1 s at the end of 60 % of calls for workers to let go of the file; a
# Parallel with other thresholds would restart the user's workers, which joblib
# reuses only for the same options).
_FILED_BYTES, _MAPPED_BYTES = 1 << 16, 1e6
# In a worker, the filed arrays read by its latest tasks: path: (file id, array).
_read_arrays = {}
_READ_ARRAYS_KEPT = 4

_pool_start = {"seconds": _POOL_START_SECONDS, "measured": False}
# Seconds per unit of size of the work measured by earlier calls, by key
# (``map(keys=...)``); the latest ones.
_known_rates = {}
_KNOWN_RATES_KEPT = 1000
_known_rates_lock = threading.Lock()  # (maps may run in several threads at once)
# Results as they come. One dispatch at a time, as _Tasks orders them (joblib's
# automatic batches would bundle tasks of unequal cost; _Dispatch._bundle
# bundles short ones of known cost); one queued per worker, so that a worker does
# not wait for its next task.
_POOL_OPTIONS = {
    "return_as": "generator_unordered",
    "batch_size": 1,
    "pre_dispatch": "2*n_jobs",
}
_parent_watched = None  # the caller pid a worker of ours watches (see _run_task)
_WAIT_POLL_SECONDS = 0.005
# Short tasks go to process workers in bundles of about this many seconds: each
# dispatch costs a worker ~1 ms (GIL-bound search, 13 ms tasks: 1.55x -> 1.63x
# of n_jobs=1; a search's new candidates bundled too, 7 ms tasks: 1.48x -> 1.52x).
_BUNDLE_SECONDS = 0.05
# Native code that holds the GIL (LAPACK through scipy.linalg, which PCA's
# "full" solver calls) runs one thread at a time: threads on one BLAS thread
# each are then slower than one thread on all of them. A thread sleeping
# _GIL_PROBE_SECONDS at a time and waking later than _GIL_HELD_SECONDS was
# kept from the GIL by native code (Python code lets go every 5 ms; the
# scheduler delays a wake-up by a few ms on an idle core, more under load).
# Work holding it _GIL_BOUND of its first task (of its first _GIL_PROBE_WINDOW,
# for a longer task) runs one task at a time. (Native calls that each hold it
# for less than _GIL_HELD_SECONDS are not seen.)
_GIL_PROBE_SECONDS, _GIL_HELD_SECONDS, _GIL_BOUND = 0.01, 0.03, 0.75
_GIL_PROBE_WINDOW = 0.5


class _GilProbe(threading.Thread):
    """A thread measuring the share of time native code keeps it from the GIL."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop, self.held, self.since = threading.Event(), 0.0, time.perf_counter()

    def run(self):
        while True:
            before = time.perf_counter()
            if self.stop.wait(_GIL_PROBE_SECONDS):  # (waking needs the GIL)
                return
            late = time.perf_counter() - before - _GIL_PROBE_SECONDS
            if late > _GIL_HELD_SECONDS:
                self.held += late

    def share(self):
        """Stop; the share of the time since the start the GIL was held."""
        self.stop.set()
        self.join()
        return min(1.0, self.held / max(time.perf_counter() - self.since, 1e-9))


class _FiledArray:
    """An array saved in a file: pickled as its path, unpickled as a copy of it
    or, if ``mapped``, as a read-only memory map of the file."""

    def __init__(self, path, mapped=False):
        self.path, self.mapped = path, mapped

    def __reduce__(self):
        if self.mapped:
            return map_as_joblibs, (self.path,)
        return _read_filed, (self.path,)


def _read_filed(path):
    """A copy of the array saved in ``path``, read once per worker process.

    Each task gets its own writable copy (a task may change its input); reading
    the file again for each would take 0.6 ms per task of a 480 KB array while
    the cores are busy, a copy takes 0.01 ms.
    """
    stat = os.stat(path)
    file_id = (stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size)
    if _read_arrays.get(path, (None,))[0] != file_id:
        _read_arrays.pop(path, None)
        _read_arrays[path] = (file_id, np.load(path))
        while len(_read_arrays) > _READ_ARRAYS_KEPT:
            del _read_arrays[next(iter(_read_arrays))]  # the oldest
    return _read_arrays[path][1].copy()


class _TaskResult(NamedTuple):
    """What a task returns to the caller."""

    index: int
    value: object
    seconds: float
    pid: int
    started: float  # time.time() when it began (a cold pool's start, see _consume)


def _run_task(func, index, share, marker_dir, caller_pid, *args):
    """Run ``func(*args)`` granted ``share`` cores; time it.

    The arguments come last and flat, so that joblib's Dask backend sends a
    large array once per worker, not with every task.

    In a worker process, a file named ``index`` in ``marker_dir`` tells the
    caller the task started (to name the task that killed its worker), and a
    thread ends the worker when the caller is gone (SIGTERM, kill -9).
    """
    if marker_dir is not None:
        open(os.path.join(marker_dir, str(index)), "w").close()
        _exit_with_parent(caller_pid)
    started, start = time.time(), time.perf_counter()
    token = _cpu_share.set(share)
    try:
        with _blas_limit(share):
            value = func(*args)
    finally:
        _cpu_share.reset(token)
    seconds = time.perf_counter() - start
    return _TaskResult(index, value, seconds, os.getpid(), started)


def _run_tasks(func, indices, share, marker_dir, caller_pid, arg_lists):
    """Run several tasks in a row (see :func:`_run_task`); a list of results."""
    return [
        _run_task(func, index, share, marker_dir, caller_pid, *args)
        for index, args in zip(indices, arg_lists)
    ]


def _exit_with_parent(caller_pid):
    """End this worker process soon after ``caller_pid``, its caller, is gone.

    The caller may be gone already: a worker still starting when the caller was
    killed reads the tasks left in its pipe, and must not run them (the wait of
    :func:`_wait_while_exists` would never end: the caller's folder is removed
    only once its workers are gone).
    """
    global _parent_watched
    if _parent_watched == caller_pid or os.getpid() == caller_pid:  # (sequential)
        return
    _parent_watched = caller_pid
    threading.Thread(target=_watch_parent, args=(caller_pid,), daemon=True).start()


@contextmanager
def terminate_on_sigterm():
    """End the work on SIGTERM as on Ctrl-C: workers are shut down, not orphaned.

    Python's default SIGTERM ends the process at once, leaving its loky workers
    to finish their tasks. While this is active (in the main thread, when no
    SIGTERM handler was set), SIGTERM raises ``SystemExit(143)`` instead, which
    joblib handles as an interruption: it stops the workers. Anywhere else it
    does nothing.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_system_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_system_exit(signum, frame):
    raise SystemExit(128 + signum)


def _wait_while_exists(path, caller_pid):
    """Wait, in a worker, while ``path`` exists (the caller's thread runs tasks);
    return ``time.time()`` when the wait began."""
    started = time.time()
    _exit_with_parent(caller_pid)
    while os.path.exists(path):
        time.sleep(_WAIT_POLL_SECONDS)
    return started


def _watch_parent(caller_pid):
    while _is_alive(caller_pid):
        time.sleep(0.5)
    os._exit(1)


def _is_alive(caller_pid):
    """Whether ``caller_pid`` is this worker's parent, or (a worker of a fork
    server, or reparented: its caller killed) a process that still runs: not
    gone, and on Linux not a zombie (ended, not yet reaped by its parent)."""
    if os.getppid() == caller_pid:
        return True
    if os.name != "posix":  # (os.kill would end it)
        return True
    try:
        os.kill(caller_pid, 0)
    except (ProcessLookupError, PermissionError):  # (another user's: pid reused)
        return False
    try:
        with open(f"/proc/{caller_pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):  # (no /proc: macOS)
        return True


class _Tasks:
    """The tasks not started yet, handed out longest first; thread-safe.

    A task costs its group's measured seconds per unit of size (a branch's
    folds and refit: seconds per training row) times its size. A group not
    measured yet costs at least what its running task has taken so far, and at
    least the mean rate of the measured groups. Unexplored groups start first,
    in the given order, so that their costs are known early.
    """

    def __init__(self, groups, sizes, prior_rate, known):
        self.lock = threading.Lock()
        self.groups, self.sizes = groups, sizes
        self.pending = list(range(len(groups)))
        self.prior_rate = prior_rate
        # group: [seconds, size]; a rate known from earlier maps weighs one unit
        self._measured = {group: [rate, 1.0] for group, rate in known.items()}
        self._running = {}  # index: when it was handed out
        # group: the first of its tasks handed out (None: measured by earlier maps)
        self._explored = dict.fromkeys(self._measured)

    def observe(self, index, seconds):
        self._running.pop(index, None)
        seconds_size = self._measured.setdefault(self.groups[index], [0.0, 0.0])
        seconds_size[0] += seconds
        seconds_size[1] += self.sizes[index]

    def rates(self):
        return {group: s / max(n, 1e-12) for group, (s, n) in self._measured.items()}

    def is_measured(self, index):
        return self.groups[index] in self._measured

    def mean_rate(self):
        rates = list(self.rates().values())
        return sum(rates) / len(rates) if rates else self.prior_rate

    def running_rates(self):
        """Per group, the lower bound its running tasks give of its rate."""
        now, rates = time.perf_counter(), {}
        for index, start in self._running.items():
            rate = (now - start) / max(self.sizes[index], 1e-12)
            group = self.groups[index]
            rates[group] = max(rates.get(group, 0.0), rate)
        return rates

    def estimate(self, index, running_rates, floor=0.0):
        """Seconds of task ``index``; ``floor``: least rate of unmeasured groups."""
        group = self.groups[index]
        if group in self._measured:
            seconds, size = self._measured[group]
            return seconds / max(size, 1e-12) * self.sizes[index]
        rate = max(self.mean_rate() or 0.0, running_rates.get(group, 0.0), floor)
        return rate * self.sizes[index]

    def bundle_estimate(self, index):
        """Seconds of task ``index`` if known well enough to bundle it, or inf.

        A measured group costs its rate; the first task of a group costs the
        mean rate of the measured ones (as joblib's automatic batches size
        tasks not seen yet by the earlier ones); the other tasks of a group not
        measured yet wait for its first (a costly branch's folds are not sent
        together).
        """
        first = self._explored.get(self.groups[index], index) == index
        if self.is_measured(index) or (first and self.mean_rate() is not None):
            return self.estimate(index, {})
        return math.inf

    def pop(self, within=None):
        """The next task to start, or None.

        With ``within``, only a task whose :meth:`bundle_estimate` is at most
        ``within`` seconds (the next one in order: the others are shorter, or
        not explored yet).
        """
        if not self.pending:
            return None
        new = [i for i in self.pending if self.groups[i] not in self._explored]
        if new:
            index = new[0]
        else:
            rates = self.running_rates()
            index = max(self.pending, key=lambda i: (self.estimate(i, rates), -i))
        if within is not None and not self.bundle_estimate(index) <= within:
            return None
        self.pending.remove(index)
        self._explored.setdefault(self.groups[index], index)
        self._running[index] = time.perf_counter()
        return index

    def put_back(self, indices):
        for index in indices:
            self._running.pop(index, None)
        self.pending = sorted({*self.pending, *indices})


def _pool_kind(plan):
    if plan["threads"]:
        return "threads"
    if plan["backend"] == "loky":
        return "warm" if loky_pool_is_warm(plan["n_workers"]) else "cold"
    return plan["backend"]


def _pool_cost(kind, n_tasks, data_bytes):
    """Estimated seconds a pool of ``kind`` adds to ``n_tasks`` tasks."""
    if kind == "threads":
        return 0.0
    cost = (
        _CALL_SECONDS
        + n_tasks * _DISPATCH_SECONDS
        + data_bytes / _TRANSFER_BYTES_PER_SECOND
    )
    return cost + (_pool_start["seconds"] if kind == "cold" else 0.0)


def _budget(backend):
    """The cores this call owns, and why."""
    outer_share = _cpu_share.get()
    if outer_share is not None:
        return outer_share, "share of an outer skl_nirs worker"
    if backend.nesting_level:
        return 1, "inside another library's parallel worker"
    if type(backend).__name__ in _PROCESS_BACKENDS and current_process().daemon:
        # a daemon process (e.g. running a Dask task) cannot start loky workers
        return 1, "daemon process"
    return effective_n_jobs(-1), "outermost call"


def _make_plan(n_jobs, n_tasks, prefer):
    backend, context_n_jobs, explicit = active_backend(prefer)
    budget, owner = _budget(backend)

    requested = n_jobs if n_jobs is not None else context_n_jobs
    if requested in (None, 1):
        requested = 1
    elif budget > 1:  # (a daemon's loky backend would warn when asked)
        requested = backend.effective_n_jobs(requested)
    beside_a_pool = _beside_a_pool.get()
    n_workers = 1 if beside_a_pool else max(1, min(requested, n_tasks, budget))
    name = type(backend).__name__.removesuffix("Backend").lower()
    if explicit and name == "sequential":
        reason = "forced: the caller (parallel_config backend='sequential')"
    elif requested == 1:
        reason = f"n_jobs={n_jobs}" + ("" if n_jobs in (None, 1) else ": 1 worker")
    elif beside_a_pool:
        # a pool of its own would share joblib's executor with the outer one,
        # and resizing it would wait for the outer tasks, one of which waits
        # for this thread
        reason = "in a task of the caller's thread, beside which a pool may run"
    elif n_tasks <= 1:
        reason = "a single task"
    elif n_workers == 1:
        reason = f"CPU budget of 1 core ({owner})"
    else:
        reason = None
    threads = bool(getattr(backend, "uses_threads", False))
    if reason:
        dispatch = "caller"
    elif explicit:
        dispatch = f"workers (parallel_config backend={name!r})"
    else:
        dispatch = "auto"
    return {
        "backend": name,
        "n_jobs": n_jobs,
        "n_tasks": n_tasks,
        "budget": budget,
        "budget_owner": owner,
        "n_workers": n_workers,
        "inner_n_jobs": max(1, budget // n_workers),
        "blas_threads": max(1, budget // n_workers) if n_workers > 1 else None,
        "threads": threads,
        # what map() decides and measures
        "dispatch": dispatch,
        "sequential": reason is not None,
        "sequential_reason": reason,
        "reason": reason,
        "pool": None,
        "pool_cost": None,
        "estimate": None,
        "pool_start_seconds": None,
        "gil_held": None,
        "tasks_in_caller": 0,
        "tasks_in_workers": 0,
        "caller_seconds": 0.0,
        "worker_seconds": 0.0,
    }


def _tasks_text(n):
    return f"{n} task" if n == 1 else f"{n} tasks"


def format_plan(plan):
    """One line describing a plan recorded by :class:`BudgetedParallel`.

    The counts are of every task the plan's calls ran (a search's batches).
    """
    where = (
        f"{_tasks_text(plan['tasks_in_caller'])} in the caller "
        f"({plan['caller_seconds']:.2f} s), {plan['tasks_in_workers']} in workers "
        f"({plan['worker_seconds']:.2f} s)"
    )
    if plan["sequential"]:
        return (
            f"sequential ({plan['sequential_reason']}); "
            f"inner n_jobs <= {plan['inner_n_jobs']}; {where}"
        )
    pool = f", {plan['pool']} pool" if plan["pool"] not in (None, "threads") else ""
    return (
        f"{plan['n_workers']} {plan['backend']} workers "
        f"({plan['budget']} cores, {plan['budget_owner']}{pool}); per worker: inner "
        f"n_jobs <= {plan['inner_n_jobs']}, BLAS threads = {plan['blas_threads']}; "
        f"{where}; {plan['reason']}"
    )


class BudgetedParallel:
    """Run tasks within the CPU budget, in the caller or in workers as the work asks.

    The plan (workers, the cores of each) is made here; where the tasks run is
    decided by :meth:`map` from their measured seconds: a process pool is used
    only once the tasks left are estimated to take longer than the pool costs.
    An outer ``parallel_config(backend=...)`` forces workers, ``n_jobs=1`` or
    ``parallel_config(backend="sequential")`` the caller. Used as a context
    manager, it keeps its pool between maps.

    Parameters
    ----------
    n_jobs : int or None
        The caller's ``n_jobs``.
    n_tasks : int
        How many tasks one :meth:`map` runs (an upper bound for searches).
    data_bytes : int, default=0
        Bytes of input every task reads (written once per pool for process
        workers when 64 KiB or more, else sent with each task), for the
        pool's cost.
    prefer : {"processes", "threads"}, default="processes"
        Backend hint; an outer ``parallel_backend``/``parallel_config`` wins.
    total_tasks : int, default=None
        How many tasks all the maps of this runner will run (a search's
        batches; an upper bound), so that the work of the later maps counts
        in the decision to start a pool. None: each map decides for itself.

    Attributes
    ----------
    plan : dict
        The budget (``backend``, ``budget``, ``n_workers``, ``inner_n_jobs``,
        ``blas_threads``), and what :meth:`map` did: ``dispatch`` ("auto",
        forced "workers ..." or "caller"), ``pool`` ("cold", "warm", "threads",
        ...), ``tasks_in_caller`` / ``tasks_in_workers`` and their measured
        ``caller_seconds`` / ``worker_seconds``, the ``estimate`` (seconds of
        the tasks left, those of later maps included) and ``pool_cost`` behind
        the decision, its ``reason``, ``gil_held`` (under threads: the share of
        the first task's time native code held the GIL),
        ``pool_start_seconds`` when a cold pool was started, and ``sequential``
        (no task ran in a worker) with its ``sequential_reason``.
    """

    def __init__(
        self, n_jobs, *, n_tasks, data_bytes=0, prefer="processes", total_tasks=None
    ):
        self.prefer = prefer
        self.data_bytes = data_bytes
        self.total_tasks = total_tasks
        self.plan = _make_plan(n_jobs, n_tasks, prefer)
        self._rate = None  # seconds per unit of size, measured by earlier maps
        self._gil_held = None  # the GIL share of a task, measured in threads
        self._mapped = 0  # tasks of the earlier maps
        self._keep_open = False
        self._parallel = None  # the pool kept open between maps, inside ``with``
        self._filed_dir = None  # the files of mid-sized inputs (``_file``)
        self._filed = {}  # id(array): (array, its _FiledArray)

    def __enter__(self):
        self._keep_open = True
        return self

    def __exit__(self, *exc_info):
        self._keep_open = False
        self._close_pool()

    def later_tasks(self, n_tasks):
        """Tasks left for later maps, after one of ``n_tasks``; 0 if unknown."""
        if self.total_tasks is None:
            return 0
        return max(0, self.total_tasks - self._mapped - n_tasks)

    def _pool(self):
        """The ``Parallel`` running a map's tasks in workers.

        Inside ``with``, one ``Parallel`` serves every map (joblib's managed
        mode): the pool and its memory-mapped inputs are set up once, not once
        per map (a search's batches).
        """
        if self._parallel is not None:
            return self._parallel
        parallel = Parallel(
            n_jobs=self.plan["n_workers"], prefer=self.prefer, **_POOL_OPTIONS
        )
        # (not a backend of the user's parallel_config: other Parallel calls
        # share it, and one of them would end it between our maps)
        if self._keep_open and not self.plan["dispatch"].startswith("workers"):
            self._parallel = parallel.__enter__()
        return parallel

    def _close_pool(self):
        parallel, self._parallel = self._parallel, None
        folder, self._filed_dir, self._filed = self._filed_dir, None, {}
        try:
            if parallel is not None:
                parallel.__exit__(None, None, None)
        finally:
            if folder is not None:
                remove_tracked_folder(folder)

    def _file(self, arg):
        """``arg``, or a :class:`_FiledArray` of it for an array of 64 KiB or more.

        The array is written once while the pool is open (the same object is
        assumed unchanged meanwhile, as joblib assumes of its memory maps). An
        array in a memory map the user opened (or a view of one, as
        ``check_array`` returns) is left to joblib, which hands workers its
        file.
        """
        if type(arg) is not np.ndarray or arg.dtype.hasobject:
            return arg
        if arg.nbytes < _FILED_BYTES or has_shareable_memory(arg):
            return arg
        if id(arg) not in self._filed:
            if self._filed_dir is None:
                self._filed_dir = tracked_folder(shared=True)
            path = os.path.join(self._filed_dir, f"{len(self._filed)}.npy")
            np.save(path, arg)
            filed = _FiledArray(path, mapped=arg.nbytes > _MAPPED_BYTES)
            self._filed[id(arg)] = (arg, filed)
        return self._filed[id(arg)][1]

    def map(self, func, arg_tuples, *, names=None, keys=None, sizes=None, lost=None):
        """Return ``[func(*args) for args in arg_tuples]``, computed in parallel.

        Parameters
        ----------
        func : callable
            A module-level function (it is pickled to workers).
        arg_tuples : list of tuple
            The arguments of each task.
        names : list of str, default=None
            One per task: named in the error when a worker process dies.
        keys : list, default=None
            One per task: what identifies its work, and so its cost per unit of
            size, across calls in this process (see :func:`work_key`; e.g. the
            folds and refit of one branch). The costs measured for a key decide
            the later calls at once. None (for all, or for a task): measured
            anew, tasks of a name costing alike.
        sizes : list of float, default=None
            One per task: its size (e.g. training rows). Defaults to 1.
        lost : callable, default=None
            ``lost(error)`` gives the result of a task that killed its worker;
            by default the error is raised.
        """
        n = len(arg_tuples)
        names = list(names) if names is not None else [f"task {i}" for i in range(n)]
        keys = list(keys) if keys is not None else [None] * n
        groups = [(key, name) if key is None else key for key, name in zip(keys, names)]
        with _known_rates_lock:
            known = {k: _known_rates[k] for k in keys if k in _known_rates}
        sizes = list(sizes) if sizes is not None else [1.0] * n
        tasks = _Tasks(groups, sizes, self._rate, known)
        dispatch = _Dispatch(self, func, list(arg_tuples), names, tasks, lost)
        try:
            results = dispatch.run()
        except BaseException:
            self._close_pool()  # (a pool that failed is not reused)
            raise
        if not self._keep_open:
            self._close_pool()
        self._rate = tasks.mean_rate()
        self._mapped += n
        rates = tasks.rates()
        with _known_rates_lock:
            for key in set(keys) & set(rates):
                _known_rates.pop(key, None)  # (kept in the order of use)
                _known_rates[key] = rates[key]
            while len(_known_rates) > _KNOWN_RATES_KEPT:
                del _known_rates[next(iter(_known_rates))]  # the oldest
        self.plan["sequential"] = self.plan["tasks_in_workers"] == 0
        self.plan["sequential_reason"] = (
            self.plan["reason"] if self.plan["sequential"] else None
        )
        return results


class _Dispatch:
    """One :meth:`BudgetedParallel.map`: where each task runs, and its result."""

    def __init__(self, runner, func, arg_tuples, names, tasks, lost):
        self.runner, self.plan = runner, runner.plan
        self.func, self.arg_tuples, self.names = func, arg_tuples, names
        self.tasks, self.lost = tasks, lost
        self.cond = threading.Condition(tasks.lock)
        self.results = {}
        self.running = None  # (index, start) of the task running in the caller
        self.caller_error = None
        self.stop = False  # the caller takes no more tasks
        self.handed_over = False  # the caller stopped: the pool pays
        self.marker_dir = None
        self.dispatched = set()  # handed to the pool, no result yet
        self.caller_active = False  # the caller's thread may take tasks
        self.caller_busy = None  # a file that exists while it does (see _feed)

    def run(self):
        plan = self.plan
        if plan["dispatch"] == "caller":
            self._all_in_caller()
        elif plan["threads"]:
            plan["reason"] = "threads: no pool to start"
            if plan["dispatch"] != "auto":
                plan["reason"] = f"forced: {plan['dispatch']}"
            self._in_threads()
        elif plan["dispatch"] != "auto":
            plan["reason"] = f"forced: {plan['dispatch']}"
            self._in_pool(_pool_kind(plan))
        else:
            self._measure_then_decide(_pool_kind(plan))
        return [self.results[i] for i in range(len(self.arg_tuples))]

    def _record(self, result, in_caller):
        """Keep a result and its cost; call under ``self.cond``."""
        self.results[result.index] = result.value
        self.tasks.observe(result.index, result.seconds)
        tasks, seconds = (
            ("tasks_in_caller", "caller_seconds")
            if in_caller
            else ("tasks_in_workers", "worker_seconds")
        )
        self.plan[tasks] += 1
        self.plan[seconds] += result.seconds

    def _run_here(self, index, share):
        return _run_task(self.func, index, share, None, None, *self.arg_tuples[index])

    def _all_in_caller(self):
        share = self.plan["inner_n_jobs"]
        while (index := self.tasks.pop()) is not None:
            result = self._run_here(index, share)
            self._record(result, in_caller=True)

    # -- auto: the caller measures, then a pool takes the rest if it pays ---------

    def _measure_then_decide(self, kind):
        with self.cond:  # costs known from earlier calls may decide at once
            pool = self._worth_a_pool(kind)
        if pool:
            return self._in_pool(kind)
        config = get_config()
        share = self.plan["inner_n_jobs"]
        caller = threading.Thread(
            target=self._caller_loop, args=(config, share), kwargs={"pool": kind}
        )
        caller.daemon = True  # an interrupted fit does not wait for its task
        self.caller_active = True
        caller.start()
        poll = max(0.01, _pool_cost(kind, 1, 0) / 50)
        try:
            with self.cond:
                while not self.caller_error and (self.running or self.tasks.pending):
                    pool = self.handed_over or self._worth_a_pool(kind)
                    if pool:  # (beside a warm pool, the caller takes no new task)
                        self.handed_over = kind != "cold"
                        break
                    self.cond.wait(poll)
            if pool and not self.caller_error:
                self._in_pool(kind)
        finally:
            with self.cond:
                self.stop = True
        if self.caller_error is None:
            caller.join()
        if self.caller_error is not None:
            raise self.caller_error
        if not pool and self.plan["pool"] is None:  # (no earlier map used one)
            self.plan["reason"] = self._cheap_reason(kind)

    def _caller_loop(self, config, share, n_tasks=None, pool=None):
        """Run tasks in this thread until told to stop, or ``n_tasks`` of them.

        With a ``pool`` kind other than "cold", no new task is taken once that
        pool is worth using: its workers start at once, and a task of the
        caller's would, holding the GIL, delay their dispatch. While a cold pool
        starts, the caller works on. Meanwhile the pool runs one task fewer than
        it has workers (see :meth:`_feed`).
        """
        try:
            self._take_tasks(config, share, n_tasks, pool)
        finally:
            with self.cond:
                self.caller_active = False
                if self.caller_busy is not None:  # (a worker waits for it)
                    with suppress(FileNotFoundError):
                        os.remove(self.caller_busy)
                    self.caller_busy = None
                self.cond.notify_all()

    def _take_tasks(self, config, share, n_tasks, pool):
        if pool is not None:  # (this thread's own context)
            _beside_a_pool.set(True)
        with config_context(**config):
            for _ in itertools.count() if n_tasks is None else range(n_tasks):
                with self.cond:
                    self.handed_over = self.handed_over or (
                        pool not in (None, "cold")
                        and not self.stop
                        and self._worth_a_pool(pool)
                    )
                    if self.stop or self.handed_over or self._workers_started():
                        return
                    index = self.tasks.pop()
                    if index is None:
                        return
                    self.running = (index, time.perf_counter())
                try:
                    result = self._run_here(index, share)
                except BaseException as exc:
                    with self.cond:
                        self.caller_error, self.running = exc, None
                    return
                with self.cond:
                    self._record(result, in_caller=True)
                    self.running = None
                    self.cond.notify_all()

    def _workers_started(self):
        return self.marker_dir is not None and bool(self._started())

    def _started(self):
        """The tasks that workers have started (of which a marker was written)."""
        return {int(name) for name in os.listdir(self.marker_dir) if name.isdigit()}

    def _worth_a_pool(self, kind):
        """Whether to start the pool now; call under ``self.cond``.

        A task running in the caller is assumed to take at least twice what it
        has taken so far, and tasks of unmeasured groups as long per unit of
        size; the caller goes on working while the pool starts.
        """
        pending = self.tasks.pending
        if not pending:
            return False
        rates = self.tasks.running_rates()
        floor = max(rates.values(), default=0.0)
        left_in_caller = elapsed = 0.0
        if self.running is not None:
            index, start = self.running
            elapsed = time.perf_counter() - start
            estimate = self.tasks.estimate(index, rates)
            unmeasured = not self.tasks.is_measured(index)
            left_in_caller = max(estimate - elapsed, elapsed if unmeasured else 0.0)
        estimates = [self.tasks.estimate(i, rates, floor) for i in pending]
        # the later maps of a search cost as much per task as the pending tasks
        later = self.runner.later_tasks(len(self.arg_tuples))
        left = sum(estimates) * (1 + later / len(pending))
        cost = _pool_cost(kind, len(pending), self.runner.data_bytes)
        in_caller_meanwhile = max(0.0, cost - left_in_caller)
        n_workers = min(self.plan["n_workers"], len(pending) + later)
        with_pool = max(
            left_in_caller,
            cost + max((left - in_caller_meanwhile) / n_workers, max(estimates)),
        )
        if left_in_caller + left <= with_pool + cost / 2:  # (estimates are rough)
            return False
        if self.plan["pool"] is not None:  # (the plan keeps the decision to start it)
            return True
        self.plan["estimate"], self.plan["pool_cost"] = left, cost
        if self.plan["tasks_in_caller"]:
            basis = f"after {self.plan['tasks_in_caller']} measured in the caller"
        elif self.running is not None:
            basis = f"while the caller's first task ran ({elapsed:.2f} s so far)"
        else:
            basis = "from the costs an earlier call measured"
        self.plan["reason"] = (
            f"costly work: {_tasks_text(len(pending))}"
            + (f" (and {later} later tasks like them)" if later else "")
            + f" estimated at {left:.2f} s {basis}; a {kind} pool costs ~{cost:.2f} s"
        )
        return True

    def _cheap_reason(self, kind):
        cost = _pool_cost(kind, self.plan["tasks_in_caller"], self.runner.data_bytes)
        self.plan["pool_cost"] = cost
        return (
            f"cheap work: {_tasks_text(self.plan['tasks_in_caller'])} took "
            f"{self.plan['caller_seconds']:.3f} s in the caller; a {kind} pool "
            f"(~{cost:.2f} s) was never estimated to end the tasks left sooner"
        )

    # -- threads: as many at once as the GIL lets run ----------------------------

    def _in_threads(self):
        """Run the tasks in threads, unless they hold the GIL.

        The runner's first task runs alone in a thread of the caller with the
        whole budget, while :class:`_GilProbe` measures how long native code
        keeps the GIL. Work that holds it less than ``_GIL_BOUND`` of the time
        goes on in the backend's threads, on their share, once that task ends
        (or after ``_GIL_PROBE_WINDOW``); otherwise the caller runs every task,
        one at a time with the whole budget (the plan of ``n_jobs=1``): threads
        would take turns on one BLAS thread each. A runner measures once.
        """
        plan, runner, first = self.plan, self.runner, None
        if runner._gil_held is None:
            config, budget = get_config(), plan["budget"]
            with _blas_lock:  # (a first scan takes longer than the probe)
                _loaded_pools()
            first = threading.Thread(target=self._caller_loop, args=(config, budget, 1))
            first.daemon = True  # an interrupted fit does not wait for its task
            counted = plan["tasks_in_caller"]  # (by the earlier maps)
            probe = _GilProbe()
            probe.start()
            self.caller_active = True
            first.start()
            with self.cond:
                self.cond.wait_for(
                    lambda: (
                        self.caller_error
                        or plan["tasks_in_caller"] > counted
                        or not (self.running or self.tasks.pending)
                    ),
                    timeout=_GIL_PROBE_WINDOW,
                )
            runner._gil_held = probe.share()
        plan["gil_held"] = runner._gil_held
        if runner._gil_held >= _GIL_BOUND:
            plan["inner_n_jobs"] = plan["blas_threads"] = plan["budget"]
            plan["reason"] += (
                f"; the tasks hold the GIL {runner._gil_held:.0%} of their time: "
                f"one at a time in the caller, with {plan['budget']} BLAS threads"
            )
            if first is not None:  # (its task first: one at a time)
                first.join()
            if not self.caller_error:
                self._all_in_caller()
        elif not self.caller_error:
            self._in_pool("threads")  # while the first task ends
        if first is not None:
            first.join()
        if self.caller_error is not None:
            raise self.caller_error

    # -- the pool ---------------------------------------------------------------

    def _in_pool(self, kind):
        self.plan["pool"] = self.plan["pool"] or kind  # (the first map's: it started)
        if self.plan["backend"] in ("loky", "multiprocessing"):
            self.marker_dir = tracked_folder(shared=True)
        try:
            with terminate_on_sigterm():  # (also while suspects run alone)
                while True:
                    try:
                        return self._consume(kind)
                    except Exception as exc:
                        if not _is_lost_worker(exc):
                            raise
                        self.runner._close_pool()  # (its executor is broken)
                        self._after_lost_worker(exc)
                        if not self.tasks.pending:  # (an empty call may not return)
                            return None
        finally:
            with self.cond:  # the caller's thread stops looking at the markers
                self.stop = True
                marker_dir, self.marker_dir = self.marker_dir, None
            if marker_dir is not None:
                remove_tracked_folder(marker_dir)

    def _feed(self, share):
        """The pool's tasks, longest first.

        While the caller's thread takes tasks, a first task that waits for it
        to stop holds one worker (process or thread): no more tasks run at once
        (in the cores and in memory) than there are workers. (joblib reads two
        tasks ahead, so the feed itself must not wait.)
        """
        with self.cond:
            if self.caller_active and self.marker_dir is not None:
                self.caller_busy = os.path.join(self.marker_dir, "caller")
                open(self.caller_busy, "w").close()
            busy, in_threads = (
                self.caller_busy,
                self.caller_active and self.plan["threads"],
            )
        if busy is not None:  # (not under the lock: joblib resumes us when it likes)
            yield delayed(_wait_while_exists)(busy, os.getpid())
        elif in_threads:
            yield delayed(self._wait_for_caller)()
        marks = self.marker_dir, os.getpid()
        while True:
            with self.cond:
                index = None if self.caller_error else self.tasks.pop()
                if index is None:
                    return
                bundle = self._bundle(index)
                self.dispatched.update(bundle)
            if self.marker_dir is None:  # (threads, Dask: the arguments flat)
                args = self.arg_tuples[index]
                yield delayed(_run_task)(self.func, index, share, *marks, *args)
                continue
            args = [list(map(self.runner._file, self.arg_tuples[i])) for i in bundle]
            yield delayed(_run_tasks)(self.func, bundle, share, *marks, args)

    def _wait_for_caller(self):
        """In a thread of the pool, wait while the caller's thread runs its task;
        return ``time.time()`` when the wait began (see :func:`_wait_while_exists`)."""
        started = time.time()
        with self.cond:
            self.cond.wait_for(lambda: not self.caller_active)
        return started

    def _bundle(self, index):
        """``index`` and the short tasks sent with it to a process worker.

        Tasks estimated to take less than ``_BUNDLE_SECONDS`` together go in
        one dispatch (each dispatch costs a worker about 1 ms), but never more
        than a share of the pending tasks that keeps the workers' last tasks
        even (see :meth:`_Tasks.bundle_estimate`: a search's new candidates
        go together, a new branch's folds do not).
        """
        bundle, tasks = [index], self.tasks
        if self.marker_dir is None:
            return bundle
        left = _BUNDLE_SECONDS - tasks.bundle_estimate(index)
        most = max(1, (len(tasks.pending) + 1) // (2 * self.plan["n_workers"]))
        while len(bundle) < most and (other := tasks.pop(within=left)) is not None:
            bundle.append(other)
            left -= tasks.bundle_estimate(other)
        return bundle

    def _consume(self, kind):
        start = time.time()  # (the workers' clock: the same machine's)
        parallel = self.runner._pool()
        for results in parallel(self._feed(self.plan["inner_n_jobs"])):
            if isinstance(results, float):  # the wait for the caller's thread
                began, results = results, []
            else:
                results = [results] if isinstance(results, _TaskResult) else results
                began = results[0].started
            if kind == "cold" and self.plan["pool_start_seconds"] is None:
                # the first item to come back was the first its worker ran: it
                # began when that worker was ready (the wait for the caller's
                # thread counts, or a worker held by it would seem to start late)
                seconds = max(began - start, 0.0)
                self.plan["pool_start_seconds"] = seconds
                _pool_start.update(seconds=max(seconds, 0.1), measured=True)
            with self.cond:
                for result in results:
                    self.dispatched.discard(result.index)
                    self._record(result, in_caller=False)
                if self.caller_error is not None:
                    raise self.caller_error

    def _after_lost_worker(self, exc):
        """Name the tasks that killed their worker; put the others back."""
        started = set(self.dispatched)
        if self.marker_dir is not None:
            markers = self._started()
            started &= markers
            for index in markers:
                os.remove(os.path.join(self.marker_dir, str(index)))
        with self.cond:
            self.tasks.put_back(self.dispatched - started)
            self.dispatched.clear()
        suspects = sorted(started)
        if len(suspects) > 1 and self.marker_dir is not None:
            suspects = self._isolate(suspects)  # the others complete meanwhile
        names = sorted({self.names[i] for i in suspects}) or "the tasks"
        message = f"A worker process died while running {names}: {exc}"
        try:
            error = type(exc)(message)
        except TypeError:  # Dask's KilledWorker takes other arguments
            error = RuntimeError(message)
        if self.lost is None:
            raise error from exc
        with self.cond:
            for index in suspects:
                self.results[index] = self.lost(error)

    def _isolate(self, suspects):
        """Run each suspect alone in a worker; return those that kill it."""
        culprits = []
        share = self.plan["inner_n_jobs"]
        marks = self.marker_dir, os.getpid()  # (its worker ends with the caller)
        for index in suspects:
            task = delayed(_run_task)(
                self.func, index, share, *marks, *self.arg_tuples[index]
            )
            try:
                (result,) = Parallel(n_jobs=self.plan["n_workers"])([task])
            except Exception as exc:
                if not _is_lost_worker(exc):
                    raise
                culprits.append(index)
                if self.lost is None:
                    break
            else:
                with self.cond:
                    self._record(result, in_caller=False)
        return culprits


def _is_lost_worker(exc):
    """A loky worker died, or Dask lost tasks (or their data) with a worker."""
    return isinstance(exc, lost_worker_errors())
