"""Utilities: estimator discovery and the parallel CPU budget."""

from skl_nirs.utils._versioning import InconsistentVersionWarning
from skl_nirs.utils.discovery import all_estimators

__all__ = ["InconsistentVersionWarning", "all_estimators"]
