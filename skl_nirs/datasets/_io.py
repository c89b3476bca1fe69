"""Load spectra stored as CSV: one row per sample, one column per wavelength."""

import csv
import math
import os
from operator import itemgetter

import numpy as np

from skl_nirs.utils._compat import validate_params


def _wavelength(header):
    """The wavelength a column header names, or None if it is not a number."""
    try:
        value = float(header)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _to_float(rows, line_numbers, names):
    """Convert rows of strings to a float64 array, naming the first bad cell."""
    try:
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))
    except ValueError:
        pass
    converted = []
    for row, line in zip(rows, line_numbers, strict=True):
        try:
            converted.append([float(value) for value in row])
        except ValueError:
            for value, name in zip(row, names, strict=True):
                try:
                    float(value)
                except ValueError:
                    problem = (
                        "empty value"
                        if not value.strip()
                        else f"{value!r} is not a number"
                    )
                    raise ValueError(
                        f"Line {line}, column {name!r}: {problem}."
                    ) from None
    return np.asarray(converted, dtype=np.float64)


def _columns_getter(columns):
    """A fast function returning the given fields of a row, as a sequence."""
    if columns == list(range(columns[0], columns[-1] + 1)):
        return itemgetter(slice(columns[0], columns[-1] + 1))
    if len(columns) == 1:
        return lambda row: (row[columns[0]],)
    return itemgetter(*columns)


