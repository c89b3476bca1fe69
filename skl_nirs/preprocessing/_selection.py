"""Selection of a wavelength window."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_array
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from skl_nirs.utils._compat import StrOptions, _check_feature_names_in, _fit_context
from skl_nirs.utils._versioning import VersionedPickleMixin


class RangeCut(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """Keep the wavelengths of a window of the spectra.

    The window is given by its bounds `start` and `stop`, either as column
    indices (``by="index"``, half-open ``[start, stop)`` as in Python slicing)
    or as wavelength values (``by="wavelength"``, closed
    ``[start, stop]``). The wavelengths come from the `wavelengths`
    parameter or, if it is None, from the column names of a DataFrame given
    to :term:`fit`.

    Parameters
    ----------
    start : int or float, default=None
        First column index (``by="index"``) or smallest wavelength kept
        (``by="wavelength"``). None starts at the first column or the smallest
        wavelength.

    stop : int or float, default=None
        Column index after the last one kept (``by="index"``) or largest
        wavelength kept (``by="wavelength"``). None stops at the last column
        or the largest wavelength.

    by : {"index", "wavelength"}, default="index"
        Whether `start` and `stop` are column indices or wavelengths.

    wavelengths : array-like of shape (n_wavelengths,), default=None
        Wavelength of each column, used when ``by="wavelength"``. If None,
        the column names of the DataFrame given to :term:`fit` are read as
        numbers (e.g. ``"1100.5"`` or ``1100.5``).

    Attributes
    ----------
    support_ : ndarray of shape (n_wavelengths,), dtype=bool
        Mask of the kept columns.

    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.feature_selection.SelectorMixin : Feature selection by a mask.

    Notes
    -----
    Bounds outside the spectrum (an index below 0 or above the number of
    wavelengths, a wavelength below the smallest or above the largest one) and
    windows holding no wavelength raise a ``ValueError`` in :term:`fit`
    naming `start` or `stop`. Wavelengths may be given in any order (for
    instance decreasing wavenumbers): the window keeps every column whose
    wavelength lies between the bounds, in the input order.

    :meth:`get_feature_names_out` gives the names of the kept columns, so
    ``set_output(transform="pandas")`` keeps their names.

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
    >>> from skl_nirs.preprocessing import RangeCut
    >>> X = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    >>> RangeCut(start=1, stop=3).fit_transform(X)
    array([[0.2, 0.3]])
    >>> cut = RangeCut(
    ...     start=1100, stop=1300, by="wavelength",
    ...     wavelengths=[1000, 1100, 1200, 1300, 1400],
    ... )
    >>> cut.fit_transform(X)
    array([[0.2, 0.3, 0.4]])
    >>> cut.support_
    array([False,  True,  True,  True, False])
    """

    _parameter_constraints: dict = {
        "start": [Real, None],
        "stop": [Real, None],
        "by": [StrOptions({"index", "wavelength"})],
        "wavelengths": ["array-like", None],
    }

    def __init__(self, start=None, stop=None, *, by="index", wavelengths=None):
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
            Spectra, one per row. With ``by="wavelength"`` and no
            `wavelengths`, a DataFrame whose column names are numbers.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        columns = getattr(X, "columns", None)
        X = validate_data(self, X, dtype=FLOAT_DTYPES)
        n_features = X.shape[1]
        if self.by == "index":
            self.support_ = self._index_support(n_features)
        else:
            wavelengths = self._check_wavelengths(columns, n_features)
            self.support_ = self._wavelength_support(wavelengths)
        return self

    def _index_support(self, n_features):
        for name in ("start", "stop"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Integral):
                raise ValueError(
                    f"{name} must be an integer column index with by='index', "
                    f"got {name}={value!r}."
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
        support = np.zeros(n_features, dtype=bool)
        support[start:stop] = True
        return support

    def _check_wavelengths(self, columns, n_features):
        if self.wavelengths is not None:
            wavelengths = check_array(
                self.wavelengths,
                dtype=np.float64,
                ensure_2d=False,
                input_name="wavelengths",
            )
            if wavelengths.shape != (n_features,):
                raise ValueError(
                    f"wavelengths has shape {wavelengths.shape}, but the spectra "
                    f"have {n_features} wavelengths: expected shape "
                    f"({n_features},)."
                )
            return wavelengths
        if columns is None:
            raise ValueError(
                "by='wavelength' needs the wavelengths: pass wavelengths, or fit "
                "on a DataFrame whose column names are the wavelengths."
            )
        try:
            return np.asarray(columns, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "by='wavelength' needs the wavelengths, but the column names of "
                "X are not numbers: pass wavelengths, or name the columns by "
                "their wavelengths."
            ) from exc

    def _wavelength_support(self, wavelengths):
        low, high = wavelengths.min(), wavelengths.max()
        start = low if self.start is None else self.start
        stop = high if self.stop is None else self.stop
        for name, value in (("start", start), ("stop", stop)):
            if not low <= value <= high:
                raise ValueError(
                    f"{name}={value} is outside the spectrum, whose wavelengths "
                    f"go from {low:g} to {high:g}."
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
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        kept = np.flatnonzero(self.support_)
        if kept[-1] - kept[0] + 1 == kept.size:  # a window: copy a slice, C-ordered
            return X[:, kept[0] : kept[-1] + 1].copy()
        return np.compress(self.support_, X, axis=1)

    def get_feature_names_out(self, input_features=None):
        """Names of the kept columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names. If None, `feature_names_in_` when defined,
            else ``["x0", "x1", ..., "x(n_features_in_ - 1)"]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Names of the kept columns.
        """
        check_is_fitted(self)
        return _check_feature_names_in(self, input_features)[self.support_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
