"""Plot predicted against measured values."""

import numpy as np
from sklearn.metrics import r2_score, root_mean_squared_error

from skl_nirs.plotting._utils import _get_axes


def plot_predictions(y_true, y_pred, *, ax=None):
    """Plot predicted against measured values, with the identity line.

    The title gives the root mean squared error and the coefficient of
    determination R² of the predictions.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Measured (reference) values.

    y_pred : array-like of shape (n_samples,) or (n_samples, 1)
        Predicted values, for instance out-of-fold predictions from
        :func:`~sklearn.model_selection.cross_val_predict`.

    ax : matplotlib Axes, default=None
        Where to draw; None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on.

    See Also
    --------
    sklearn.metrics.PredictionErrorDisplay : The same plot, and residuals.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skl_nirs.plotting import plot_predictions
    >>> ax = plot_predictions([1.0, 2.0, 3.0, 4.0], [1.1, 1.9, 3.2, 3.8])
    >>> ax.get_title()
    'RMSE = 0.158, R² = 0.980'
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        y_pred = y_pred[:, 0]
    if y_true.ndim != 1 or y_pred.ndim != 1:
        raise ValueError(
            "plot_predictions takes one target: y_true and y_pred must be "
            "one-dimensional."
        )
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different lengths: {y_true.shape[0]} and "
            f"{y_pred.shape[0]}."
        )
    rmse = root_mean_squared_error(y_true, y_pred)
    r2 = r2_score(y_true, y_pred)
    ax = _get_axes(ax)
    ax.scatter(y_true, y_pred, s=16, alpha=0.7, label="Samples")
    low = float(min(y_true.min(), y_pred.min()))
    high = float(max(y_true.max(), y_pred.max()))
    pad = 0.03 * (high - low or 1.0)
    limits = [low - pad, high + pad]
    ax.plot(limits, limits, "k--", linewidth=1, label="Identity")
    ax.set_xlim(limits)
    ax.set_ylim(limits)
    ax.set_xlabel("Measured")
    ax.set_ylabel("Predicted")
    ax.set_title(f"RMSE = {rmse:.3g}, R² = {r2:.3f}")
    ax.legend(loc="upper left")
    return ax
