"""Helpers shared by the Displays."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skl_nirs.utils._compat import _validate_score_name, check_matplotlib_support


def _describe(estimator):
    """A short name of an estimator, ``"A + B"`` for a pipeline."""
    if not hasattr(estimator, "steps"):
        return type(estimator).__name__
    names = [type(step).__name__ for _, step in estimator.steps if hasattr(step, "fit")]
    return " + ".join(names) or "passthrough"


class _DisplayMixin:
    """What the Displays share: the Axes they draw on."""

    def _set_axes(self, ax):
        """``ax``, or the Axes of a new pyplot figure when None, kept as ``ax_``.

        Its figure is kept as ``figure_``. pyplot is imported only to make a
        figure: the command line draws on a plain Figure.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots()
        self.ax_, self.figure_ = ax, ax.figure
        return ax


class _ScoreDisplayMixin(_DisplayMixin):
    """What the Displays of scores share: scores, their label, searches."""

    def _signed_scores(self, labels, labels_name, negate_score):
        """The ``scores`` attribute as floats, negated if asked, one per label."""
        scores = np.asarray(self.scores, dtype=np.float64).ravel()
        if scores.shape[0] != len(labels):
            raise ValueError(
                f"{labels_name} and scores have different lengths: {len(labels)} "
                f"and {scores.shape[0]}."
            )
        return -scores if negate_score else scores

    @staticmethod
    def _score_name(score_name, scoring, negate_score):
        """An axis label for the score ``scoring`` names, as scikit-learn writes it.

        ``score_name`` when given. Else ``"neg_root_mean_squared_error"`` gives
        ``"Root mean squared error"`` when negated and ``"Negative root mean
        squared error"`` otherwise; a function gives its name; None, or a scorer
        without a name, gives ``"Score"`` (``"Negative score"``).
        """
        if not isinstance(scoring, str):
            scoring = getattr(scoring, "__name__", None)
        return _validate_score_name(score_name, scoring, negate_score)

    @staticmethod
    def _search_metric(search):
        """``(key, scoring)``: the metric a fitted search ranks by, and its name.

        The ``cv_results_`` key is ``"score"`` for one metric, else ``refit`` when
        it names one, else the first metric; ``scoring`` is what the user called
        it (None if unnamed).
        """
        check_is_fitted(search, "cv_results_")
        if not getattr(search, "multimetric_", False):
            return "score", search.scoring if isinstance(search.scoring, str) else None
        refit, scoring = search.refit, search.scoring
        key = refit if isinstance(refit, str) else next(iter(search.scorer_))
        named = scoring.get(key) if isinstance(scoring, dict) else None
        return key, named if isinstance(named, str) else key
