"""Hyper-parameter search with Optuna."""

__all__ = []
