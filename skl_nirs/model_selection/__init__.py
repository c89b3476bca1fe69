"""Hyper-parameter search with Optuna."""

from skl_nirs.model_selection._optuna_search import OptunaSearchCV

__all__ = ["OptunaSearchCV"]
