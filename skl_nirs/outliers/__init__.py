"""Spectra outside a calibration's domain."""

from skl_nirs.outliers._applicability_domain import ApplicabilityDomain

__all__ = ["ApplicabilityDomain"]
