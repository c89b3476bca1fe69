"""The private joblib and Dask names, recognised by type through _compat."""

import os
import subprocess
import sys
import tempfile

import pytest

from skl_nirs.utils import _compat
from skl_nirs.utils._compat import (
    BrokenProcessPool,
    lost_worker_errors,
    remove_tracked_folder,
    tracked_folder,
)
from skl_nirs.utils._parallel import _is_lost_worker


def test_a_dead_loky_worker_is_a_lost_worker():
    assert _is_lost_worker(BrokenProcessPool("a worker died"))
    assert not _is_lost_worker(RuntimeError("a task failed"))


def test_dask_errors_are_recognised_by_type():
    distributed = pytest.importorskip("distributed")
    from distributed.client import FutureCancelledError

    assert _is_lost_worker(distributed.KilledWorker("task", None, 3))
    assert _is_lost_worker(FutureCancelledError("key", reason="lost"))

    class KilledWorker(Exception):  # the name alone is not enough
        pass

    assert not _is_lost_worker(KilledWorker())


def test_dask_is_not_imported_to_recognise_its_errors():
    code = (
        "import sys\n"
        "from skl_nirs.utils._compat import BrokenProcessPool, lost_worker_errors\n"
        "assert lost_worker_errors() == (BrokenProcessPool,)\n"
        "assert 'distributed' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_lost_worker_errors_are_exception_types():
    assert all(issubclass(error, Exception) for error in lost_worker_errors())


@pytest.mark.parametrize(
    "memory, min_free, joblib_folder, where",
    [
        ("memory", 0, None, "memory"),  # free and writable
        ("memory", 1e30, None, "temporary"),  # too little free
        ("missing", 0, None, "temporary"),
        ("memory", 0, "joblib", "joblib"),  # JOBLIB_TEMP_FOLDER wins
        ("memory", 0, "missing", "temporary"),
    ],
)
def test_a_shared_tracked_folder_is_where_joblib_maps_large_inputs(
    tmp_path, monkeypatch, memory, min_free, joblib_folder, where
):
    for name in ("memory", "joblib", "temporary"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "temporary"))
    monkeypatch.setattr(_compat, "MEMORY_FOLDER", str(tmp_path / memory))
    monkeypatch.setattr(_compat, "MEMORY_FOLDER_MIN_FREE", min_free)
    monkeypatch.delenv("JOBLIB_TEMP_FOLDER", raising=False)
    if joblib_folder is not None:
        monkeypatch.setenv("JOBLIB_TEMP_FOLDER", str(tmp_path / joblib_folder))
    shared, plain = tracked_folder(shared=True), tracked_folder()
    try:
        assert os.path.dirname(shared) == str(tmp_path / where)
        assert os.path.dirname(plain) == str(tmp_path / "temporary")
    finally:
        remove_tracked_folder(shared)
        remove_tracked_folder(plain)
    assert not os.path.exists(shared) and not os.path.exists(plain)
