"""Plot the score of each trial of a search."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skl_nirs.model_selection._optuna_search import _OBJECTIVE
from skl_nirs.plotting._utils import _get_axes


def _study(search_or_study):
    if hasattr(search_or_study, "get_trials"):
        return search_or_study
    check_is_fitted(search_or_study, "study_")
    return search_or_study.study_


def plot_search_history(search_or_study, *, negate=False, ylabel=None, ax=None):
    """Plot the score of every completed trial and the best score so far.

    Parameters
    ----------
    search_or_study : OptunaSearchCV or optuna.Study
        A fitted :class:`~skl_nirs.model_selection.OptunaSearchCV` (its
        ``study_`` is plotted) or a single-objective Optuna study.

    negate : bool, default=False
        Plot minus the score: an error again, for a score such as
        ``"neg_root_mean_squared_error"``.

    ylabel : str, default=None
        Label of the score axis; None names the metric the search optimised.

    ax : matplotlib Axes, default=None
        Where to draw; None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on: one point per completed trial (``ax.collections[0]``)
        and a step line of the best score so far (``ax.lines[0]``).

    See Also
    --------
    optuna.visualization.matplotlib.plot_optimization_history : Optuna's own.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.linear_model import Ridge
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.model_selection import OptunaSearchCV
    >>> from skl_nirs.plotting import plot_search_history
    >>> X, y, _ = make_nirs_regression(n_samples=60, random_state=0)
    >>> search = OptunaSearchCV(
    ...     Ridge(), {"alpha": ("float_log", 1e-6, 1.0)}, n_trials=6, cv=3,
    ...     scoring="neg_root_mean_squared_error", random_state=0).fit(X, y)
    >>> ax = plot_search_history(search, negate=True, ylabel="CV RMSE")
    >>> len(ax.collections[0].get_offsets()), ax.get_xlabel()
    (6, 'Trial')
    """
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    study = _study(search_or_study)
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if not trials:
        raise ValueError("The study has no completed trial to plot.")
    numbers = np.asarray([trial.number for trial in trials])
    values = np.asarray([trial.value for trial in trials], dtype=np.float64)
    if study.direction == StudyDirection.MINIMIZE:
        best = np.minimum.accumulate(values)
    else:
        best = np.maximum.accumulate(values)
    sign = -1.0 if negate else 1.0
    if ylabel is None:
        metric = study.user_attrs.get(_OBJECTIVE, "score")
        ylabel = f"-{metric}" if negate else metric
    ax = _get_axes(ax)
    ax.scatter(numbers, sign * values, s=18, alpha=0.7, label="Trial", zorder=3)
    ax.step(numbers, sign * best, where="post", color="C1", label="Best so far")
    ax.set_xlabel("Trial")
    ax.set_ylabel(ylabel)
    ax.legend(loc="best")
    return ax
