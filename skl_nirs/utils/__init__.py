"""Utilities: the discovery of the public skl_nirs estimators."""

# InconsistentVersionWarning: its former place, not part of the API, kept until
# doc/user_guide/persistence.rst imports it from skl_nirs.exceptions.
from skl_nirs.exceptions import InconsistentVersionWarning as InconsistentVersionWarning
from skl_nirs.utils.discovery import all_estimators

__all__ = ["all_estimators"]
