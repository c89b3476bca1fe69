"""NIRS preprocessing transformers: scatter correction, derivatives, baselines."""

# RangeCut's former place, not part of the API: kept for code written before it
# moved to skl_nirs.feature_selection.
from skl_nirs.feature_selection import RangeCut as RangeCut
from skl_nirs.preprocessing._baseline import AsymmetricLeastSquares, Detrend
from skl_nirs.preprocessing._conversion import ReflectanceToAbsorbance
from skl_nirs.preprocessing._derivatives import NorrisWilliams, SavitzkyGolay
from skl_nirs.preprocessing._scatter import (
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    RobustNormalVariate,
    StandardNormalVariate,
)
from skl_nirs.preprocessing._smoothing import GaussianFilter

__all__ = [
    "AsymmetricLeastSquares",
    "Detrend",
    "ExtendedMultiplicativeScatterCorrection",
    "GaussianFilter",
    "MultiplicativeScatterCorrection",
    "NorrisWilliams",
    "ReflectanceToAbsorbance",
    "RobustNormalVariate",
    "SavitzkyGolay",
    "StandardNormalVariate",
]
