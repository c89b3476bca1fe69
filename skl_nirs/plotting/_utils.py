"""Helpers shared by the Displays."""


def _get_axes(ax):
    """``(ax, figure)``: ``ax``, or the Axes of a new pyplot figure when None.

    pyplot is imported only then: the command line draws on a plain Figure.
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax, ax.figure


def _score_name(scoring, negate_score):
    """An axis label for the score ``scoring`` names, as scikit-learn writes it.

    ``"neg_root_mean_squared_error"`` gives ``"Root mean squared error"`` when
    negated and ``"Negative root mean squared error"`` otherwise; None gives
    ``"Score"`` (``"Negative score"``).
    """
    name = getattr(scoring, "__name__", scoring)
    if not isinstance(name, str):
        return "Negative score" if negate_score else "Score"
    if name.startswith("neg_"):
        name = name[4:] if negate_score else f"negative {name[4:]}"
    elif negate_score:
        name = f"negative {name}"
    return name.replace("_", " ").capitalize()


def _search_metric(search):
    """``(key, scoring)``: the ``cv_results_`` metric a search ranks, and its name.

    The key is ``"score"`` for one metric, else ``refit`` when it names one, else
    the first metric; ``scoring`` is what the user called it (None if unnamed).
    """
    if not getattr(search, "multimetric_", False):
        scoring = search.scoring if isinstance(search.scoring, str) else None
        return "score", scoring
    key = search.refit if isinstance(search.refit, str) else next(iter(search.scorer_))
    named = search.scoring.get(key) if isinstance(search.scoring, dict) else None
    return key, named if isinstance(named, str) else key


def _describe(estimator):
    """A short name of an estimator, ``"A + B"`` for a pipeline."""
    steps = getattr(estimator, "steps", None)
    if steps is None:
        return type(estimator).__name__
    names = [
        type(step).__name__
        for _, step in steps
        if step is not None and not isinstance(step, str)
    ]
    return " + ".join(names) or "passthrough"
