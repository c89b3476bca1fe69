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


def test_a_tracked_folder_in_memory_is_there_where_it_can_be(monkeypatch):
    memory_folder, temporary = _compat.MEMORY_FOLDER, tempfile.gettempdir()
    folders = [tracked_folder(in_memory=True), tracked_folder()]
    monkeypatch.setattr(_compat, "MEMORY_FOLDER", "/no/such/folder")
    folders.append(tracked_folder(in_memory=True))
    try:
        memory, on_disk, fallback = map(os.path.dirname, folders)
        writable = os.access(memory_folder, os.W_OK)
        assert memory == (memory_folder if writable else temporary)
        assert on_disk == fallback == temporary
    finally:
        for folder in folders:
            remove_tracked_folder(folder)
    assert not any(map(os.path.exists, folders))
