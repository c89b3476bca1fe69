"""Partial least squares for classification: PLS-DA."""

from skl_nirs.cross_decomposition._pls_da import PLSDiscriminantAnalysis

__all__ = ["PLSDiscriminantAnalysis"]
