"""Files: outputs checked first and written atomically, models loaded safely."""

import os
import tempfile
import warnings
import zipfile
from pathlib import Path

from ._console import CommandError

# The packages whose types a model file may hold without --trust.
TRUSTED_MODULES = ("sklearn.", "skl_nirs.", "numpy.", "scipy.")


def check_outputs(outputs, inputs):
    """Refuse, before any work, outputs that are inputs or cannot be written.

    ``outputs`` maps an option name (``"--out"``) to a path or None. A file
    is created and removed in each output's folder: what cannot be written
    there (a read-only or missing folder, ``/proc``) is refused now, not after
    the work.
    """
    inputs = {Path(path).resolve() for path in inputs if path is not None}
    outputs_seen = set()
    for option, path in outputs.items():
        if path is None or str(path) == "-":
            continue
        target = Path(path).resolve()  # (a symbolic link: the file it points to)
        if target in inputs:
            raise CommandError(f"{option} {path}: is one of the input files.")
        if target in outputs_seen:
            raise CommandError(f"{option} {path}: is given for another output too.")
        outputs_seen.add(target)
        if not _can_create(target):
            why = "a folder or a device, or in a missing or read-only folder"
            raise CommandError(f"{option} {path}: cannot write there ({why}).")


def _can_create(target):
    """Whether a new regular file can be written at ``target``."""
    if target.exists() and not target.is_file():  # a folder, /dev/null, a pipe
        return False
    try:  # (os.access says yes for /proc, where no file can be created)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".skl-nirs-"):
            return True
    except OSError:
        return False


def write_atomically(path, write):
    """Call ``write(file)`` on a binary file next to ``path``, then move it there.

    A failure (full disk, file size limit, interruption) leaves an earlier
    ``path`` as it was. The file is created by ``open``, so its permissions
    are those of any new file. A symbolic link keeps pointing at the file,
    which is replaced.
    """
    path = Path(path).resolve()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def load_model(path, *, trust=False):
    """The dict saved by ``skl-nirs fit``, or (``trust``) a pickle or joblib file.

    A skops file is loaded trusting only the types of ``TRUSTED_MODULES``. A
    pickle runs code from the file as it is loaded: never without ``trust``.
    """
    import joblib
    import skops.io

    try:
        unknown = skops.io.get_untrusted_types(file=path)
    except zipfile.BadZipFile:  # not a skops file: a pickle, or no model at all
        if not trust:
            raise CommandError(
                f"{path}: not a skops model file. If it is a pickle or joblib file "
                "you trust, pass --trust: loading it runs code from the file."
            ) from None
        message = f"{path}: loading a pickle runs code from the file (--trust)."
        warnings.warn(message, UserWarning, stacklevel=2)
        bundle = joblib.load(path)
    else:
        refused = [name for name in unknown if not name.startswith(TRUSTED_MODULES)]
        if refused and not trust:
            raise CommandError(
                f"{path}: holds types outside scikit-learn, skl_nirs, NumPy and "
                f"SciPy: {', '.join(refused)}; pass --trust if you trust the file."
            )
        bundle = skops.io.load(path, trusted=unknown)
    return bundle if isinstance(bundle, dict) else {"model": bundle}
