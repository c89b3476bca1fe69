"""skl_nirs: near-infrared spectroscopy modelling with plain scikit-learn estimators."""

from skl_nirs.compose import ParallelBranches
from skl_nirs.model_selection import OptunaSearchCV

__version__ = "0.1.0.dev0"

__all__ = ["OptunaSearchCV", "ParallelBranches", "__version__"]
