"""Meta-estimators that combine preprocessing and model branches."""

from skl_nirs.compose._branches import ParallelBranches
from skl_nirs.compose._make_branches import make_branch_grid, make_branches

__all__ = ["ParallelBranches", "make_branch_grid", "make_branches"]
