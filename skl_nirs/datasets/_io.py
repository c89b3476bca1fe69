"""Load spectra stored as CSV: one row per sample, one column per wavelength."""

import csv
import math
import os
import warnings
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from skl_nirs.utils._compat import validate_params


class _Layout(NamedTuple):
    """What the header row says about the columns of the file."""

    header: list  # the stripped column headers
    n_lines: int  # physical lines up to the header row, blank lines included
    wavelength_columns: list
    wavelengths: list
    target_columns: list
    id_column: int | None

    @property
    def text_columns(self):
        """Columns read as strings: the targets, then the sample id."""
        ids = [] if self.id_column is None else [self.id_column]
        return [*self.target_columns, *ids]


def _pandas():
    """pandas if it is installed (the fast path of the reader), else None."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def _wavelength(header):
    """The wavelength a column header names, or None if it is not a number."""
    try:
        value = float(header)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _check_parameters(target, id_column, delimiter):
    """The list of target headers; a ValueError for what validate_params lets by."""
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
    if id_column is not None and id_column in targets:
        raise ValueError(
            f"The 'id_column' parameter names a target column. Got {id_column!r} "
            "instead."
        )
    if len(delimiter) != 1:
        raise ValueError(
            "The 'delimiter' parameter must be a single character. "
            f"Got {delimiter!r} instead."
        )
    return targets


def _read_header(path, delimiter):
    """The first non-blank row, stripped, and the physical lines it ends."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        header = next((row for row in reader if row), None)
        if header is None:
            raise ValueError(f"The file {os.fspath(path)!r} is empty.")
        return [name.strip() for name in header], reader.line_num


def _find_column(header, name, what, path, delimiter):
    """The index of the column ``name`` (a target or the id column)."""
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
            f"{what} {name!r} not found in the header of {os.fspath(path)!r}.{hint}"
        )
    if header.count(name) > 1:
        raise ValueError(f"{what} {name!r} appears more than once in the header.")
    return header.index(name)


def _layout(path, targets, id_column, delimiter):
    """Read the header row; find the target, id and wavelength columns."""
    header, n_lines = _read_header(path, delimiter)
    target_columns = [
        _find_column(header, name, "Target column", path, delimiter) for name in targets
    ]
    if id_column is not None:
        id_column = _find_column(header, id_column, "Id column", path, delimiter)
    wavelength_columns, wavelengths, seen = [], [], {}
    for column, name in enumerate(header):
        if column in target_columns or column == id_column:
            continue
        wavelength = _wavelength(name)
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
    return _Layout(
        header, n_lines, wavelength_columns, wavelengths, target_columns, id_column
    )


def _read_with_pandas(path, layout, delimiter):
    """``(spectra, text)`` read by pandas, or None to leave the file to csv.

    Only a file with nothing to report is taken: every row with the fields of
    the header, every spectrum cell a finite number, no target or id cell
    blank. Anything else (blank lines, "nan", "TRUE", which pandas reads as 1,
    a header over several lines) returns None, so that the csv reader, which
    knows the line of each cell, gives the same result or names the problem.
    """
    pd = _pandas()
    text_columns = layout.text_columns
    if pd is None or any("\n" in name or "\r" in name for name in layout.header):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (mixed types: left to csv)
            frame = pd.read_csv(
                path,
                sep=delimiter,
                header=None,
                skiprows=layout.n_lines,
                dtype=dict.fromkeys(text_columns, object),
                skip_blank_lines=False,
                encoding="utf-8-sig",
                low_memory=False,
            )
    except Exception:  # the csv reader says what it is, and where
        return None
    if (
        frame.shape[0] == 0
        or frame.shape[1] != len(layout.header)
        or frame.iloc[:, -1].isna().any()
    ):
        return None  # no row, or rows with too many or too few fields
    spectra = frame.iloc[:, layout.wavelength_columns]
    if any(dtype.kind not in "iuf" for dtype in spectra.dtypes):
        return None
    X = spectra.to_numpy(dtype=np.float64)
    if not np.isfinite(X).all():
        return None
    text = frame.iloc[:, text_columns].to_numpy(dtype=object)
    if not all(isinstance(value, str) for value in text.flat):
        return None
    text = np.vectorize(str.strip, otypes=[object])(text) if text.size else text
    return (X, text) if _is_clean(text, len(layout.target_columns)) else None


def _is_clean(text, n_targets):
    """No target or id cell is blank, no numeric target is missing or infinite."""
    if (text == "").any():
        return False
    try:
        return np.isfinite(text[:, :n_targets].astype(np.float64)).all()
    except ValueError:  # class labels
        return True


