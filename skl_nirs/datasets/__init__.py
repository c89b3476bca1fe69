"""Synthetic NIR spectra and a loader for spectra stored as CSV."""

from skl_nirs.datasets._io import load_spectra_csv
from skl_nirs.datasets._synthetic import make_nirs_classification, make_nirs_regression

__all__ = ["load_spectra_csv", "make_nirs_classification", "make_nirs_regression"]
