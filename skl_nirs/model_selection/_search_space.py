"""Search spaces of OptunaSearchCV: checking them and sampling candidates.

A space is a dict ``{parameter: spec}`` or a list of such dicts (a sub-space is
chosen first, as in GridSearchCV's list of grids). A spec is an Optuna
distribution, a frozen scipy.stats distribution, a compact tuple or a list of
choices.
"""

import json
import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy import stats

from skl_nirs.model_selection._study import _PRIMITIVES, label

_COMPACT = ("int", "int_log", "float", "float_log")
_SUBSPACE = "subspace"
# The quantiles Optuna samples for a scipy.stats distribution it has no exact
# equivalent of: the open interval (0, 1), so that an unbounded distribution
# (a normal, say) never gives an infinite value.
_QUANTILES = (1e-12, 1 - 1e-12)


def _distribution(key, spec):
    """An Optuna distribution for ``key``'s spec, and what maps its values (or None)."""
    from optuna.distributions import (
        BaseDistribution,
        FloatDistribution,
        IntDistribution,
    )

    where = f"param_distributions[{key!r}]"
    if isinstance(spec, np.ndarray):
        spec = spec.tolist()
    if isinstance(spec, list):
        return _categorical(where, spec)
    if hasattr(spec, "rvs"):
        return _scipy_distribution(where, spec)
    if isinstance(spec, tuple) and spec and spec[0] in _COMPACT:
        return _compact(where, spec), None
    if not isinstance(spec, BaseDistribution):
        raise ValueError(
            f"{where} must be an Optuna distribution, a frozen scipy.stats "
            "distribution, a list (or array) of choices or a tuple "
            f"('int' | 'int_log' | 'float' | 'float_log', low, high[, step]); "
            f"got {spec!r}."
        )
    if isinstance(spec, IntDistribution | FloatDistribution):
        _check_bounds(where, spec.low, spec.high, spec.step)
    return spec, None


def _compact(where, spec):
    """The Optuna distribution of a tuple such as ``("float_log", 1e-3, 1e2)``."""
    from optuna.distributions import FloatDistribution, IntDistribution

    kind, *bounds = spec
    number = Integral if kind.startswith("int") else Real
    log = kind.endswith("_log")
    if len(bounds) not in (2, 3) or (log and len(bounds) == 3):
        takes = "(low, high)" if log else "(low, high) or (low, high, step)"
        raise ValueError(f"{where}: {kind!r} takes {takes}; got {spec!r}.")
    if not all(isinstance(b, number) and not isinstance(b, bool) for b in bounds):
        raise TypeError(f"{where}: the bounds of {kind!r} must be {number.__name__}s.")
    _check_bounds(where, *bounds)
    low, high, *step = bounds
    distribution = IntDistribution if number is Integral else FloatDistribution
    try:
        return distribution(low, high, log=log, **({"step": step[0]} if step else {}))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


class _InverseCDF(NamedTuple):
    """A scipy.stats distribution sampled through a quantile Optuna chooses.

    Indexed like the labels of a categorical: ``self[u]`` is the parameter value
    for Optuna's value ``u``, the distribution's ``ppf(u)``.
    """

    frozen: object

    def __getitem__(self, quantile):
        value = self.frozen.ppf(quantile)
        return int(value) if _is_discrete(self.frozen) else float(value)

    def describe(self):
        """Its name and parameters by name: the same everywhere, however given."""
        inner = ", ".join(f"{k}={v!r}" for k, v in _parameters(self.frozen).items())
        return f"scipy.stats.{self.frozen.dist.name}({inner}), by its inverse CDF"


def _is_discrete(frozen):
    return isinstance(frozen.dist, stats.rv_discrete)


def _parameters(frozen):
    """The parameters of a frozen distribution by name, ``loc`` and ``scale`` too.

    As floats, so that ``norm(1, 2)`` is ``norm(1.0, 2.0)``.
    """
    names = frozen.dist.shapes.split(", ") if frozen.dist.shapes else []
    names += ["loc"] if _is_discrete(frozen) else ["loc", "scale"]
    values = {"loc": 0, "scale": 1} | dict(zip(names, frozen.args)) | frozen.kwds
    return {name: float(values[name]) for name in names}


def _scipy_distribution(where, frozen):
    """An Optuna distribution for a frozen scipy.stats distribution.

    The exact equivalent for ``uniform``, ``loguniform`` (``reciprocal``) and
    ``randint``; for any other, a quantile in (0, 1) that ``_InverseCDF`` maps
    to a value.
    """
    from optuna.distributions import FloatDistribution, IntDistribution

    if isinstance(frozen, stats.rv_continuous | stats.rv_discrete):
        raise TypeError(
            f"{where} is scipy.stats.{frozen.name} without its parameters; "
            f"freeze it, e.g. scipy.stats.{frozen.name}(...)."
        )
    dist = getattr(frozen, "dist", None)
    if not isinstance(dist, stats.rv_continuous | stats.rv_discrete):
        raise TypeError(
            f"{where} has an rvs method but is not a frozen scipy.stats "
            "distribution (univariate, such as scipy.stats.loguniform(1e-3, 1e2)); "
            f"got {frozen!r}."
        )
    low, high = map(float, frozen.support())
    if math.isnan(low) or math.isnan(high):
        raise ValueError(
            f"{where}: scipy.stats.{dist.name} has invalid parameters "
            f"(args={frozen.args}, kwds={frozen.kwds})."
        )
    if type(dist) is type(stats.uniform):
        return FloatDistribution(low, high), None
    if type(dist) is type(stats.randint):
        return IntDistribution(int(low), int(high)), None
    if type(dist) is type(stats.loguniform) and _parameters(frozen)["loc"] == 0:
        return FloatDistribution(low, high, log=True), None
    return FloatDistribution(*_QUANTILES), _InverseCDF(frozen)


