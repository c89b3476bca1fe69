"""The score of each trial of a search, and the best so far: a Display."""

import numpy as np

from skl_nirs.plotting._utils import _ScoreDisplayMixin
from skl_nirs.utils._compat import _validate_style_kwargs


class SearchHistoryDisplay(_ScoreDisplayMixin):
    """The score of every trial of a search and the best score so far.

    Build it with :meth:`from_estimator` from a fitted
    :class:`~skl_nirs.model_selection.OptunaSearchCV` (or any scikit-learn
    search: its candidates are its trials). All parameters are stored as
    attributes.

    Parameters
    ----------
    trial_numbers : ndarray of shape (n_trials,)
        Number of each trial, in the order they were run.

    scores : ndarray of shape (n_trials,)
        Mean cross-validated score of each trial; greater is better, as for
        every scikit-learn score. NaN for a failed trial (not drawn).

    score_name : str, default=None
        Label of the score axis; None writes "Score".

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
        One point per trial.

    line_ : matplotlib Line2D
        The best score so far, as steps.

    ax_ : matplotlib Axes
        The Axes drawn on.

    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    See Also
    --------
    BranchComparisonDisplay : One bar per branch or candidate.
    optuna.visualization.matplotlib.plot_optimization_history : Optuna's own.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.linear_model import Ridge
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.model_selection import OptunaSearchCV
    >>> from skl_nirs.plotting import SearchHistoryDisplay
    >>> X, y, _ = make_nirs_regression(n_samples=60, random_state=0)
    >>> search = OptunaSearchCV(
    ...     Ridge(), {"alpha": ("float_log", 1e-6, 1.0)}, n_trials=6, cv=3,
    ...     scoring="neg_root_mean_squared_error", random_state=0).fit(X, y)
    >>> display = SearchHistoryDisplay.from_estimator(search, negate_score=True)
    >>> len(display.scatter_.get_offsets()), display.ax_.get_ylabel()
    (6, 'Root mean squared error')
    """

    def __init__(self, trial_numbers, scores, *, score_name=None):
        self.trial_numbers = trial_numbers
        self.scores = scores
        self.score_name = score_name

    def plot(
        self,
        ax=None,
        *,
        negate_score=False,
        score_name=None,
        scatter_kwargs=None,
        line_kwargs=None,
    ):
        """Draw the trials and the best score so far.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a new figure.

        negate_score : bool, default=False
            Draw minus the scores: errors again, for scores such as
            ``"neg_root_mean_squared_error"``.

        score_name : str, default=None
            Label of the score axis; None uses the ``score_name`` attribute.

        scatter_kwargs : dict, default=None
            Keyword arguments of :meth:`matplotlib.axes.Axes.scatter`.

        line_kwargs : dict, default=None
            Keyword arguments of :meth:`matplotlib.axes.Axes.step`.

        Returns
        -------
        display : SearchHistoryDisplay
            ``self``, with ``scatter_``, ``line_``, ``ax_`` and ``figure_``.
        """
        numbers = self.trial_numbers
        scores = self._signed_scores(numbers, "trial_numbers", negate_score)
        best = (np.fmin if negate_score else np.fmax).accumulate(scores)  # skips NaN
        ax = self._set_axes(ax)
        scatter = {"s": 18, "alpha": 0.7, "label": "Trial", "zorder": 3}
        scatter = _validate_style_kwargs(scatter, scatter_kwargs or {})
        line = {"where": "post", "color": "C1", "label": "Best so far"}
        line = _validate_style_kwargs(line, line_kwargs or {})
        self.scatter_ = ax.scatter(numbers, scores, **scatter)
        (self.line_,) = ax.step(numbers, best, **line)
        score_name = self.score_name if score_name is None else score_name
        ax.set_xlabel("Trial")
        ax.set_ylabel(self._score_name(score_name, None, negate_score))
        ax.legend(loc="best")
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        negate_score=False,
        score_name=None,
        ax=None,
        scatter_kwargs=None,
        line_kwargs=None,
    ):
        """Plot the history of a fitted search.

        The trials are the rows of ``cv_results_`` (the metric the search
        ranks by), numbered by ``trials_`` for an ``OptunaSearchCV``: pruned
        trials, and candidates the sampler proposed again, are left out, as in
        ``cv_results_``.

        Parameters
        ----------
        estimator : fitted OptunaSearchCV or other scikit-learn search
            The search.

        negate_score, score_name, ax, scatter_kwargs, line_kwargs
            As in :meth:`plot`; ``score_name`` None names the search's
            ``scoring``.

        Returns
        -------
        display : SearchHistoryDisplay
        """
        key, scoring = cls._search_metric(estimator)
        scores = np.asarray(estimator.cv_results_[f"mean_test_{key}"], dtype=float)
        trials = getattr(estimator, "trials_", None)
        numbers = range(len(scores)) if trials is None else [t.number for t in trials]
        order = np.argsort(numbers, kind="stable")  # batches may end unordered
        score_name = cls._score_name(score_name, scoring, negate_score)
        display = cls(np.asarray(numbers)[order], scores[order], score_name=score_name)
        return display.plot(
            ax,
            negate_score=negate_score,
            scatter_kwargs=scatter_kwargs,
            line_kwargs=line_kwargs,
        )
