"""Spectra, before and after preprocessing, as a Display."""

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, check_is_fitted

from skl_nirs.plotting._utils import _describe, _DisplayMixin
from skl_nirs.utils._compat import _validate_style_kwargs

_WAVENUMBER_UNITS = ("cm-1", "cm^-1", "cm⁻¹", "1/cm")
_MAX_CLASSES = 10  # more numeric classes than this are coloured as a continuum


def _numbers(names, n_columns):
    """``names`` as floats, or None unless they are ``n_columns`` numbers."""
    try:
        numbers = np.asarray([float(name) for name in names], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == n_columns else None


def _check_spectra(X, wavelengths):
    """``(spectra, wavelengths)``: X as floats and its wavelengths or None."""
    spectra = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
    if wavelengths is None and hasattr(X, "columns"):
        wavelengths = _numbers(X.columns, spectra.shape[1])
    if wavelengths is not None:
        wavelengths = np.asarray(wavelengths, dtype=np.float64).ravel()
        if wavelengths.shape[0] != spectra.shape[1]:
            raise ValueError(
                f"wavelengths has {wavelengths.shape[0]} values but X has "
                f"{spectra.shape[1]} columns."
            )
    return spectra, wavelengths


class SpectraDisplay(_DisplayMixin):
    """Spectra, one line each, against their wavelengths.

    Build it with :meth:`from_spectra` (raw spectra) or :meth:`from_estimator`
    (spectra after a fitted preprocessing). Two Displays on two Axes show the
    spectra before and after. All parameters are stored as attributes.

    Parameters
    ----------
    spectra : ndarray of shape (n_samples, n_wavelengths)
        The spectra, one per row.

    wavelengths : ndarray of shape (n_wavelengths,), default=None
        The x value of each column; None draws against the column index.

    y : ndarray of shape (n_samples,), default=None
        Colours the spectra: by a colour map with a colour bar for a numeric
        target, one colour per class with a legend for class labels (or
        integers with at most 10 distinct values). None draws them all alike.

    unit : str, default=None
        Unit of ``wavelengths``, written on the x axis: ``"nm"`` gives
        "Wavelength (nm)", ``"cm-1"`` gives "Wavenumber (cm-1)". None writes
        "Wavelength".

    title : str, default=None
        Title of the Axes; None sets none.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per spectrum, in the order of the rows.

    colorbar_ : matplotlib Colorbar or None
        The colour bar of a numeric ``y``.

    ax_ : matplotlib Axes
        The Axes drawn on.

    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    See Also
    --------
    BranchComparisonDisplay : One score per branch.
    sklearn.metrics.PredictionErrorDisplay : Predicted against measured values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.plotting import SpectraDisplay
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> X, y, wavelengths = make_nirs_regression(n_samples=20, random_state=0)
    >>> fig, (before, after) = plt.subplots(1, 2)
    >>> raw = SpectraDisplay.from_spectra(
    ...     X, wavelengths, y=y, unit="nm", ax=before)
    >>> len(raw.lines_), raw.ax_.get_xlabel()
    (20, 'Wavelength (nm)')
    >>> snv = SpectraDisplay.from_estimator(
    ...     StandardNormalVariate().fit(X), X, wavelengths, unit="nm", ax=after)
    >>> snv.ax_.get_title()
    'After StandardNormalVariate'
    """

    def __init__(self, spectra, wavelengths=None, *, y=None, unit=None, title=None):
        self.spectra = spectra
        self.wavelengths = wavelengths
        self.y = y
        self.unit = unit
        self.title = title

    def plot(self, ax=None, *, xlabel=None, ylabel="Signal", line_kwargs=None):
        """Draw the spectra.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a new figure.

        xlabel : str, default=None
            Label of the x axis; None names the wavelengths and their ``unit``,
            or "Wavelength index" without wavelengths. Wavenumbers (``unit`` of
            ``"cm-1"``) are drawn decreasing to the right, as is customary.

        ylabel : str, default="Signal"
            Label of the y axis.

        line_kwargs : dict, default=None
            Keyword arguments of :meth:`matplotlib.axes.Axes.plot`, e.g.
            ``{"alpha": 0.3}``.

        Returns
        -------
        display : SpectraDisplay
            ``self``, with ``lines_``, ``colorbar_``, ``ax_`` and ``figure_``.
        """
        ax = self._set_axes(ax)
        spectra = np.asarray(self.spectra, dtype=np.float64)
        n_spectra, n_wavelengths = spectra.shape
        x = np.arange(n_wavelengths) if self.wavelengths is None else self.wavelengths
        alpha = float(np.clip(20.0 / max(n_spectra, 1), 0.15, 0.9))
        style = {"linewidth": 0.8, "alpha": alpha, "color": "C0"}
        style = _validate_style_kwargs(style, line_kwargs or {})
        self.lines_ = ax.plot(x, spectra.T, **style)
        self.colorbar_ = None if self.y is None else self._color_by_y()
        ax.set_xlabel(self._xlabel() if xlabel is None else xlabel)
        if self.wavelengths is not None and self.unit in _WAVENUMBER_UNITS:
            ax.set_xlim(np.max(x), np.min(x))  # wavenumbers decrease to the right
        ax.set_ylabel(ylabel)
        if self.title is not None:
            ax.set_title(self.title)
        return self

    def _xlabel(self):
        if self.wavelengths is None:
            return "Wavelength index"
        quantity = "Wavenumber" if self.unit in _WAVENUMBER_UNITS else "Wavelength"
        return quantity if self.unit is None else f"{quantity} ({self.unit})"

    def _color_by_y(self):
        """Colour the lines by ``y``: one colour per class with a legend, or a
        colour map with its colour bar, which is returned (None for classes)."""
        y = np.asarray(self.y)
        if y.shape != (len(self.lines_),):
            raise ValueError(
                f"y must hold one value per spectrum: {len(self.lines_)} values, got "
                f"shape {y.shape}."
            )
        numeric = y.dtype.kind in "iuf"
        classes = type_of_target(y) in ("binary", "multiclass")
        if not (numeric or classes):
            raise ValueError(f"y must hold class labels or numbers; got {y.dtype}.")
        labels, first, codes = np.unique(y, return_index=True, return_inverse=True)
        if classes and (not numeric or len(labels) <= _MAX_CLASSES):
            for line, code in zip(self.lines_, codes):
                line.set_color(f"C{code % 10}")
            handles = [self.lines_[row] for row in first]  # one per class
            self.ax_.legend(handles, labels.astype(str), title="y", loc="best")
            return None
        import matplotlib as mpl

        norm = mpl.colors.Normalize(np.nanmin(y), np.nanmax(y))
        mappable = mpl.cm.ScalarMappable(norm=norm, cmap="viridis")
        for line, value in zip(self.lines_, y):
            line.set_color(mappable.to_rgba(value))
        return self.figure_.colorbar(mappable, ax=self.ax_, label="y")

    @classmethod
    def from_spectra(
        cls,
        X,
        wavelengths=None,
        *,
        y=None,
        unit=None,
        title=None,
        ax=None,
        xlabel=None,
        ylabel="Signal",
        line_kwargs=None,
    ):
        """Plot spectra, one line each.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, one per row. A DataFrame whose column names are numbers
            gives the wavelengths when ``wavelengths`` is None.

        wavelengths : array-like of shape (n_wavelengths,), default=None
            Wavelength of each column; the column index if None (and ``X`` has
            no numeric column names).

        y : array-like of shape (n_samples,), default=None
            Colours the spectra by target value or class; see the class.

        unit : str, default=None
            Unit of the wavelengths, e.g. ``"nm"`` or ``"cm-1"``.

        title : str, default=None
            Title of the Axes.

        ax : matplotlib Axes, default=None
            Where to draw; None creates a new figure.

        xlabel, ylabel, line_kwargs
            As in :meth:`plot`.

        Returns
        -------
        display : SpectraDisplay
        """
        spectra, wavelengths = _check_spectra(X, wavelengths)
        display = cls(spectra, wavelengths, y=y, unit=unit, title=title)
        return display.plot(ax, xlabel=xlabel, ylabel=ylabel, line_kwargs=line_kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        wavelengths=None,
        *,
        y=None,
        unit=None,
        title=None,
        ax=None,
        xlabel=None,
        ylabel="Transformed signal",
        line_kwargs=None,
    ):
        """Plot spectra after a fitted preprocessing, one line each.

        The transformed spectra are drawn against the same wavelengths when the
        transformer keeps the number of columns, else against the wavelengths its
        ``get_feature_names_out`` gives (as :class:`RangeCut` does), else against
        the feature index.

        Parameters
        ----------
        estimator : fitted transformer or Pipeline of transformers
            The preprocessing to show, e.g. the preprocessing steps of a fitted
            pipeline (``pipeline[:-1]``).

        X : array-like of shape (n_samples, n_wavelengths)
            Spectra to transform, one per row.

        wavelengths : array-like of shape (n_wavelengths,), default=None
            Wavelength of each column of ``X``.

        y, unit, ax, xlabel, ylabel, line_kwargs
            As in :meth:`from_spectra`.

        title : str, default=None
            Title of the Axes; None writes "After" and the transformer's name.

        Returns
        -------
        display : SpectraDisplay
        """
        check_is_fitted(estimator)
        _, wavelengths = _check_spectra(X, wavelengths)
        spectra, _ = _check_spectra(estimator.transform(X), None)
        n_features = spectra.shape[1]
        if wavelengths is None or wavelengths.shape[0] != n_features:
            try:  # the wavelengths its feature names give, e.g. RangeCut's
                wavelengths = _numbers(estimator.get_feature_names_out(), n_features)
            except (AttributeError, NotFittedError, TypeError, ValueError):
                wavelengths = None
        if wavelengths is None and xlabel is None:
            xlabel = "Feature index"
        title = f"After {_describe(estimator)}" if title is None else title
        display = cls(spectra, wavelengths, y=y, unit=unit, title=title)
        return display.plot(ax, xlabel=xlabel, ylabel=ylabel, line_kwargs=line_kwargs)
