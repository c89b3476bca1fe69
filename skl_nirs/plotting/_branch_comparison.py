"""Plot one score per branch as horizontal bars."""

import numpy as np

from skl_nirs.plotting._utils import _get_axes


def plot_leaderboard(names, scores, errors=None, *, ax=None, xlabel="Score"):
    """Plot one horizontal bar per branch (or model), with error bars.

    Bars are drawn in the given order, the first at the top: sort the branches
    first to show a ranking.

    Parameters
    ----------
    names : sequence of str
        Branch names, one per bar.

    scores : array-like of shape (n_branches,)
        Score of each branch, e.g. its cross-validated RMSE.

    errors : array-like of shape (n_branches,), default=None
        Half-length of each error bar, e.g. the standard deviation of the score
        across folds. None draws no error bars.

    ax : matplotlib Axes, default=None
        Where to draw; None creates a new figure.

    xlabel : str, default="Score"
        Label of the score axis.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on.

    See Also
    --------
    skl_nirs.compose.ParallelBranches : Fit many branches at once.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skl_nirs.plotting import plot_leaderboard
    >>> ax = plot_leaderboard(["snv_pls", "msc_pls", "raw_pls"], [0.31, 0.34, 0.52],
    ...                       [0.02, 0.03, 0.05], xlabel="CV RMSE")
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['snv_pls', 'msc_pls', 'raw_pls']
    >>> len(ax.patches)
    3
    """
    names = [str(name) for name in names]
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.shape[0] != len(names):
        raise ValueError(
            f"names and scores have different lengths: {len(names)} and "
            f"{scores.shape[0]}."
        )
    if errors is not None:
        errors = np.asarray(errors, dtype=np.float64).ravel()
        if errors.shape != scores.shape:
            raise ValueError(
                f"errors has {errors.shape[0]} values for {scores.shape[0]} scores."
            )
    ax = _get_axes(ax)
    positions = np.arange(len(names))
    ax.barh(
        positions,
        scores,
        xerr=errors,
        color="C0",
        alpha=0.8,
        capsize=3 if errors is not None else 0,
    )
    ax.set_yticks(positions, labels=names)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    return ax
