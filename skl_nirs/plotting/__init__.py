"""Plots of spectra, predictions, branch leaderboards and search histories."""

from skl_nirs.plotting._leaderboard import plot_leaderboard
from skl_nirs.plotting._predictions import plot_predictions
from skl_nirs.plotting._search_history import plot_search_history
from skl_nirs.plotting._spectra import plot_spectra

__all__ = [
    "plot_leaderboard",
    "plot_predictions",
    "plot_search_history",
    "plot_spectra",
]