def _columns_getter(columns):
    """A fast function returning the given fields of a row, as a sequence."""
    if columns == list(range(columns[0], columns[-1] + 1)):
        return itemgetter(slice(columns[0], columns[-1] + 1))
    if len(columns) == 1:
        return lambda row: (row[columns[0]],)
    return itemgetter(*columns)


class _Rows(NamedTuple):
    """The data rows as read by the csv reader, with their line numbers."""

    spectra: list  # per row, the spectrum cells (str)
    text: list  # per row, the stripped target and id cells
    lines: list  # per row, the 1-based line of the file where it ends


def _read_with_csv(path, layout, delimiter):
    """Every data row, checked field by field; errors name line and column."""
    header, n_fields = layout.header, len(layout.header)
    get_spectrum = _columns_getter(layout.wavelength_columns)
    text_columns = layout.text_columns
    rows = _Rows([], [], [])
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        next(row for row in reader if row)  # the header
        for row in reader:
            if not row:
                continue
            if len(row) != n_fields:
                raise ValueError(
                    f"Line {reader.line_num}: expected {n_fields} fields as in "
                    f"the header, got {len(row)}."
                )
            text = [row[column].strip() for column in text_columns]
            for value, column in zip(text, text_columns, strict=True):
                if not value:
                    what = "sample id" if column == layout.id_column else "target"
                    raise ValueError(
                        f"Line {reader.line_num}, column {header[column]!r}: "
                        f"empty {what} value."
                    )
            rows.spectra.append(get_spectrum(row))
            rows.text.append(text)
            rows.lines.append(reader.line_num)
    if not rows.spectra:
        raise ValueError(f"The file {os.fspath(path)!r} has no data row.")
    return rows


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


def _check_finite(values, cells, lines, names, what):
    """Raise for an infinite value; describe the missing ones (nan), if any.

    ``values`` are the numbers read from the strings ``cells`` (a list of
    rows); the error and the description name line and column.
    """
    finite = np.isfinite(values)
    if finite.all():
        return None
    infinite = np.argwhere(np.isinf(values))
    if infinite.size:
        row, column = infinite[0]
        raise ValueError(
            f"Line {lines[row]}, column {names[column]!r}: "
            f"{cells[row][column].strip()!r} is not a finite number."
        )
    row, column = np.argwhere(~finite)[0]
    return (
        f"{(~finite).sum()} {what}, the first at line {lines[row]}, column "
        f"{names[column]!r}"
    )


def _parse_csv_rows(path, layout, delimiter):
    """``(spectra, text)`` read by the csv reader; warns about missing values."""
    rows = _read_with_csv(path, layout, delimiter)
    names = [layout.header[column] for column in layout.wavelength_columns]
    X = _to_float(rows.spectra, rows.lines, names)
    missing = [_check_finite(X, rows.spectra, rows.lines, names, "spectrum values")]
    text = np.empty((len(rows.text), len(layout.text_columns)), dtype=object)
    text[...] = rows.text
    targets = text[:, : len(layout.target_columns)]
    try:
        y = targets.astype(np.float64)
    except ValueError:  # class labels
        pass
    else:
        names = [layout.header[column] for column in layout.target_columns]
        missing.append(_check_finite(y, targets, rows.lines, names, "target values"))
    missing = [part for part in missing if part is not None]
    if missing:
        warnings.warn(
            f"{os.fspath(path)!r} has missing values (nan): {'; '.join(missing)}. "
            "Most estimators refuse them: impute or drop them before fitting.",
            UserWarning,
            stacklevel=4,  # the caller of load_spectra_csv (validate_params)
        )
    return X, text


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
    X, text = _parse_csv_rows(path, layout, delimiter) if read is None else read
    n_targets = len(targets)
    y = None
    if target is not None:
        try:
            y = text[:, :n_targets].astype(np.float64)
        except ValueError:  # class labels: kept as str
            y = text[:, :n_targets]
        y = y[:, 0] if isinstance(target, str) else y
    ids = text[:, n_targets] if id_column is not None else None
    wavelengths = np.asarray(layout.wavelengths, dtype=np.float64)
    if as_frame:
        X, y, ids = _as_frame(X, y, ids, layout, target, id_column)
    return (X, y, wavelengths) if id_column is None else (X, y, wavelengths, ids)


def _as_frame(X, y, ids, layout, target, id_column):
    """``X`` as a DataFrame named by the wavelength headers, ``y`` alike."""
    import pandas as pd

    index = None if ids is None else pd.Index(ids, name=id_column)
    # column names as written in the file: scikit-learn keeps string names
    columns = [layout.header[column] for column in layout.wavelength_columns]
    X = pd.DataFrame(X, columns=pd.Index(columns, name="wavelength"), index=index)
    if y is not None:
        y = (
            pd.Series(y, name=target, index=index)
            if y.ndim == 1
            else pd.DataFrame(y, columns=target, index=index)
        )
    return X, y, index
