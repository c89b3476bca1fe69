"""Discover the public estimators of skl_nirs."""

import inspect
import pkgutil
from importlib import import_module
from operator import itemgetter

from sklearn.base import BaseEstimator

import skl_nirs


def all_estimators():
    """List every public estimator class of skl_nirs.

    Crawls the public (non-underscore) modules of the package, as
    :func:`sklearn.utils.discovery.all_estimators` does for scikit-learn.

    Returns
    -------
    estimators : list of (str, type)
        ``(class name, class)`` pairs, sorted by name.

    Examples
    --------
    >>> from skl_nirs.utils.discovery import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "StandardNormalVariate" in names
    True
    """
    classes = set()
    for _, module_name, _ in pkgutil.walk_packages(skl_nirs.__path__, "skl_nirs."):
        if any(part.startswith("_") for part in module_name.split(".")[1:]):
            continue
        module = import_module(module_name)
        classes.update(
            (name, cls)
            for name, cls in inspect.getmembers(module, inspect.isclass)
            if not name.startswith("_")
            and cls.__module__.startswith("skl_nirs.")
            and issubclass(cls, BaseEstimator)
            and not inspect.isabstract(cls)
        )
    return sorted(classes, key=itemgetter(0))