@validate_params(
    {
        "path": [str, os.PathLike],
        "target": [str, list, None],
        "delimiter": [str],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_spectra_csv(path, *, target=None, delimiter=",", as_frame=False):
    r"""Load spectra and their reference values from a CSV file.

    The file has a header row and one row per sample. Columns whose header is
    a number are the spectrum at that wavelength; the column(s) named by
    ``target`` hold the reference values; any other column (a sample id, a
    date, a comment) is ignored.

    Parameters
    ----------
    path : str or path-like
        The CSV file, read as UTF-8 (a leading byte-order mark is skipped).

    target : str, list of str or None, default=None
        Header of the target column, or a list of headers for several targets.
        A target column is never taken as a wavelength, even if its header is
        a number. ``None`` reads spectra only (``y`` is ``None``), e.g. new
        spectra to predict.

    delimiter : str, default=","
        The one-character field separator, for example ``";"`` or ``"\t"``.

    as_frame : bool, default=False
        If True, ``X`` is a pandas DataFrame whose column names are the
        wavelength headers of the file (strings, as pandas reads them) and
        ``y`` a Series (a DataFrame for a list ``target``) named after the
        target column(s). Requires pandas.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, n_wavelengths)
        The spectra, float64, columns in file order.

    y : ndarray or Series of shape (n_samples,) or (n_samples, n_targets), or None
        The targets, ``None`` when ``target`` is ``None``. One-dimensional when
        ``target`` is a str, two-dimensional when it is a list. A target column
        whose values are all numbers is float64; otherwise its values are kept
        as str in an object array (class labels). With several target columns,
        ``y`` is float64 if all of them are numeric and an object array of str
        otherwise.

    wavelengths : ndarray of shape (n_wavelengths,)
        The numeric column headers, float64, in file order.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is empty or has no data row, no header is a number, a
        target column is missing, two columns name the same wavelength or the
        same target, a row has the wrong number of fields, or a spectrum or
        target cell is empty or, for a spectrum, not a number. The message
        gives the 1-based line number of the file and the column header.

    See Also
    --------
    make_nirs_regression : Synthetic spectra in the same ``(X, y, wavelengths)``
        form.

    Notes
    -----
    Wavelength headers are parsed with :func:`float` (``"1100"``,
    ``"1100.5"``, ``"1.1e3"``); non-finite ones (``"nan"``, ``"inf"``) are
    ignored like other non-numeric headers. Blank lines are skipped. Fields
    may be quoted as in :mod:`csv`. Spectrum cells accept anything
    :func:`float` accepts, including ``"nan"`` for a missing value; an empty
    cell is an error.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from skl_nirs.datasets import load_spectra_csv
    >>> text = (
    ...     "id,protein,grade,1100,1102,1104\n"
    ...     "A,12.5,high,0.31,0.32,0.34\n"
    ...     "B,9.1,low,0.29,0.30,0.31\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "spectra.csv"
    ...     _ = path.write_text(text)
    ...     X, y, wavelengths = load_spectra_csv(path, target="protein")
    ...     _, grades, _ = load_spectra_csv(path, target="grade")
    >>> X
    array([[0.31, 0.32, 0.34],
           [0.29, 0.3 , 0.31]])
    >>> y
    array([12.5,  9.1])
    >>> wavelengths
    array([1100., 1102., 1104.])
    >>> grades
    array(['high', 'low'], dtype=object)
    """
    targets = [] if target is None else [target] if isinstance(target, str) else target
    if target is not None and (
        not targets or not all(isinstance(name, str) for name in targets)
    ):
        raise ValueError(
            "The 'target' parameter must be a str or a non-empty list of str. "
            f"Got {target!r} instead."
        )
    if len(set(targets)) != len(targets):
        raise ValueError(
            f"The 'target' parameter names a column twice. Got {target!r} instead."
        )
    if len(delimiter) != 1:
        raise ValueError(
            "The 'delimiter' parameter must be a single character. "
            f"Got {delimiter!r} instead."
        )

    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        header = next((row for row in reader if row), None)
        if header is None:
            raise ValueError(f"The file {os.fspath(path)!r} is empty.")
        header = [name.strip() for name in header]
        n_fields = len(header)

        target_columns = []
        for name in targets:
            if name not in header:
                hint = ""
                if len(header) == 1:
                    others = [d for d in ";\t|," if d != delimiter and d in header[0]]
                    if others:
                        hint = (
                            f" Is the delimiter {others[0]!r}? Pass it as delimiter "
                            "(--delimiter on the command line)."
                        )
                raise ValueError(
                    f"Target column {name!r} not found in the header of "
                    f"{os.fspath(path)!r}.{hint}"
                )
            if header.count(name) > 1:
                raise ValueError(
                    f"Target column {name!r} appears more than once in the header."
                )
            target_columns.append(header.index(name))

        wavelength_columns, wavelengths, seen = [], [], {}
        for column, name in enumerate(header):
            wavelength = _wavelength(name) if column not in target_columns else None
            if wavelength is None:
                continue
            if wavelength in seen:
                raise ValueError(
                    f"Columns {seen[wavelength]!r} and {name!r} name the same "
                    f"wavelength {wavelength}."
                )
            seen[wavelength] = name
            wavelength_columns.append(column)
            wavelengths.append(wavelength)
        if not wavelength_columns:
            raise ValueError(
                f"No wavelength column in {os.fspath(path)!r}: no column header "
                "is a number."
            )

        get_spectrum = _columns_getter(wavelength_columns)
        spectra, references, lines = [], [], []
        for row in reader:
            if not row:
                continue
            if len(row) != n_fields:
                raise ValueError(
                    f"Line {reader.line_num}: expected {n_fields} fields as in "
                    f"the header, got {len(row)}."
                )
            reference = [row[column].strip() for column in target_columns]
            for value, column in zip(reference, target_columns, strict=True):
                if not value:
                    raise ValueError(
                        f"Line {reader.line_num}, column {header[column]!r}: "
                        "empty target value."
                    )
            spectra.append(get_spectrum(row))
            references.append(reference)
            lines.append(reader.line_num)
    if not spectra:
        raise ValueError(f"The file {os.fspath(path)!r} has no data row.")

    X = _to_float(spectra, lines, [header[column] for column in wavelength_columns])
    try:
        y = np.asarray(references, dtype=np.float64)
    except ValueError:
        y = np.empty((len(references), len(targets)), dtype=object)
        y[...] = references
    if target is None:
        y = None
    elif isinstance(target, str):
        y = y[:, 0]
    wavelengths = np.asarray(wavelengths, dtype=np.float64)

    if as_frame:
        import pandas as pd

        # column names as written in the file: scikit-learn keeps string names
        columns = [header[column].strip() for column in wavelength_columns]
        X = pd.DataFrame(X, columns=pd.Index(columns, name="wavelength"))
        if y is not None:
            y = (
                pd.Series(y, name=target)
                if y.ndim == 1
                else pd.DataFrame(y, columns=targets)
            )
    return X, y, wavelengths
