"""Feature selection: keep the wavelengths of a window of the spectra."""

from skl_nirs.feature_selection._range_cut import RangeCut

__all__ = ["RangeCut"]
