"""NIRS preprocessing transformers: scatter correction, derivatives, baselines."""

from skl_nirs.preprocessing._baseline import AsymmetricLeastSquares, Detrend
from skl_nirs.preprocessing._conversion import ReflectanceToAbsorbance
from skl_nirs.preprocessing._derivatives import NorrisWilliams, SavitzkyGolay
from skl_nirs.preprocessing._scatter import (
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    RobustNormalVariate,
    StandardNormalVariate,
)
from skl_nirs.preprocessing._selection import RangeCut
from skl_nirs.preprocessing._smoothing import GaussianFilter

__all__ = [
    "AsymmetricLeastSquares",
    "Detrend",
    "ExtendedMultiplicativeScatterCorrection",
    "GaussianFilter",
    "MultiplicativeScatterCorrection",
    "NorrisWilliams",
    "RangeCut",
    "ReflectanceToAbsorbance",
    "RobustNormalVariate",
    "SavitzkyGolay",
    "StandardNormalVariate",
]
