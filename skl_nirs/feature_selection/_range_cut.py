"""RangeCut: keep the wavelengths of a window, as a feature selector."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from skl_nirs.utils._compat import StrOptions, _fit_context
from skl_nirs.utils._versioning import VersionedPickleMixin
from skl_nirs.utils._wavelengths import (
    check_per_wavelength,
    check_wavelengths,
    column_names,
    column_wavelengths,
    record_wavelengths,
    wavelength_names,
)


class RangeCut(VersionedPickleMixin, SelectorMixin, BaseEstimator):
    """Keep the wavelengths of a window of the spectra.

    The window is given by its bounds `start` and `stop`, either as
    wavelength values (closed ``[start, stop]``) or as column indices
    (half-open ``[start, stop)`` as in Python slicing). The wavelengths come
    from the `wavelengths` parameter or, if it is None, from the column names
    of a DataFrame given to :term:`fit` when they are numbers (``1100.5`` or
    ``"1100.5"``). When the wavelengths are known, `start` and `stop` are
    wavelengths unless ``by="index"`` says otherwise.

    Parameters
    ----------
    start : int or float, default=None
        Smallest wavelength kept, or first column index kept (``by="index"``,
        or ``by="auto"`` without known wavelengths). None starts at the
        smallest wavelength or the first column.

    stop : int or float, default=None
        Largest wavelength kept, or column index after the last one kept
        (``by="index"``, or ``by="auto"`` without known wavelengths). None
        stops at the largest wavelength or the last column.

    by : {"auto", "wavelength", "index"}, default="auto"
        Whether `start` and `stop` are wavelengths or column indices.
        ``"auto"``: wavelengths when they are known (`wavelengths` given, or
        column names that are numbers), column indices otherwise (an array,
        or column names that are not numbers). ``"wavelength"`` requires the
        wavelengths; ``"index"`` always reads column indices.

        .. versionchanged:: 0.1
           The default was ``"index"``, which read the bounds as column
           indices even for spectra whose wavelengths are known: on a wide
           spectrum, ``RangeCut(950, 1550)`` silently kept columns 950 to
           1549. Pass ``by="index"`` to keep that behaviour.

    wavelengths : array-like of shape (n_wavelengths,), default=None
        Wavelength of each column. If None, the column names of the DataFrame
        given to :term:`fit` when they are numbers. If both are given, they
        must agree.

    Attributes
    ----------
    support_ : ndarray of shape (n_wavelengths,), dtype=bool
        Mask of the kept columns.

    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    wavelengths_ : ndarray of shape (`n_features_in_`,), dtype=float64
        Wavelength of each column seen during :term:`fit`: `wavelengths`, or
        the column names of `X` read as numbers. Defined only when they are
        known. A DataFrame given to :meth:`transform` must have the same
        wavelengths, in the same order, or a ``ValueError`` names the first
        mismatches (an array is taken as it is).

    See Also
    --------
    sklearn.feature_selection.SelectFromModel : Keep the features an estimator
        finds important.

    Notes
    -----
    Bounds outside the spectrum (an index below 0 or above the number of
    wavelengths, a wavelength below the smallest or above the largest one) and
    windows holding no wavelength raise a ``ValueError`` in :term:`fit`
    naming `start` or `stop`: column indices given for spectra whose
    wavelengths are known are refused, not guessed. pandas' default column
    names (``0, 1, 2, ...`` of a DataFrame built without names) are not
    wavelengths. In a :class:`~sklearn.pipeline.Pipeline`, the steps before
    RangeCut pass arrays unless ``set_output(transform="pandas")`` is set:
    give `wavelengths`, or put RangeCut first.

    Wavelengths may be given in any order (for instance decreasing
    wavenumbers): the window keeps every column whose wavelength lies between
    the bounds, in the input order.

    A :class:`~sklearn.feature_selection.SelectorMixin`: :meth:`get_support`
    gives the mask (or the indices) of the kept columns and
    :meth:`inverse_transform` puts the kept columns back in place, zeros
    elsewhere. :meth:`get_feature_names_out` gives the names of the kept
    columns (the kept wavelengths as strings when the names were numbers or
    came from `wavelengths`), so ``set_output(transform="pandas")`` keeps
    their names.

    float32 input gives float32 output; any other input is converted to
    float64.

    References
    ----------
    .. [1] L. Nørgaard, A. Saudland, J. Wagner, J. P. Nielsen, L. Munck and
       S. B. Engelsen, "Interval partial least-squares regression (iPLS): a
       comparative chemometric study with an example from near-infrared
       spectroscopy", Applied Spectroscopy 54(3), 413-419, 2000.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.feature_selection import RangeCut
    >>> X = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    >>> RangeCut(start=1, stop=3).fit_transform(X)
    array([[0.2, 0.3]])
    >>> wavelengths = [1000, 1100, 1200, 1300, 1400]
    >>> cut = RangeCut(start=1100, stop=1300, wavelengths=wavelengths)
    >>> cut.fit_transform(X)
    array([[0.2, 0.3, 0.4]])
    >>> cut.get_support()
    array([False,  True,  True,  True, False])
    >>> cut.get_support(indices=True)
    array([1, 2, 3])
    >>> cut.get_feature_names_out()
    array(['1100.0', '1200.0', '1300.0'], dtype=object)
    >>> RangeCut(1, 3, by="index", wavelengths=wavelengths).fit_transform(X)
    array([[0.2, 0.3]])

    With a DataFrame whose column names are the wavelengths, they are read,
    recorded and checked:

    >>> import pandas as pd
    >>> frame = pd.DataFrame(X, columns=[1000.0, 1100.0, 1200.0, 1300.0, 1400.0])
    >>> cut = RangeCut(1100, 1300).fit(frame)
    >>> cut.transform(frame)
    array([[0.2, 0.3, 0.4]])
    >>> cut.transform(frame[frame.columns[::-1]])
    Traceback (most recent call last):
    ...
    ValueError: X has the wavelengths seen in fit in another order: ...
    """

    _parameter_constraints: dict = {
        "start": [Real, None],
        "stop": [Real, None],
        "by": [StrOptions({"auto", "index", "wavelength"})],
        "wavelengths": ["array-like", None],
    }

    def __init__(self, start=None, stop=None, *, by="auto", wavelengths=None):
        self.start = start
        self.stop = stop
        self.by = by
        self.wavelengths = wavelengths

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the columns of the window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, one per row; a DataFrame whose column names are numbers
            gives the wavelengths.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        named = column_wavelengths(X)
        has_names = column_names(X) is not None
        X = validate_data(self, X, dtype=FLOAT_DTYPES)
        wavelengths = self._known_wavelengths(named, X.shape[1])
        if self.by == "index" or (self.by == "auto" and wavelengths is None):
            self.support_ = self._index_support(X.shape[1])
        elif wavelengths is None:
            hint = " (the column names of X are not numbers)" if has_names else ""
            raise ValueError(
                "by='wavelength' needs the wavelengths: pass wavelengths, or fit on "
                f"a DataFrame whose column names are the wavelengths{hint}."
            )
        else:
            self.support_ = self._wavelength_support(wavelengths)
        record_wavelengths(self, wavelengths)
        return self

    def _index_support(self, n_features):
        for name in ("start", "stop"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Integral):
                raise ValueError(
                    f"{name} must be an integer column index with by='index', "
                    f"got {name}={value!r}."
                    if self.by == "index"
                    else f"{name}={value!r} is read as a column index, because "
                    "the wavelengths of X are unknown (by='auto'), and must be an "
                    "integer: pass wavelengths, or name the columns of X by their "
                    "wavelengths, to cut by wavelength."
                )
        start = 0 if self.start is None else self.start
        stop = n_features if self.stop is None else self.stop
        if not 0 <= start < n_features:
            raise ValueError(
                f"start={start} is outside the spectrum: column indices go from "
                f"0 to {n_features - 1} (n_features={n_features})."
            )
        if not 0 < stop <= n_features:
            raise ValueError(
                f"stop={stop} is outside the spectrum: it must be between 1 and "
                f"n_features={n_features}."
            )
        if start >= stop:
            raise ValueError(
                f"The window is empty: start={start} must be less than stop={stop}."
            )
        positions = np.arange(n_features)
        return (positions >= start) & (positions < stop)

    def _known_wavelengths(self, named, n_features):
        """``wavelengths``, checked against the numeric column names, or those."""
        if self.wavelengths is None:
            return named
        wavelengths = check_per_wavelength(
            self.wavelengths, "wavelengths", n_features, np.float64
        )
        if named is not None and not np.array_equal(named, wavelengths):
            i = np.flatnonzero(named != wavelengths)[0]
            raise ValueError(
                f"wavelengths and the column names of X give different "
                f"wavelengths: column {i} is named {named[i]:g} but "
                f"wavelengths[{i}]={wavelengths[i]:g}. Pass one of them, or make "
                "them agree."
            )
        return wavelengths

    def _wavelength_support(self, wavelengths):
        low, high = wavelengths.min(), wavelengths.max()
        start = low if self.start is None else self.start
        stop = high if self.stop is None else self.stop
        hint = (
            " (by='auto' reads start and stop as wavelengths when they are "
            "known: pass by='index' for column indices)"
            if self.by == "auto"
            else ""
        )
        for name, value in (("start", start), ("stop", stop)):
            if not low <= value <= high:
                raise ValueError(
                    f"{name}={value} is outside the spectrum, whose wavelengths "
                    f"go from {low:g} to {high:g}{hint}."
                )
        support = (wavelengths >= start) & (wavelengths <= stop)
        if not support.any():
            raise ValueError(
                f"The window is empty: no wavelength lies between start={start} "
                f"and stop={stop}."
            )
        return support

    def transform(self, X):
        """Keep the columns of the window.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, one per row.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_kept)
            The kept columns.
        """
        check_is_fitted(self)
        check_wavelengths(self, X)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        kept = np.flatnonzero(self.support_)
        if kept[-1] - kept[0] + 1 == kept.size:  # a window: copy a slice, C-ordered
            return X[:, kept[0] : kept[-1] + 1].copy()
        return np.compress(self.support_, X, axis=1)

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def get_feature_names_out(self, input_features=None):
        """Names of the kept columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names. If None, `feature_names_in_` when defined,
            else the wavelengths as strings (``str(wavelength)``) when they are
            known, else ``["x0", "x1", ..., "x(n_features_in_ - 1)"]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Names of the kept columns.
        """
        if input_features is None:
            input_features = wavelength_names(self)
        return super().get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
