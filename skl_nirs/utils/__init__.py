"""Utilities: estimator discovery and the parallel CPU budget."""

from skl_nirs.utils.discovery import all_estimators

__all__ = ["all_estimators"]