def _check_bounds(where, low, high, step=None):
    """Refuse bounds Optuna would only trip over at the first trial."""
    for name, bound in {"low": low, "high": high, "step": step}.items():
        if bound is not None and not math.isfinite(bound):
            raise ValueError(f"{where}: {name}={bound!r} is not a finite number.")
    if low > high:
        raise ValueError(f"{where}: low={low!r} is greater than high={high!r}.")


def _categorical(where, choices):
    """A categorical distribution, and the choices by their Optuna name.

    Optuna stores a choice by its value in the storage: numbers, strings,
    ``None`` and booleans that are told apart by ``==`` are given to it as they
    are. Other choices (estimators, or 1, 1.0 and True, which are equal) are
    given to it as labels that describe them (see ``_study.label``), so that a
    study shared by several processes, or resumed, never finds a choice by its
    position in a list.
    """
    from optuna.distributions import CategoricalDistribution

    if not choices:
        raise ValueError(f"{where} is an empty list of choices.")
    primitive = all(isinstance(choice, _PRIMITIVES) for choice in choices)
    if primitive and len(set(choices)) == len(choices):
        return CategoricalDistribution(choices), None
    labelled = {}
    for choice in choices:
        name = label(choice)
        if name in labelled:
            raise ValueError(f"{where} holds the same choice twice: {name}.")
        labelled[name] = choice
    return CategoricalDistribution(list(labelled)), labelled


def _suggest(trial, name, distribution):
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    integer = isinstance(distribution, IntDistribution)
    suggest = trial.suggest_int if integer else trial.suggest_float
    low, high = distribution.low, distribution.high
    return suggest(name, low, high, step=distribution.step, log=distribution.log)


class SearchSpace:
    """A checked search space: samples candidates on Optuna trials.

    Parameters
    ----------
    param_distributions : dict or list of dict
        The ``param_distributions`` of :class:`OptunaSearchCV`.
    """

    def __init__(self, param_distributions):
        spaces = param_distributions
        if isinstance(spaces, dict):
            spaces = [spaces]
        if not isinstance(spaces, list) or not spaces:
            raise TypeError(
                "param_distributions must be a dict or a non-empty list of dicts, "
                f"got {param_distributions!r}."
            )
        for space in spaces:
            if not isinstance(space, dict) or not space:
                raise TypeError(
                    "param_distributions must be a dict or a list of non-empty "
                    f"dicts; got {space!r} in the list."
                )
            keys = [key for key in space if not isinstance(key, str)]
            if keys:
                raise TypeError(
                    f"param_distributions keys must be parameter names, got "
                    f"{keys[0]!r}."
                )
        self.subspaces = [
            {key: _distribution(key, spec) for key, spec in space.items()}
            for space in spaces
        ]

    def describe(self):
        """The space as recorded on a study: JSON, one object per sub-space.

        Each parameter is recorded as its Optuna distribution's JSON, or, for a
        scipy.stats distribution sampled by its inverse CDF, as the name and
        parameters of that distribution.
        """
        from optuna.distributions import distribution_to_json

        def recorded(distribution, decode):
            if isinstance(decode, _InverseCDF):
                return decode.describe()
            return distribution_to_json(distribution)

        spaces = [
            {key: recorded(*parameter) for key, parameter in space.items()}
            for space in self.subspaces
        ]
        return json.dumps(spaces, sort_keys=True)

    def _optuna_name(self, index, key):
        return key if len(self.subspaces) == 1 else f"{index}:{key}"

    def suggest(self, trial):
        """Sample a candidate on an Optuna trial; return the estimator parameters."""
        indices = list(range(len(self.subspaces)))
        index = trial.suggest_categorical(_SUBSPACE, indices) if len(indices) > 1 else 0
        for key, (distribution, _) in self.subspaces[index].items():
            _suggest(trial, self._optuna_name(index, key), distribution)
        return self.candidate(trial.params)

    def candidate(self, optuna_params):
        """Estimator parameters of a trial, from its Optuna parameters."""
        index = optuna_params.get(_SUBSPACE, 0)
        params = {}
        for key, (_, choices) in self.subspaces[index].items():
            value = optuna_params[self._optuna_name(index, key)]
            params[key] = value if choices is None else choices[value]
        return params
