"""Wavelengths named by the columns of the spectra: read in fit, checked after.

scikit-learn records the column names of a DataFrame only when they are all
strings (``feature_names_in_``) and ignores numeric ones, so spectra whose
columns are named by numbers (``1000.0, 1002.0, ...``) would be read by
position: a frame with other wavelengths, or the same ones in another order,
would give a plausible wrong result. The estimators of skl_nirs record the
wavelengths as floats in ``wavelengths_`` (from numeric names and from names
that are numbers written as strings, such as the ``str(wavelength)`` names of
the ``as_frame=True`` data sets) and compare them at ``transform``/``predict``.
"""

import math
from numbers import Real

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import FLOAT_DTYPES

_N_SHOWN = 3  # mismatches named in an error message


def column_names(X):
    """The column names of ``X`` as an object array, or None if it has none.

    pandas' default column index (``RangeIndex``: 0, 1, 2, ...), which a
    DataFrame built from an array without names gets, is no names.
    """
    columns = getattr(X, "columns", None)
    if columns is None or type(columns).__name__ == "RangeIndex":
        return None
    names = np.asarray(list(columns), dtype=object)
    return names if names.size else None


def _as_wavelength(name):
    """The wavelength a column name gives (a finite number), or None."""
    if isinstance(name, bool | np.bool_) or not isinstance(name, str | Real):
        return None
    try:
        value = float(name)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def column_wavelengths(X):
    """The wavelengths the column names of ``X`` give, or None.

    Parameters
    ----------
    X : array-like
        Spectra; a DataFrame (pandas, polars) has column names.

    Returns
    -------
    wavelengths : ndarray of shape (n_columns,), dtype=float64, or None
        The names read as numbers (``1000.5`` or ``"1000.5"``); None when `X`
        has no column names (an array, pandas' default ``RangeIndex``) or one
        of them is not a finite number.
    """
    names = column_names(X)
    values = [] if names is None else [_as_wavelength(name) for name in names]
    if not values or None in values:
        return None
    return np.asarray(values, dtype=np.float64)


def _format(wavelength):
    return np.format_float_positional(wavelength, trim="-")


def _span(wavelengths):
    return f"{_format(wavelengths[0])} to {_format(wavelengths[-1])}"


def check_per_wavelength(values, name, n_features, dtype):
    """A parameter with one value per wavelength, as a new array of ``dtype``.

    Raises a ValueError naming the parameter ``name`` when its values are not
    finite numbers or their shape is not ``(n_features,)``.
    """
    values = check_array(values, dtype=FLOAT_DTYPES, ensure_2d=False, input_name=name)
    if values.shape != (n_features,):
        raise ValueError(
            f"{name} has shape {values.shape}, but the spectra have {n_features} "
            f"wavelengths: expected shape ({n_features},)."
        )
    return np.array(values, dtype=dtype)


def record_wavelengths(estimator, wavelengths):
    """Set ``estimator.wavelengths_``, or delete a stale one when None."""
    if wavelengths is not None:
        estimator.wavelengths_ = np.asarray(wavelengths, dtype=np.float64)
    elif hasattr(estimator, "wavelengths_"):
        del estimator.wavelengths_


def wavelength_names(estimator):
    """``str(wavelength)`` for each wavelength of ``wavelengths_``, or None.

    The output names of a transformer fitted on numeric column names
    (``str(1000.0) == "1000.0"``, as the ``as_frame=True`` data sets name
    their columns); None when scikit-learn has names of its own
    (``feature_names_in_``) or no wavelengths are known.
    """
    wavelengths = getattr(estimator, "wavelengths_", None)
    if wavelengths is None or hasattr(estimator, "feature_names_in_"):
        return None
    return np.asarray([str(w) for w in wavelengths.tolist()], dtype=object)


def check_wavelengths(estimator, X):
    """Check that the wavelengths named by the columns of ``X`` are those of fit.

    Call it before ``validate_data(estimator, X, reset=False)``. Nothing is
    checked when the estimator knows no wavelengths (``wavelengths_`` is not
    set) or `X` has no column names (an array: taken by position, as
    scikit-learn does). String names on an estimator fitted on string names
    are left to scikit-learn's own check of ``feature_names_in_``, which is
    stricter (``"1000"`` and ``"1000.0"`` differ there).

    Parameters
    ----------
    estimator : fitted estimator
        Whose ``wavelengths_``, if set, are the wavelengths seen in fit.

    X : array-like
        Spectra to check.

    Raises
    ------
    ValueError
        If `X` has column names that are not wavelengths, or other wavelengths
        than those seen in fit, or the same in another order. The message
        names the first mismatches.
    """
    fitted = getattr(estimator, "wavelengths_", None)
    names = column_names(X)
    if fitted is None or names is None:
        return
    strings = all(isinstance(name, str) for name in names)
    if strings and hasattr(estimator, "feature_names_in_"):
        return
    seen = column_wavelengths(X)
    name = type(estimator).__name__
    what = f"{name} was fitted on the wavelengths"
    if seen is None:
        bad = [repr(column) for column in names if _as_wavelength(column) is None]
        shown = ", ".join(bad[:_N_SHOWN]) + (", ..." if len(bad) > _N_SHOWN else "")
        raise ValueError(
            f"X has column names that are not wavelengths ({shown}), but "
            f"{what} {_span(fitted)}: name the columns of X by the wavelengths "
            "seen in fit, or pass an array."
        )
    if seen.shape != fitted.shape:
        raise ValueError(
            f"X has {seen.size} wavelengths ({_span(seen)}), but {what} "
            f"{_span(fitted)} ({fitted.size} wavelengths)."
        )
    differ = np.flatnonzero(seen != fitted)
    if not differ.size:
        return
    shown = ", ".join(
        f"column {i} is {_format(seen[i])} instead of {_format(fitted[i])}"
        for i in differ[:_N_SHOWN]
    )
    more = f" ({differ.size} of {fitted.size} columns differ)"
    if np.array_equal(np.sort(seen), np.sort(fitted)):
        raise ValueError(
            f"X has the wavelengths seen in fit in another order: {shown}"
            f"{more}. Reorder the columns of X as in fit."
        )
    raise ValueError(
        f"X has other wavelengths than those {name} was fitted on: {shown}"
        f"{more}. Give the spectra at the wavelengths seen in fit "
        f"({_span(fitted)})."
    )
