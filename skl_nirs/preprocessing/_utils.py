"""Numerical helpers shared by the preprocessing transformers."""

import numpy as np


def _is_zero_scale(scale, centre, n_features):
    """Mask of the scales that are zero up to rounding error.

    A scale (standard deviation, interquartile range, fitted scatter term)
    computed from ``n_features`` values of magnitude ``|centre|`` cannot be told
    from zero below ``n_features * eps * |centre|``, the bound scikit-learn's
    ``StandardScaler`` uses for constant features.
    """
    eps = np.finfo(np.result_type(scale, np.float32)).eps
    return scale <= n_features * eps * np.abs(centre)


def _legendre_basis(n_features, order, dtype):
    """Orthonormal basis of the polynomials of degree <= ``order`` on the grid.

    The column indices are mapped to ``[-1, 1]`` and the Legendre polynomials
    on them orthonormalised (QR): the columns span the same space as
    ``1, i, i**2, ...`` over the indices ``i``, with a far better conditioning.
    The first column is the positive constant ``1 / sqrt(n_features)``. With
    fewer wavelengths than terms, the basis spans all of them.
    """
    grid = np.linspace(-1.0, 1.0, n_features)
    vander = np.polynomial.legendre.legvander(grid, order)
    basis, _ = np.linalg.qr(vander)
    if basis[0, 0] < 0:
        basis = -basis
    return basis.astype(dtype, copy=False)
