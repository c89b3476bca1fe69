"""Load spectra stored as CSV: one row per sample, one column per wavelength."""

import csv
import os
import warnings
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from skl_nirs.utils._compat import validate_params
from skl_nirs.utils._wavelengths import _as_wavelength


class _Layout(NamedTuple):
    """What the header row says about the columns of the file."""

    header: list  # the stripped column headers
    n_lines: int  # physical lines up to the header row, blank lines included
    wavelengths: dict  # wavelength -> its column, in file order
    text_columns: list  # read as strings: the target columns, then the id column
    n_targets: int


def _pandas():
    """pandas if it is installed (the fast path of the reader), else None."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _number(text):
    """``float(text)``, or None if it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def _invalid_parameter(name, requirement, value):
    """The ValueError for a parameter that validate_params cannot check alone."""
    return ValueError(f"The {name!r} parameter {requirement}. Got {value!r} instead.")


def _check_parameters(target, id_column, delimiter):
    """The list of target headers; a ValueError for what validate_params lets by."""
    targets = [target] if isinstance(target, str) else [] if target is None else target
    if target == [] or not all(isinstance(name, str) for name in targets):
        requirement = "must be a str or a non-empty list of str"
        raise _invalid_parameter("target", requirement, target)
    if len(set(targets)) != len(targets):
        raise _invalid_parameter("target", "names a column twice", target)
    if id_column in targets:
        raise _invalid_parameter("id_column", "names a target column", id_column)
    if len(delimiter) != 1:
        raise _invalid_parameter("delimiter", "must be a single character", delimiter)
    return targets


