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
* runs small work sequentially: process pools cost more to feed than a few
  milliseconds of work gain;
* records what it did in :attr:`BudgetedParallel.plan`.
"""

import sys
import threading
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from multiprocessing import current_process
from numbers import Integral

from joblib import effective_n_jobs
from joblib.externals.loky.process_executor import BrokenProcessPool
from joblib.parallel import get_active_backend
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import OpenBLASController, ThreadpoolController

from skl_nirs.utils._compat import Interval

# Constraint of an ``n_jobs`` parameter: joblib gives 0 no meaning.
N_JOBS_CONSTRAINT = [
    Interval(Integral, None, -1, closed="right"),
    Interval(Integral, 1, None, closed="left"),
    None,
]

# Below this many bytes of input, summed over the tasks, a process pool costs
# more than it gains: benchmarks/bench_budget.py measured the break-even of
# ParallelBranches between 31 and 46 MiB on 2 cores.
MIN_PARALLEL_BYTES = 48 * 2**20

_PROCESS_BACKENDS = ("LokyBackend", "MultiprocessingBackend")

# The number of cores granted to the task running in this thread, set by
# BudgetedParallel around each task; None outside of our workers.
_cpu_share = ContextVar("skl_nirs_cpu_share", default=None)

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


def _call_in_share(func, share, *args):
    """Run ``func(*args)`` in a worker granted ``share`` cores."""
    token = _cpu_share.set(share)
    try:
        with _blas_limit(share):
            return func(*args)
    finally:
        _cpu_share.reset(token)


def _nbytes(X):
    """Size of X in bytes, estimated from its shape for non-arrays."""
    if hasattr(X, "nbytes"):
        return int(X.nbytes)
    if hasattr(X, "data") and hasattr(X.data, "nbytes"):  # sparse
        return int(X.data.nbytes)
    shape = getattr(X, "shape", (len(X), 1))
    return int(shape[0] * (shape[1] if len(shape) > 1 else 1) * 8)


def _make_plan(n_jobs, n_tasks, work_bytes, prefer):
    backend, context_n_jobs = get_active_backend(prefer=prefer)
    backend_name = type(backend).__name__
    outer_share = _cpu_share.get()
    if outer_share is not None:
        budget, owner = outer_share, "share of an outer skl_nirs worker"
    elif backend.nesting_level:
        budget, owner = 1, "inside another library's parallel worker"
    elif backend_name in _PROCESS_BACKENDS and current_process().daemon:
        # a daemon process (e.g. running a Dask task) cannot start loky workers
        budget, owner = 1, "daemon process"
    else:
        budget, owner = effective_n_jobs(-1), "outermost call"

    requested = n_jobs if n_jobs is not None else context_n_jobs
    if requested in (None, 1):
        requested = 1
    elif budget > 1:  # (a daemon's loky backend would warn when asked)
        requested = backend.effective_n_jobs(requested)
    n_workers = max(1, min(requested, n_tasks, budget))
    if requested == 1:
        reason = "n_jobs=1" if n_jobs in (None, 1) else f"n_jobs={n_jobs}: 1 worker"
    elif n_tasks <= 1:
        reason = "a single task"
    elif n_workers == 1:
        reason = f"CPU budget of 1 core ({owner})"
    elif backend_name in _PROCESS_BACKENDS and work_bytes < MIN_PARALLEL_BYTES:
        n_workers = 1
        reason = (
            f"small work: {work_bytes / 2**20:.1f} MiB of input over {n_tasks} "
            f"tasks < {MIN_PARALLEL_BYTES / 2**20:.0f} MiB"
        )
    else:
        reason = None
    share = max(1, budget // n_workers)
    return {
        "backend": backend_name.removesuffix("Backend").lower(),
        "n_jobs": n_jobs,
        "n_tasks": n_tasks,
        "budget": budget,
        "budget_owner": owner,
        "n_workers": n_workers,
        "inner_n_jobs": share,
        "blas_threads": share if n_workers > 1 else None,
        "sequential": n_workers == 1,
        "sequential_reason": reason,
        "threads": bool(getattr(backend, "uses_threads", False)),
    }


def format_plan(plan):
    """One line describing a plan recorded by :class:`BudgetedParallel`."""
    if plan["sequential"]:
        return (
            f"sequential ({plan['sequential_reason']}); {plan['n_tasks']} tasks, "
            f"inner n_jobs <= {plan['inner_n_jobs']}"
        )
    return (
        f"{plan['n_tasks']} tasks on {plan['n_workers']} {plan['backend']} workers "
        f"({plan['budget']} cores, {plan['budget_owner']}); per worker: inner "
        f"n_jobs <= {plan['inner_n_jobs']}, BLAS threads = {plan['blas_threads']}"
    )


class BudgetedParallel:
    """Run tasks in parallel within the CPU budget; a context manager.

    Parameters
    ----------
    n_jobs : int or None
        The caller's ``n_jobs``.
    n_tasks : int
        How many tasks will be run (an upper bound for searches).
    work_bytes : int
        Input bytes processed by all the tasks together, for the small-work rule.
    prefer : {"processes", "threads"}, default="processes"
        Backend hint; an outer ``parallel_backend``/``parallel_config`` wins.

    Attributes
    ----------
    plan : dict
        ``backend``, ``n_workers``, ``inner_n_jobs`` (cores granted to each task),
        ``blas_threads``, ``sequential`` and ``sequential_reason``, and the budget.
    """

    def __init__(self, n_jobs, *, n_tasks, work_bytes, prefer="processes"):
        self.prefer = prefer
        self.plan = _make_plan(n_jobs, n_tasks, work_bytes, prefer)

    def __enter__(self):
        self._stack = ExitStack()
        if not self.plan["sequential"]:
            self._parallel = self._stack.enter_context(
                Parallel(
                    n_jobs=self.plan["n_workers"],
                    prefer=self.prefer,
                    return_as="generator",
                )
            )
            if self.plan["threads"]:  # one limit for all the threads
                self._stack.enter_context(_blas_limit(self.plan["inner_n_jobs"]))
        return self

    def __exit__(self, *exc_info):
        self._stack.close()

    def map(self, func, arg_tuples, *, names=None):
        """Return ``[func(*args) for args in arg_tuples]``, computed in parallel.

        ``func`` must be a module-level function. ``names`` (one per task) are
        reported if a worker process dies.
        """
        share = self.plan["inner_n_jobs"]
        if self.plan["sequential"]:
            token = _cpu_share.set(share)
            try:
                return [func(*args) for args in arg_tuples]
            finally:
                _cpu_share.reset(token)
        results = []
        try:
            for result in self._parallel(
                delayed(_call_in_share)(func, share, *args) for args in arg_tuples
            ):
                results.append(result)
        except Exception as exc:
            if not _is_lost_worker(exc):
                raise
            lost = sorted(set(names[len(results) :])) if names else []
            message = (
                f"A worker process died while running {lost or 'the tasks'}: {exc}"
            )
            try:
                error = type(exc)(message)
            except TypeError:  # Dask's KilledWorker takes other arguments
                error = RuntimeError(message)
            raise error from exc
        return results


def _is_lost_worker(exc):
    """A loky worker died, or Dask lost tasks (or their data) with a worker."""
    return isinstance(exc, BrokenProcessPool) or type(exc).__name__ in (
        "KilledWorker",
        "FutureCancelledError",
    )
