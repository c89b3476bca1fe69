"""Files: spectra in, outputs written atomically, models saved with skops."""

import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

# The packages whose types a model file may hold without --trust.
TRUSTED_MODULES = ("sklearn.", "skl_nirs.", "numpy.", "scipy.")


class CommandError(Exception):
    """A problem the user can fix (a file, an option value): exit status 1."""


def check_outputs(outputs, inputs):
    """Refuse, before any work, outputs that are inputs or cannot be written.

    ``outputs`` maps an option name (``"--out"``) to a path or None.
    """
    seen = {}
    existing = [Path(path) for path in inputs if path is not None]
    for option, path in outputs.items():
        if path is None or str(path) == "-":
            continue
        path = Path(path)
        if any(path.resolve() == p.resolve() for p in existing if p.exists()):
            raise CommandError(f"{option} {path}: is one of the input files.")
        if path.resolve() in seen:
            raise CommandError(
                f"{option} {path}: also given as {seen[path.resolve()]}."
            )
        seen[path.resolve()] = option
        if path.is_dir():
            raise CommandError(f"{option} {path}: is a folder, give a file name.")
        folder = path.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise CommandError(f"{option} {path}: cannot write in the folder {folder}.")


def write_atomically(path, write, *, binary=True):
    """Call ``write(file)`` on a temporary file next to ``path``, then move it.

    A failure (full disk, file size limit, interruption) leaves an earlier
    ``path`` as it was.
    """
    path = Path(path)
    file = tempfile.NamedTemporaryFile(
        "wb" if binary else "w",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=".tmp",
        delete=False,
        **({} if binary else {"encoding": "utf-8", "newline": ""}),
    )
    try:
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(file.name, 0o666 & ~umask)  # as an ordinary new file
        os.replace(file.name, path)
    except BaseException:
        Path(file.name).unlink(missing_ok=True)
        raise


def read_spectra(path, *, target=None, id_column=None, delimiter=","):
    """``X, y, wavelengths, ids`` of a CSV file (``ids`` None without a column)."""
    from skl_nirs.datasets import load_spectra_csv

    try:
        out = load_spectra_csv(
            path, target=target, id_column=id_column, delimiter=delimiter
        )
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        message = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise CommandError(f"{path}: {message}") from exc
    return (*out, None) if id_column is None else out


def select_wavelengths(X, wavelengths, needed, path):
    """The columns of ``X`` at the ``needed`` wavelengths, matched by value."""
    position = {w: i for i, w in enumerate(np.asarray(wavelengths).tolist())}
    missing = [w for w in np.asarray(needed).tolist() if w not in position]
    if missing:
        shown = ", ".join(f"{w:g}" for w in missing[:5])
        raise CommandError(
            f"{path}: {len(missing)} wavelength(s) the model needs are missing: "
            f"{shown}{', ...' if len(missing) > 5 else ''}."
        )
    return X[:, [position[w] for w in np.asarray(needed).tolist()]]


def save_model(path, bundle):
    """Save a dict of fitted estimators and arrays with skops, atomically."""
    try:
        import skops.io
    except ImportError as exc:
        raise CommandError("saving a model needs skops: pip install skops") from exc
    write_atomically(path, lambda file: skops.io.dump(bundle, file))


def load_model(path, *, trust=False):
    """A model saved by ``skl-nirs fit``, or (``trust``) any pickle or joblib file.

    A skops file is loaded trusting only the types of ``TRUSTED_MODULES``. A
    pickle runs code from the file as it is loaded: never without ``trust``.
    """
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"{path}: no such model file.")
    if not zipfile.is_zipfile(path):  # not skops: a pickle (or anything else)
        if not trust:
            raise CommandError(
                f"{path}: not a skops model file. If it is a pickle or joblib file "
                "you trust, pass --trust: loading it runs code from the file."
            )
        import joblib

        warnings.warn(
            f"{path}: loading a pickle runs code from the file (--trust).",
            UserWarning,
            stacklevel=2,
        )
        try:
            loaded = joblib.load(path)
        except Exception as exc:
            raise CommandError(f"{path}: cannot load: {exc}") from exc
        return loaded if isinstance(loaded, dict) else {"model": loaded}
    import skops.io

    try:
        unknown = skops.io.get_untrusted_types(file=path)
        refused = [t for t in unknown if not t.startswith(TRUSTED_MODULES)]
        if refused and not trust:
            raise CommandError(
                f"{path}: holds types outside scikit-learn, skl_nirs, NumPy and "
                f"SciPy: {', '.join(refused)}; pass --trust if you trust the file."
            )
        bundle = skops.io.load(path, trusted=unknown)
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError) as exc:
        raise CommandError(f"{path}: not a model saved by skl-nirs ({exc}).") from exc
    if not isinstance(bundle, dict) or "model" not in bundle:
        bundle = {"model": bundle}
    return bundle
