"""Build many named branches at once."""

import itertools
import re
from collections import Counter

from sklearn.base import clone
from sklearn.pipeline import Pipeline

from skl_nirs.compose._branches import _ROUTER_NAMES, ParallelBranches

# names a branch cannot take: ParallelBranches' parameters, and metadata routing's
_RESERVED = frozenset(ParallelBranches._get_param_names()) | _ROUTER_NAMES


def _label(estimator):
    if isinstance(estimator, str):
        return estimator
    if isinstance(estimator, Pipeline):
        return "_".join(_label(step) for _, step in estimator.steps)
    return type(estimator).__name__.lower()


def _deduplicate(labels, reserved=()):
    """Suffix repeated labels with ``-1``, ``-2``... as ``make_union`` does.

    Labels in ``reserved`` are suffixed even when they occur once; a suffix
    never repeats another label.
    """
    counts = Counter(labels)
    taken = set(labels) | set(reserved)
    unique = []
    for label in labels:
        if counts[label] > 1 or label in reserved:
            suffixed = (f"{label}-{i}" for i in itertools.count(1))
            label = next(name for name in suffixed if name not in taken)
            taken.add(label)
        unique.append(label)
    return unique


def make_branches(*estimators):
    """Name branches automatically, for :class:`ParallelBranches`.

    A branch is named after its class in lower case; a Pipeline after its steps,
    joined by ``_``. Repeated names, and names of parameters of
    :class:`ParallelBranches` (``"passthrough"``), get ``-1``, ``-2``... suffixes.

    Parameters
    ----------
    *estimators : estimators
        Transformers, predictors, Pipelines, ``"drop"`` or ``"passthrough"``.

    Returns
    -------
    branches : list of (str, estimator)
        The ``branches`` argument of :class:`ParallelBranches`.

    See Also
    --------
    make_branch_grid : Branches from the product of step options.

    Examples
    --------
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skl_nirs.compose import make_branches
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> [name for name, _ in make_branches(
    ...     make_pipeline(StandardNormalVariate(), PLSRegression()),
    ...     PLSRegression(), PLSRegression(n_components=5))]
    ['standardnormalvariate_plsregression', 'plsregression-1', 'plsregression-2']
    """
    names = _deduplicate([_label(estimator) for estimator in estimators], _RESERVED)
    return list(zip(names, estimators))


def make_branch_grid(**steps):
    """Branches from the cartesian product of step options, as named Pipelines.

    Each keyword is a pipeline step; its value lists the options for that step,
    either as a list (labelled by class name) or as a dict ``{label: option}``.
    ``"passthrough"`` skips the step. A branch is named by its options' labels
    joined by ``_`` (runs of ``_`` shortened to one, repeated names suffixed
    ``-1``, ``-2``...), and its steps by the keywords, so that its parameters
    are ``<branch>__<step>__<param>``.

    This replaces generator syntaxes such as ``{"_or_": [SNV, MSC, Detrend]}``:
    stack or compare all the branches with :class:`ParallelBranches`, or let a
    search choose one (see the example).

    Parameters
    ----------
    **steps : list or dict of estimators
        Options for each step, in pipeline order.

    Returns
    -------
    branches : list of (str, Pipeline)
        One branch per combination, in product order.

    See Also
    --------
    make_branches : Name a list of branches.

    Examples
    --------
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import Pipeline
    >>> from skl_nirs.compose import make_branch_grid
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.preprocessing import (
    ...     MultiplicativeScatterCorrection, SavitzkyGolay, StandardNormalVariate)
    >>> branches = make_branch_grid(
    ...     scatter={"snv": StandardNormalVariate(),
    ...              "msc": MultiplicativeScatterCorrection()},
    ...     derivative={"raw": "passthrough", "d1": SavitzkyGolay(11, 2, deriv=1)},
    ...     model={"pls": PLSRegression(n_components=8), "ridge": Ridge(1e-3)})
    >>> [name for name, _ in branches][:3]
    ['snv_raw_pls', 'snv_raw_ridge', 'snv_d1_pls']

    A search chooses the best branch when the branch is a searched parameter:

    >>> X, y, _ = make_nirs_regression(n_samples=80, random_state=0)
    >>> search = GridSearchCV(Pipeline([("branch", branches[0][1])]),
    ...                       {"branch": [pipe for _, pipe in branches]}, cv=3)
    >>> best = search.fit(X, y).best_params_["branch"]
    >>> [name for name, pipe in branches if pipe is best]
    ['snv_raw_ridge']
    """
    if not steps:
        raise ValueError("make_branch_grid needs at least one step of options.")
    labelled = []
    for step, options in steps.items():
        if isinstance(options, list | tuple):
            options = dict(zip(_deduplicate([_label(o) for o in options]), options))
        elif not isinstance(options, dict):
            raise TypeError(
                f"Options of step {step!r} must be a list or a dict, got "
                f"{type(options).__name__}."
            )
        if not options:
            raise ValueError(f"Step {step!r} has no options.")
        labelled.append(options.items())
    names, pipelines = [], []
    for combination in itertools.product(*labelled):
        labels, chosen = zip(*combination)
        names.append(re.sub("_{2,}", "_", "_".join(map(str, labels))))
        chosen = [o if isinstance(o, str) else clone(o) for o in chosen]
        pipelines.append(Pipeline(list(zip(steps, chosen))))
    return list(zip(_deduplicate(names, _RESERVED), pipelines))
