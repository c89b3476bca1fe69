"""One score per branch, as horizontal bars: a Display."""

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import accuracy_score, check_scoring, r2_score
from sklearn.model_selection import check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import indexable
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_consistent_length

from skl_nirs.model_selection._optuna_search import _fit_and_score_candidate
from skl_nirs.plotting._utils import _describe, _ScoreDisplayMixin
from skl_nirs.utils._compat import BaseSearchCV, _validate_style_kwargs
from skl_nirs.utils._parallel import BudgetedParallel, _nbytes


def _format_value(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return _describe(value) if hasattr(value, "get_params") else str(value)


def _candidate_names(params):
    """A label per candidate of a search: the parameters that vary."""
    keys = list(dict.fromkeys(key for p in params for key in p))
    keys = [k for k in keys if len({repr(p.get(k)) for p in params}) > 1] or keys
    if len(keys) == 1:
        return [_format_value(p.get(keys[0])) for p in params]
    return [
        ", ".join(f"{k}={_format_value(p[k])}" for k in keys if k in p) for p in params
    ]


class BranchComparisonDisplay(_ScoreDisplayMixin):
    """One bar per branch (or candidate): its score, with error bars.

    Build it with :meth:`from_estimator` (cross-validated scores of the branches
    of a :class:`~skl_nirs.compose.ParallelBranches`, or of the candidates of a
    fitted search) or :meth:`from_predictions` (out-of-fold predictions, one
    column per branch). Bars are drawn in the given order, the first at the top;
    both class methods rank them, the best first. All parameters are stored as
    attributes.

    Parameters
    ----------
    names : list of str
        Branch names, one per bar.

    scores : ndarray of shape (n_branches,)
        Score of each branch, e.g. its mean cross-validated score.

    errors : ndarray of shape (n_branches,), default=None
        Half-length of each error bar, e.g. the standard deviation of the score
        over the folds. None draws no error bars.

    score_name : str, default=None
        Label of the score axis; None writes "Score".

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        The bars, first branch first; ``bars_.errorbar`` holds the error bars.

    ax_ : matplotlib Axes
        The Axes drawn on.

    figure_ : matplotlib Figure
        The figure holding ``ax_``.

    See Also
    --------
    skl_nirs.compose.ParallelBranches : Fit many branches at once.
    SearchHistoryDisplay : The score of every trial of a search.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skl_nirs.compose import ParallelBranches
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.plotting import BranchComparisonDisplay
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> X, y, _ = make_nirs_regression(n_samples=60, random_state=0)
    >>> branches = ParallelBranches(
    ...     [("raw_pls", PLSRegression(4)),
    ...      ("snv_pls", make_pipeline(StandardNormalVariate(), PLSRegression(4)))],
    ...     cv=3)
    >>> display = BranchComparisonDisplay.from_estimator(
    ...     branches, X, y, scoring="neg_root_mean_squared_error",
    ...     negate_score=True)
    >>> display.names, display.ax_.get_xlabel()
    (['snv_pls', 'raw_pls'], 'Root mean squared error')
    >>> len(display.bars_)
    2
    """

    def __init__(self, names, scores, *, errors=None, score_name=None):
        self.names = names
        self.scores = scores
        self.errors = errors
        self.score_name = score_name

    def plot(self, ax=None, *, negate_score=False, score_name=None, bar_kwargs=None):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None creates a new figure.

        negate_score : bool, default=False
            Draw minus the scores: errors again, for scores such as
            ``"neg_root_mean_squared_error"``.

        score_name : str, default=None
            Label of the score axis; None uses the ``score_name`` attribute.

        bar_kwargs : dict, default=None
            Keyword arguments of :meth:`matplotlib.axes.Axes.barh`.

        Returns
        -------
        display : BranchComparisonDisplay
            ``self``, with ``bars_``, ``ax_`` and ``figure_``.
        """
        names = [str(name) for name in self.names]
        scores = self._signed_scores(names, "names", negate_score)
        errors = self.errors
        if errors is not None:
            errors = np.asarray(errors, dtype=np.float64).ravel()
            if errors.shape != scores.shape:
                raise ValueError(
                    f"errors has {errors.shape[0]} values for {scores.shape[0]} scores."
                )
        ax = self._set_axes(ax)
        style = {"color": "C0", "alpha": 0.8, "capsize": 0 if errors is None else 3}
        style = _validate_style_kwargs(style, bar_kwargs or {})
        positions = np.arange(len(names))
        self.bars_ = ax.barh(positions, scores, xerr=errors, **style)
        ax.set_yticks(positions, labels=names)
        if not ax.yaxis_inverted():
            ax.invert_yaxis()
        score_name = self.score_name if score_name is None else score_name
        ax.set_xlabel(self._score_name(score_name, None, negate_score))
        return self

    @classmethod
    def _ranked(cls, names, scores, errors, rank, **kwargs):
        order = np.argsort(rank, kind="stable")
        names = [names[i] for i in order]
        errors = None if errors is None else np.asarray(errors)[order]
        return cls(names, np.asarray(scores)[order], errors=errors, **kwargs)

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X=None,
        y=None,
        *,
        scoring=None,
        n_jobs=None,
        negate_score=False,
        score_name=None,
        ax=None,
        bar_kwargs=None,
    ):
        """Plot the cross-validated score of each branch or candidate.

        ``estimator`` is either

        * a :class:`~skl_nirs.compose.ParallelBranches` (fitted or not): each of
          its branches that ends in a predictor is cross-validated on ``X``,
          ``y`` with the estimator's ``cv``, one (branch, fold) fit per task,
          as :func:`~sklearn.model_selection.cross_val_score` would (a branch
          that fails raises its error);
        * a fitted search (``GridSearchCV``, ``OptunaSearchCV``...): one bar per
          row of its ``cv_results_`` (the metric it ranks by), labelled by the
          parameters that vary, e.g. the branch chosen. ``X`` and ``y`` stay
          None.

        Bars are the mean scores over the folds, error bars their standard
        deviation, best first.

        Parameters
        ----------
        estimator : ParallelBranches or fitted search
            What to compare.

        X : array-like of shape (n_samples, n_wavelengths), default=None
            Spectra, for a ParallelBranches.

        y : array-like of shape (n_samples,), default=None
            Target, for a ParallelBranches.

        scoring : str or callable, default=None
            Scorer of the branches of a ParallelBranches, as in
            :func:`~sklearn.model_selection.cross_validate`; None uses each
            branch's ``score``.

        n_jobs : int, default=None
            Parallel (branch, fold) fits of a ParallelBranches, run as
            ParallelBranches runs its own: in worker processes when their
            measured time pays for them (see :ref:`parallelism`).

        negate_score, score_name, ax, bar_kwargs
            As in :meth:`plot`; ``score_name`` None names the ``scoring``.

        Returns
        -------
        display : BranchComparisonDisplay
        """
        if isinstance(estimator, BaseSearchCV):
            if X is not None or y is not None:
                raise ValueError(
                    "X and y are not used with a search: its cv_results_ are plotted."
                )
            key, scoring = cls._search_metric(estimator)
            results = estimator.cv_results_
            names = _candidate_names(results["params"])
            stats = [results[f"{stat}_test_{key}"] for stat in ("mean", "std", "rank")]
        else:
            if X is None or y is None:
                raise ValueError(
                    f"X and y are needed to score the branches of "
                    f"{type(estimator).__name__}."
                )
            branches = [(n, b) for n, b in estimator.branches if hasattr(b, "predict")]
            if not branches:
                raise ValueError(
                    f"{type(estimator).__name__} has no branch ending in a predictor "
                    "to score."
                )
            names = [name for name, _ in branches]
            scores = _cross_validate(branches, X, y, estimator.cv, scoring, n_jobs)
            means = scores.mean(axis=1)
            stats = means, scores.std(axis=1), -means  # (ranked as GridSearchCV)
        score_name = cls._score_name(score_name, scoring, negate_score)
        display = cls._ranked(names, *stats, score_name=score_name)
        return display.plot(ax, negate_score=negate_score, bar_kwargs=bar_kwargs)

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        names=None,
        splits=None,
        score_func=None,
        greater_is_better=True,
        negate_score=False,
        score_name=None,
        ax=None,
        bar_kwargs=None,
    ):
        """Plot the score of each branch from its out-of-fold predictions.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            Measured values or labels.

        y_pred : array-like of shape (n_samples, n_branches)
            Predictions, one column per branch: for instance the out-of-fold
            predictions that ``ParallelBranches(branches, cv=cv).fit_transform``
            returns for predictor branches.

        names : list of str, default=None
            Name of each column; None numbers them.

        splits : iterable of (train, test) arrays, default=None
            The folds, e.g. ``list(cv.split(X, y))``: the score is the mean of
            the scores of the test folds and the error bar their standard
            deviation, as in :func:`~sklearn.model_selection.cross_validate`.
            None scores all the rows at once, without error bars.

        score_func : callable, default=None
            ``score_func(y_true, y_pred)``, e.g.
            :func:`~sklearn.metrics.root_mean_squared_error`; None uses
            :func:`~sklearn.metrics.r2_score` for a numeric target and
            :func:`~sklearn.metrics.accuracy_score` for class labels (what
            ``score`` gives).

        greater_is_better : bool, default=True
            Whether a greater score is better, to rank the branches.

        negate_score, score_name, ax, bar_kwargs
            As in :meth:`plot`; ``score_name`` None names ``score_func``.

        Returns
        -------
        display : BranchComparisonDisplay
        """
        check_consistent_length(y_true, y_pred)
        y_true = np.asarray(y_true)
        y_pred = np.asarray(y_pred).reshape(len(y_true), -1)
        if names is None:
            names = [f"branch{i}" for i in range(y_pred.shape[1])]
        if len(names) != y_pred.shape[1]:
            raise ValueError(
                f"names has {len(names)} values for {y_pred.shape[1]} columns of "
                "y_pred."
            )
        if score_func is None:
            classes = type_of_target(y_true) in ("binary", "multiclass")
            classes = classes and y_true.dtype.kind not in "f"
            score_func = accuracy_score if classes else r2_score
        tests = [np.arange(len(y_true))] if splits is None else [t for _, t in splits]
        fold_scores = np.asarray(
            [[score_func(y_true[t], column[t]) for t in tests] for column in y_pred.T]
        )
        scores = fold_scores.mean(axis=1)
        errors = None if splits is None else fold_scores.std(axis=1)
        rank = -scores if greater_is_better else scores
        score_name = cls._score_name(score_name, score_func, negate_score)
        display = cls._ranked(list(names), scores, errors, rank, score_name=score_name)
        return display.plot(ax, negate_score=negate_score, bar_kwargs=bar_kwargs)


def _cross_validate(branches, X, y, cv, scoring, n_jobs):
    """The test score of each ``(name, branch)`` on each fold of ``cv``, of shape
    (n_branches, n_splits): one (branch, fold) fit per task, run where the work
    pays (:class:`~skl_nirs.utils._parallel.BudgetedParallel`)."""
    X, y = indexable(X, y)
    first = Pipeline([("branch", branches[0][1])])
    splits = list(check_cv(cv, y, classifier=is_classifier(first)).split(X, y))
    if not splits:
        raise ValueError(f"The cv of the ParallelBranches, {cv!r}, gives no split.")
    kwargs = dict(
        scorer=check_scoring(first, scoring),
        verbose=0,
        fit_params=None,
        score_params=None,
        error_score="raise",
    )
    tasks = [
        (Pipeline([("branch", branch)]), X, y, {}, train, test, kwargs)
        for _, branch in branches
        for train, test in splits
    ]
    runner = BudgetedParallel(n_jobs, n_tasks=len(tasks), data_bytes=_nbytes(X))
    results = runner.map(
        _fit_and_score_candidate,
        tasks,
        names=[name for name, _ in branches for _ in splits],  # (a branch's folds)
        sizes=[len(train) for _ in branches for train, _ in splits],
    )
    return np.reshape([r["test_scores"] for r in results], (len(branches), -1))
