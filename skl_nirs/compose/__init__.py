"""Meta-estimators that combine preprocessing and model branches."""

__all__ = []
