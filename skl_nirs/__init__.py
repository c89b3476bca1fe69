"""skl_nirs: near-infrared spectroscopy modelling with plain scikit-learn estimators."""

from skl_nirs.compose import ParallelBranches

__version__ = "0.1.0.dev0"

__all__ = ["ParallelBranches", "__version__"]
