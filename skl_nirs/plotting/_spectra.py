"""Plot spectra, before and after preprocessing."""

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_array, check_is_fitted

from skl_nirs.plotting._utils import _get_axes


def _numbers(names):
    """``names`` as floats, or None if one of them is not a number."""
    try:
        return np.asarray([float(name) for name in names], dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _x_axis(X, wavelengths, n_features):
    """The x values of the spectra and their axis label."""
    if wavelengths is None and hasattr(X, "columns"):
        wavelengths = _numbers(X.columns)
    if wavelengths is None:
        return np.arange(n_features), "Wavelength index"
    wavelengths = np.asarray(wavelengths, dtype=np.float64).ravel()
    if wavelengths.shape[0] != n_features:
        raise ValueError(
            f"wavelengths has {wavelengths.shape[0]} values but X has "
            f"{n_features} columns."
        )
    return wavelengths, "Wavelength"


def _transform(transformer, X):
    """``transformer.transform(X)``, fitting a clone on ``X`` if it is not fitted."""
    try:
        check_is_fitted(transformer)
    except NotFittedError:
        return clone(transformer).fit_transform(X)
    return transformer.transform(X)


def _transformed_x_axis(transformer, x, xlabel, n_features_in, n_features_out):
    """x values of the transformed spectra: the same wavelengths if possible."""
    if n_features_out == n_features_in:
        return x, xlabel
    try:
        names = _numbers(transformer.get_feature_names_out())
    except (AttributeError, NotFittedError, TypeError, ValueError):
        names = None
    if names is not None and names.shape[0] == n_features_out:
        return names, "Wavelength"
    return np.arange(n_features_out), "Feature index"


def _draw(ax, x, X, xlabel, title):
    alpha = float(np.clip(20.0 / max(X.shape[0], 1), 0.15, 0.9))
    ax.plot(x, X.T, color="C0", linewidth=0.8, alpha=alpha)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Signal" if title == "Spectra" else "Transformed signal")
    ax.set_title(title)


def plot_spectra(X, wavelengths=None, *, transformer=None, ax=None):
    """Plot spectra, one line each, and optionally the same spectra preprocessed.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_wavelengths)
        Spectra, one per row. A DataFrame whose column names are numbers gives
        the wavelengths when ``wavelengths`` is None.

    wavelengths : array-like of shape (n_wavelengths,), default=None
        Wavelength of each column; the column index if None (and ``X`` has no
        numeric column names).

    transformer : transformer or Pipeline of transformers, default=None
        Preprocessing to show, e.g. ``StandardNormalVariate()`` or the
        preprocessing steps of a fitted pipeline (``pipe[:-1]``). A fitted
        transformer is applied with ``transform``; an unfitted one is cloned and
        fitted on ``X``. The transformed spectra are drawn against the same
        wavelengths when the number of columns is kept.

    ax : matplotlib Axes or array-like of two Axes, default=None
        Where to draw: one Axes without ``transformer``, two Axes (raw,
        transformed) with it. None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes, or ndarray of two Axes
        The Axes of the raw spectra; with ``transformer``, an array holding the
        Axes of the raw and of the transformed spectra.

    See Also
    --------
    plot_predictions : Predicted against measured values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.plotting import plot_spectra
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> X, y, wavelengths = make_nirs_regression(n_samples=20, random_state=0)
    >>> ax = plot_spectra(X, wavelengths)
    >>> len(ax.lines), ax.get_xlabel()
    (20, 'Wavelength')
    >>> raw_ax, snv_ax = plot_spectra(
    ...     X, wavelengths, transformer=StandardNormalVariate())
    >>> snv_ax.get_title()
    'After StandardNormalVariate'
    """
    X_array = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")
    x, xlabel = _x_axis(X, wavelengths, X_array.shape[1])
    if transformer is None:
        ax = _get_axes(ax)
        _draw(ax, x, X_array, xlabel, "Spectra")
        return ax

    if ax is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    else:
        axes = np.asarray(ax, dtype=object).ravel()
        if axes.shape[0] != 2:
            raise ValueError(
                "With a transformer, ax must hold two Axes (raw and transformed "
                f"spectra); got {axes.shape[0]}."
            )
    Xt = check_array(
        _transform(transformer, X), dtype=np.float64, ensure_all_finite="allow-nan"
    )
    xt, xt_label = _transformed_x_axis(
        transformer, x, xlabel, X_array.shape[1], Xt.shape[1]
    )
    _draw(axes[0], x, X_array, xlabel, "Spectra")
    _draw(axes[1], xt, Xt, xt_label, f"After {_describe(transformer)}")
    return np.asarray(axes, dtype=object)


def _describe(transformer):
    """A short name of a transformer or a pipeline of transformers."""
    steps = getattr(transformer, "steps", None)
    if steps is None:
        return type(transformer).__name__
    names = [
        type(step).__name__
        for _, step in steps
        if step is not None and not isinstance(step, str)
    ]
    return " + ".join(names) or "passthrough"
