"""Displays of spectra, branch comparisons and search histories."""

from skl_nirs.plotting._branch_comparison import BranchComparisonDisplay
from skl_nirs.plotting._search_history import SearchHistoryDisplay
from skl_nirs.plotting._spectra import SpectraDisplay

__all__ = ["BranchComparisonDisplay", "SearchHistoryDisplay", "SpectraDisplay"]
