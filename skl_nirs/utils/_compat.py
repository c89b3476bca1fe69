"""The private scikit-learn and joblib names skl_nirs relies on, in one place.

They move between releases; this is the one file to fix when they do. Optional
libraries (Dask) are imported here only once their user has imported them.
"""

import os
import shutil
import sys
import tempfile
from contextlib import suppress

import numpy as np
from joblib._memmapping_reducer import JOBLIB_MMAPS, has_shareable_memory
from joblib.externals.loky import reusable_executor as _loky_executor
from joblib.externals.loky.backend import resource_tracker as _resource_tracker
from joblib.externals.loky.process_executor import BrokenProcessPool
from joblib.parallel import _backend as _joblib_state
from joblib.parallel import default_parallel_config, get_active_backend
from sklearn.base import _fit_context
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._validation import (
    _fit_and_score,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils import _safe_indexing
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils._plotting import _validate_score_name, _validate_style_kwargs
from sklearn.utils._set_output import _get_container_adapter, _safe_set_output
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_method_params,
    _check_response_method,
)

try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # scikit-learn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock

# Memory-backed files on Linux, where joblib memory-maps large inputs when 2 GB
# are free (creating a file there takes 0.01 ms, on disk 0.13 ms).
MEMORY_FOLDER, MEMORY_FOLDER_MIN_FREE = "/dev/shm", 2e9


def active_backend(prefer):
    """``(backend, n_jobs, explicit)``: joblib's active backend for ``prefer``.

    ``explicit`` tells whether the user chose the backend with
    ``parallel_config`` / ``parallel_backend`` at the top level (joblib runs the
    tasks of its own workers under their nested backend, which is no choice).
    """
    backend, n_jobs = get_active_backend(prefer=prefer)
    config = getattr(_joblib_state, "config", default_parallel_config)
    chosen = config["backend"] is not default_parallel_config["backend"]
    return backend, n_jobs, chosen and not backend.nesting_level


def lost_worker_errors():
    """The exception types that say a worker, and the tasks on it, were lost.

    loky's ``BrokenProcessPool``; with ``dask.distributed``, ``KilledWorker``
    (a task killed its workers) and ``FutureCancelledError`` (a lost worker
    took a task's data with it). Dask's are only looked up once
    ``distributed`` is imported: before that, nothing can raise them, and
    skl_nirs does not import Dask for those who do not use it.
    """
    errors = (BrokenProcessPool,)
    if "distributed" not in sys.modules:
        return errors
    from distributed import KilledWorker

    errors += (KilledWorker,)
    try:
        from distributed.client import FutureCancelledError
    except ImportError:  # distributed < 2024.4 cancels with CancelledError
        return errors
    return errors + (FutureCancelledError,)


def study_creation_races():
    """The exception types raised when two processes create one study at once.

    Processes starting together on a new RDB storage race to create its tables
    and the study: SQLAlchemy's ``IntegrityError`` (a duplicated key),
    ``OperationalError`` ("database is locked", a table created meanwhile) and
    ``ProgrammingError`` (PostgreSQL's "relation already exists"), and Optuna's
    ``DuplicatedStudyError``. Imported on first use: SQLAlchemy comes with
    Optuna's RDB storage, and neither is imported by ``import skl_nirs``.
    """
    from optuna.exceptions import DuplicatedStudyError
    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    return (IntegrityError, OperationalError, ProgrammingError, DuplicatedStudyError)


def loky_pool_is_warm(n_workers):
    """Whether joblib's reusable loky executor holds ``n_workers`` live workers."""
    executor = _loky_executor._executor
    return (
        executor is not None
        and not executor._flags.broken
        and not executor._flags.shutdown
        and executor._max_workers == n_workers
        and sum(p.is_alive() for p in list(executor._processes.values())) == n_workers
    )


def tracked_folder(shared=False):
    """A new temporary folder, removed by loky's resource tracker if we die.

    The tracker (a process joblib's workers already use) removes it when this
    process ends without :func:`remove_tracked_folder` (kill -9, say). A
    ``shared`` folder (for files the workers read) is where joblib memory-maps
    large inputs: in the folder ``JOBLIB_TEMP_FOLDER`` names, else in
    ``MEMORY_FOLDER`` if it has ``MEMORY_FOLDER_MIN_FREE`` bytes free and can
    be written, else in the temporary folder.
    """
    folder = None
    if shared and (parent := _shared_parent()):
        with suppress(OSError):  # (not writable)
            folder = tempfile.mkdtemp(prefix="skl_nirs-", dir=parent)
    folder = folder or tempfile.mkdtemp(prefix="skl_nirs-")
    _resource_tracker.register(folder, "folder")
    return folder


def _shared_parent():
    if "JOBLIB_TEMP_FOLDER" in os.environ:
        return os.environ["JOBLIB_TEMP_FOLDER"]
    try:
        stat = os.statvfs(MEMORY_FOLDER)
    except (AttributeError, OSError):  # (not on Windows; no such folder)
        return None
    return (
        MEMORY_FOLDER
        if stat.f_frsize * stat.f_bavail > MEMORY_FOLDER_MIN_FREE
        else None
    )


def map_as_joblibs(path):
    """A read-only memory map of the array saved in ``path``, in a worker.

    Arrays backed by it go back to the caller as copies, as those backed by
    joblib's own maps do (joblib sends any other map back as a map of its
    file, which is removed with the pool).
    """
    array = np.load(path, mmap_mode="r")
    JOBLIB_MMAPS.add(array.filename)
    return array


def remove_tracked_folder(folder):
    _resource_tracker.unregister(folder, "folder")
    shutil.rmtree(folder, ignore_errors=True)


__all__ = [
    "BaseSearchCV",
    "BrokenProcessPool",
    "HasMethods",
    "Interval",
    "StrOptions",
    "_BaseComposition",
    "_VisualBlock",
    "_MultimetricScorer",
    "_check_feature_names_in",
    "_check_method_params",
    "_check_response_method",
    "_get_container_adapter",
    "_fit_and_score",
    "_fit_context",
    "_insert_error_scores",
    "_routing_enabled",
    "_validate_score_name",
    "_validate_style_kwargs",
    "_safe_indexing",
    "_safe_set_output",
    "_warn_or_raise_about_fit_failures",
    "active_backend",
    "check_matplotlib_support",
    "has_shareable_memory",
    "loky_pool_is_warm",
    "map_as_joblibs",
    "lost_worker_errors",
    "remove_tracked_folder",
    "study_creation_races",
    "tracked_folder",
    "validate_params",
]