def _rows(path, delimiter):
    """``(line, row)`` for each non-blank row, ``line`` the 1-based line it ends."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        for row in reader:
            if row:
                yield reader.line_num, row


def _find_column(header, name, what, path, delimiter):
    """The index of the column ``name`` (a target or the id column)."""
    if header.count(name) > 1:
        raise ValueError(f"{what} {name!r} appears more than once in the header.")
    if name in header:
        return header.index(name)
    hint = ""
    others = [d for d in ";\t|," if d != delimiter and d in header[0]]
    if len(header) == 1 and others:
        hint = (
            f" Is the delimiter {others[0]!r}? Pass it as delimiter "
            "(--delimiter on the command line)."
        )
    raise ValueError(
        f"{what} {name!r} not found in the header of {os.fspath(path)!r}.{hint}"
    )


def _layout(path, targets, id_column, delimiter):
    """Read the header row; find the target, id and wavelength columns."""
    n_lines, header = next(_rows(path, delimiter), (0, None))
    if header is None:
        raise ValueError(f"The file {os.fspath(path)!r} is empty.")
    header = [name.strip() for name in header]
    text_columns = [
        _find_column(header, name, "Target column", path, delimiter) for name in targets
    ]
    if id_column is not None:
        text_columns.append(
            _find_column(header, id_column, "Id column", path, delimiter)
        )
    columns = {}  # wavelength -> its column, in file order
    for column, name in enumerate(header):
        value = _as_wavelength(name)
        if column in text_columns or value is None:
            continue
        if value in columns:
            raise ValueError(
                f"Columns {header[columns[value]]!r} and {name!r} name the same "
                f"wavelength {value}."
            )
        columns[value] = column
    if not columns:
        raise ValueError(
            f"No wavelength column in {os.fspath(path)!r}: no column header "
            "is a number."
        )
    return _Layout(header, n_lines, columns, text_columns, len(targets))


def _targets(cells):
    """The target cells as float64 if all are numbers, else as str (class labels)."""
    try:
        return cells.astype(np.float64)
    except ValueError:
        return cells


def _read_with_pandas(path, layout, delimiter):
    """``(spectra, text)`` read by pandas, or None to leave the file to csv.

    Only a file with nothing to report is taken: every row with the fields of
    the header, every spectrum cell a finite number, no target or id cell
    blank. Anything else (blank lines, "nan", "TRUE", which pandas reads as 1,
    a header over several lines) returns None, so that the csv reader, which
    knows the line of each cell, gives the same result or names the problem.
    """
    pd = _pandas()
    if pd is None or any("\n" in name or "\r" in name for name in layout.header):
        return None
    try:
        frame = pd.read_csv(
            path,
            sep=delimiter,
            header=None,
            skiprows=layout.n_lines,
            dtype=dict.fromkeys(layout.text_columns, object),
            skip_blank_lines=False,
            encoding="utf-8-sig",
            low_memory=False,  # (one dtype per column, not per chunk)
        )
    except Exception:  # the csv reader says what it is, and where
        return None
    if frame.shape[1] != len(layout.header) or frame.iloc[:, -1].isna().any():
        return None  # rows with too many or too few fields
    spectra = frame.iloc[:, list(layout.wavelengths.values())]
    if any(dtype.kind not in "iuf" for dtype in spectra.dtypes):
        return None  # (a bool column is "TRUE" or "False" cells)
    text = frame.iloc[:, layout.text_columns].fillna("").to_numpy(dtype=object)
    text = np.vectorize(str.strip, otypes=[object])(text)
    X = spectra.to_numpy(dtype=np.float64)
    clean = np.isfinite(X).all() and (text != "").all()
    y = _targets(text[:, : layout.n_targets])
    return (X, text) if clean and (y.dtype == object or np.isfinite(y).all()) else None


def _columns_getter(columns):
    """A fast function returning the given fields of a row, as a sequence."""
    if columns == list(range(columns[0], columns[-1] + 1)):
        return itemgetter(slice(columns[0], columns[-1] + 1))
    return itemgetter(*columns)  # (several columns: a tuple)


def _read_with_csv(path, layout, delimiter):
    """``(spectra, text)`` read by csv, cell by cell; errors name line and column.

    Warns about missing values (nan).
    """
    header, text_columns = layout.header, layout.text_columns
    get_spectrum = _columns_getter(list(layout.wavelengths.values()))
    lines, spectra, text = [], [], []
    rows = _rows(path, delimiter)
    next(rows)  # the header
    for line, row in rows:  # (each row is sliced while it is in the cache)
        if len(row) != len(header):
            raise ValueError(
                f"Line {line}: expected {len(header)} fields as in the header, "
                f"got {len(row)}."
            )
        cells = [row[column].strip() for column in text_columns]
        if "" in cells:
            what = "target" if cells.index("") < layout.n_targets else "sample id"
            name = header[text_columns[cells.index("")]]
            raise ValueError(f"Line {line}, column {name!r}: empty {what} value.")
        lines.append(line)
        spectra.append(get_spectrum(row))
        text.append(cells)
    if not lines:
        raise ValueError(f"The file {os.fspath(path)!r} has no data row.")
    names = [header[column] for column in layout.wavelengths.values()]
    try:
        X = np.asarray(spectra, dtype=np.float64)
    except ValueError:  # name the first cell that is not a number
        line, name, cell = next(
            (line, name, cell)
            for line, cells in zip(lines, spectra, strict=True)
            for name, cell in zip(names, cells, strict=True)
            if _number(cell) is None
        )
        problem = f"{cell!r} is not a number" if cell.strip() else "empty value"
        raise ValueError(f"Line {line}, column {name!r}: {problem}.") from None
    missing = [_check_finite(X, spectra, lines, names, "spectrum values")]
    text = np.array(text, dtype=object)
    y = _targets(text[:, : layout.n_targets])
    if y.dtype == np.float64:
        names = [header[column] for column in text_columns]
        missing.append(_check_finite(y, text, lines, names, "target values"))
    missing = [part for part in missing if part is not None]
    if missing:
        warnings.warn(
            f"{os.fspath(path)!r} has missing values (nan): {'; '.join(missing)}. "
            "Most estimators refuse them: impute or drop them before fitting.",
            UserWarning,
            stacklevel=4,  # the caller of load_spectra_csv (validate_params)
        )
    return X, text


def _check_finite(values, cells, lines, names, what):
    """Raise for an infinite value; describe the missing ones (nan), if any.

    ``values`` are the numbers read from the strings ``cells`` (a list of
    rows); the error and the description name line and column.
    """
    infinite = np.argwhere(np.isinf(values))
    if infinite.size:
        row, column = infinite[0]
        raise ValueError(
            f"Line {lines[row]}, column {names[column]!r}: "
            f"{cells[row][column].strip()!r} is not a finite number."
        )
    missing = np.argwhere(np.isnan(values))
    if not missing.size:
        return None
    row, column = missing[0]
    return (
        f"{len(missing)} {what}, the first at line {lines[row]}, column "
        f"{names[column]!r}"
    )


@validate_params(
    {
        "path": [str, os.PathLike],
        "target": [str, list, None],
        "id_column": [str, None],
        "delimiter": [str],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_spectra_csv(
    path, *, target=None, id_column=None, delimiter=",", as_frame=False
):
    r"""Load spectra and their reference values from a CSV file.

    The file has a header row and one row per sample. Columns whose header is
    a number are the spectrum at that wavelength; the column(s) named by
    ``target`` hold the reference values; the column named by ``id_column``
    holds the sample ids; any other column (a date, a comment) is ignored.

    Parameters
    ----------
    path : str or path-like
        The CSV file, read as UTF-8 (a leading byte-order mark is skipped).

    target : str, list of str or None, default=None
        Header of the target column, or a list of headers for several targets.
        A target column is never taken as a wavelength, even if its header is
        a number. ``None`` reads spectra only (``y`` is ``None``), e.g. new
        spectra to predict.

    id_column : str or None, default=None
        Header of the column of sample ids. When given, the ids are returned
        as a fourth value, and with ``as_frame=True`` they are also the index
        of ``X`` and ``y``. Never taken as a wavelength, even if its header is
        a number. Ids may repeat (replicate spectra of one sample: pass them as
        ``groups`` to a :class:`~sklearn.model_selection.GroupKFold`).

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

    ids : ndarray of shape (n_samples,) or Index
        Only when ``id_column`` is given: the sample ids, str (stripped of
        surrounding spaces) in an object array, in file order; with
        ``as_frame=True``, the index of ``X`` (a pandas Index named after the
        column).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is empty or has no data row, no header is a number, a
        target or id column is missing, two columns name the same wavelength
        or the same target, a row has the wrong number of fields, a spectrum,
        target or id cell is empty, or a spectrum cell is not a number or is
        infinite (``"inf"``, or a number too large for float64). The message
        gives the 1-based line number of the file and the column header.

    Warns
    -----
    UserWarning
        If spectrum or numeric target cells are missing (``"nan"``), with
        their number and the line and column of the first one.

    See Also
    --------
    make_nirs_regression : Synthetic spectra in the same ``(X, y, wavelengths)``
        form.

    Notes
    -----
    Wavelength headers are parsed with :func:`float` (``"1100"``,
    ``"1100.5"``, ``"1.1e3"``); non-finite ones (``"nan"``, ``"inf"``) are
    ignored like other non-numeric headers. Blank lines are skipped. Fields
    may be quoted as in :mod:`csv`. Spectrum cells accept any finite number
    :func:`float` reads, and ``"nan"`` for a missing value (with a warning);
    an empty cell is an error.

    When pandas is installed, :func:`pandas.read_csv` reads the file (three to
    four times faster on 2 000 spectra of 2 000 wavelengths); a file it cannot
    take as it is (any missing, infinite or non-numeric cell, blank lines,
    rows of another length) is read again by :mod:`csv`, so that the result
    and the errors are the same with or without pandas.

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
    ...     *_, ids = load_spectra_csv(path, target="protein", id_column="id")
    ...     frame, _, _, _ = load_spectra_csv(path, id_column="id", as_frame=True)
    >>> X
    array([[0.31, 0.32, 0.34],
           [0.29, 0.3 , 0.31]])
    >>> y
    array([12.5,  9.1])
    >>> wavelengths
    array([1100., 1102., 1104.])
    >>> grades
    array(['high', 'low'], dtype=object)
    >>> ids
    array(['A', 'B'], dtype=object)
    >>> frame
    wavelength  1100  1102  1104
    id
    A           0.31  0.32  0.34
    B           0.29  0.30  0.31
    """
    targets = _check_parameters(target, id_column, delimiter)
    layout = _layout(path, targets, id_column, delimiter)
    read = _read_with_pandas(path, layout, delimiter)
    X, text = read or _read_with_csv(path, layout, delimiter)
    y = None if target is None else _targets(text[:, : len(targets)])
    if isinstance(target, str):
        y = y[:, 0]
    ids = None if id_column is None else text[:, -1]
    wavelengths = np.asarray(list(layout.wavelengths), dtype=np.float64)
    if as_frame:
        # column names as written in the file: scikit-learn keeps string names
        names = [layout.header[column] for column in layout.wavelengths.values()]
        X, y, ids = _as_frame(X, y, names, targets, ids, id_column)
    return (X, y, wavelengths) if id_column is None else (X, y, wavelengths, ids)


def _as_frame(X, y, columns, target_names, ids=None, id_name=None):
    """``X``, ``y`` and the sample ids as pandas objects (both loaders use it).

    ``X`` is a DataFrame whose columns are the wavelength names ``columns``
    (str); ``y`` a Series or a DataFrame named by ``target_names``; both are
    indexed by ``ids`` if given, returned as an Index named ``id_name``.
    """
    import pandas as pd

    index = None if ids is None else pd.Index(ids, name=id_name)
    X = pd.DataFrame(X, columns=pd.Index(columns, name="wavelength"), index=index)
    if y is not None and y.ndim == 1:
        y = pd.Series(y, name=target_names[0], index=index)
    elif y is not None:
        y = pd.DataFrame(y, columns=target_names, index=index)
    return X, y, index
