"""Estimators that record where and how they were fitted, for the tests.

They live in a module of their own (on ``sys.path`` through pytest's
``pythonpath``) so that loky and Dask workers can import them.
"""

import json
import os
import time

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from threadpoolctl import threadpool_info


def _blas_threads():
    """The most threads a BLAS or OpenMP pool would start from this thread.

    OpenMP limits are per thread, BLAS limits per process: both must hold here.
    """
    return max(
        (
            lib["num_threads"]
            for lib in threadpool_info()
            if lib["user_api"] in ("blas", "openmp")
        ),
        default=None,
    )


class _Recorder(BaseEstimator):
    def _record(self, X):
        start = time.time()
        self.pid_ = os.getpid()
        self.X_id_ = id(X)
        self.assume_finite_ = get_config()["assume_finite"]
        self.X_is_memmap_ = isinstance(getattr(X, "base", None), np.memmap) or (
            isinstance(X, np.memmap)
        )
        self.blas_threads_ = _blas_threads()
        if self.sleep:
            time.sleep(self.sleep)
        if self.log is not None:
            record = dict(
                pid=self.pid_,
                start=start,
                end=time.time(),
                blas=self.blas_threads_,
                assume_finite=self.assume_finite_,
                n_jobs=getattr(self, "n_jobs", None),
                sleep=self.sleep,
            )
            with open(self.log, "a") as log:
                log.write(json.dumps(record) + "\n")


class RecordingTransformer(TransformerMixin, _Recorder):
    """Keep the first ``n_out`` columns; record pid, config and BLAS threads."""

    def __init__(self, n_out=1, sleep=0.0, log=None, n_jobs=None):
        self.n_out = n_out
        self.sleep = sleep
        self.log = log
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        self._record(X)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.asarray(X)[:, : self.n_out] * 1.0


class RecordingRegressor(RegressorMixin, _Recorder):
    """Predict the training mean; record pid, config and BLAS threads."""

    def __init__(self, sleep=0.0, log=None, n_jobs=None):
        self.sleep = sleep
        self.log = log
        self.n_jobs = n_jobs

    def fit(self, X, y):
        self._record(X)
        self.mean_ = np.mean(y, axis=0)
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


def memmap_file(X, seconds):
    """Sleep, then the file of the memory map ``X`` reached the task as (or None)."""
    time.sleep(seconds)
    return getattr(X, "filename", None)


def array_seen(X):
    """How a task sees its array: its type, whether writable, and its sum."""
    return type(X).__name__, X.flags.writeable, float(X.sum())


def first_rows(X):
    """A view of the first rows of ``X``, returned as it is."""
    return X[:5]


def logged_sleep(seconds, log):
    """Sleep; append this task's pid, start and end to the log (see read_log)."""
    start = time.time()
    time.sleep(seconds)
    with open(log, "a") as file:
        file.write(json.dumps(dict(pid=os.getpid(), start=start, end=time.time())))
        file.write("\n")


def sum_then_change(X):
    """Sum ``X``, then add 1 to it in place: a task that changes its input."""
    total = float(X.sum())
    X += 1
    return os.getpid(), total


def nested_or_sleep(index, seconds):
    """Task 0 maps 3 costly tasks in a nested call and returns its plan; the
    others sleep ``seconds`` and return None."""
    from skl_nirs.utils._parallel import BudgetedParallel

    if index:
        time.sleep(seconds)
        return None
    runner = BudgetedParallel(3, n_tasks=3)
    runner.map(sleep_then, [(seconds, i) for i in range(3)])
    return runner.plan


def began_and_pid(seconds):
    """Sleep; return when it began (``time.time()``) and the process id."""
    began = time.time()
    time.sleep(seconds)
    return began, os.getpid()


def sleep_then(seconds, value, die=False):
    """Sleep, then return ``value``, or kill the process if ``die``."""
    time.sleep(seconds)
    if die:
        os._exit(1)
    return value


def read_log(path):
    """The fits recorded in a log: pid, start, end, blas, assume_finite, n_jobs."""
    with open(path) as log:
        return [json.loads(line) for line in log]


def max_overlap(rows):
    """The largest number of logged fits running at the same moment."""
    events = sorted([(r["start"], 1) for r in rows] + [(r["end"], -1) for r in rows])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


class FailingRegressor(RegressorMixin, BaseEstimator):
    """A mean regressor whose fit raises if ``fail``, or on fewer than
    ``fail_below_n`` samples."""

    def __init__(self, fail=False, offset=0.0, fail_below_n=0):
        self.fail = fail
        self.offset = offset
        self.fail_below_n = fail_below_n

    def fit(self, X, y):
        if self.fail or len(X) < self.fail_below_n:
            raise ZeroDivisionError("the probe failed on purpose")
        self.mean_ = np.mean(y) + self.offset
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


class FailingTransformer(TransformerMixin, BaseEstimator):
    """Raise ``error`` in fit."""

    def __init__(self, error="type"):
        self.error = error

    def fit(self, X, y=None):
        if self.error == "type":
            raise TypeError("wrong type in the probe")
        raise KeyError("missing key")

    def transform(self, X):
        return X


class DyingOnceTransformer(TransformerMixin, BaseEstimator):
    """Kill its process the first time it is fitted (``marker`` records it)."""

    def __init__(self, marker=None):
        self.marker = marker

    def fit(self, X, y=None):
        if not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        self.pid_ = os.getpid()
        return self

    def transform(self, X):
        return np.asarray(X)[:, :1]


class DyingTransformer(TransformerMixin, BaseEstimator):
    """Kill its process in fit, unless it runs in ``safe_pid``."""

    def __init__(self, safe_pid=None):
        self.safe_pid = safe_pid

    def fit(self, X, y=None):
        if os.getpid() != self.safe_pid:
            os._exit(1)
        return self

    def transform(self, X):
        return X


class NJobsTransformer(TransformerMixin, BaseEstimator):
    """Output one column: the ``n_jobs`` this estimator holds when transforming."""

    def __init__(self, n_jobs=None):
        self.n_jobs = n_jobs

    def fit(self, X, y=None):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        return np.full((len(X), 1), float(self.n_jobs))
