"""Numerical helpers shared by the preprocessing transformers."""

import os
import sys
import warnings
from numbers import Integral

import numpy as np
import sklearn

from skl_nirs.exceptions import FlatSpectrumWarning

# Warnings are attributed to the first caller outside these packages.
_INTERNAL_DIRS = tuple(
    os.path.dirname(module.__file__) + os.sep
    for module in (sys.modules[__name__.split(".")[0]], sklearn)
)


def _external_stacklevel():
    """``stacklevel`` naming the first caller outside skl_nirs and sklearn.

    A fixed ``stacklevel`` would name one of our own lines: the depth of
    ``transform`` below the user's call depends on whether it comes through
    ``fit_transform``, ``set_output`` or a ``Pipeline`` (pandas'
    ``find_stack_level`` idiom; Python 3.12 has ``skip_file_prefixes``).
    """
    frame, level = sys._getframe(2), 2  # the caller of warnings.warn's caller
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def _warn_flat_rows(flat, estimator, spread, outcome):
    """Warn once about the rows of ``flat`` (boolean mask), if any.

    The message names the estimator, how many rows have no ``spread`` and
    the first five of their indices, and says what ``outcome`` they get.
    """
    rows = np.flatnonzero(flat)
    if rows.size == 0:
        return
    shown = ", ".join(str(row) for row in rows[:5]) + (", ..." if rows.size > 5 else "")
    warnings.warn(
        f"{rows.size} of the {flat.size} spectra passed to "
        f"{type(estimator).__name__} have no spread ({spread}), at rows "
        f"[{shown}]: {outcome}. A constant spectrum is often a detector "
        "dropout: check these rows before trusting their predictions.",
        FlatSpectrumWarning,
        stacklevel=_external_stacklevel(),
    )


def _row_exponents(X):
    """Per row, the power of two ``e`` with ``max |x| / 2**e`` in ``[0.5, 1)``.

    Zero for a row of zeros. Two reductions, no copy of ``X``.
    """
    return np.frexp(np.maximum(X.max(axis=1), -X.min(axis=1)))[1]


def _scale_rows(X):
    """``X`` with each row divided by ``2**e``, and the exponents ``e``.

    ``e`` is the power of two of :func:`_row_exponents`: the largest magnitude
    of every non-zero row lands in ``[0.5, 1)``, so the arithmetic of a
    row-wise, scale-invariant transform on it can neither overflow nor
    underflow; dividing by a power of two is exact (values pushed below the
    normal range excepted, which are negligible next to the largest one).
    """
    exponents = _row_exponents(X)
    return np.ldexp(X, -exponents[:, np.newaxis]), exponents


def _redo_unsafe_rows(compute, X):
    """``compute(X, 0)``, its rows whose sums left the normal range redone.

    ``compute(X, exponents)`` returns the transformed rows of ``X``, the mask
    of the flat ones and, per row, the magnitude of the sums it formed. The
    rows where that magnitude overflowed, or fell below ``n_features * tiny``
    (where rounding below the normal range is no longer negligible next to
    it), are computed again on :func:`_scale_rows`, whose exponents
    ``compute`` gets so that it can undo the scaling where it must.

    Returns the transformed rows and the mask of the flat ones.
    """
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        X_new, flat, sizes = compute(X, 0)
    unsafe = ~(np.isfinite(sizes) & (sizes >= X.shape[1] * np.finfo(X.dtype).tiny))
    if unsafe.any():
        X_new[unsafe], flat[unsafe], _ = compute(*_scale_rows(X[unsafe]))
    return X_new, flat


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
    The first column is the constant ``+-1 / sqrt(n_features)`` (the signs of
    the columns, which QR leaves free, change no projection on them). With
    fewer wavelengths than terms, the basis spans all of them: the degree is
    capped at ``n_features - 1``, which spans the same space and keeps the
    basis within ``n_features`` columns whatever ``order``.
    """
    grid = np.linspace(-1.0, 1.0, n_features)
    vander = np.polynomial.legendre.legvander(grid, min(order, n_features - 1))
    basis, _ = np.linalg.qr(vander)
    return basis.astype(dtype, copy=False)


# How far a filter may reach on each side of a point, in spectrum lengths.
# Beyond the spectrum it only sees its extension (see `mode`), but the
# defaults must still run on the 2-wavelength spectra of scikit-learn's
# checks; what matters is that kernels stay proportional to the data.
_MAX_REACH_IN_SPECTRA = 4


def _check_reach(reach, n_features, description, advice):
    """Raise a ValueError if a filter reaches too far for the spectra.

    ``reach`` is the number of wavelengths the filter spans on each side of
    a point, ``description`` how it follows from the parameters.
    """
    limit = _MAX_REACH_IN_SPECTRA * n_features
    if not reach <= limit:
        shown = reach if isinstance(reach, Integral) else f"{reach:.6g}"
        raise ValueError(
            f"{description} = {shown}: the filter reaches that many "
            "wavelengths on each side of a point, more than "
            f"{_MAX_REACH_IN_SPECTRA} times the number of wavelengths, "
            f"n_features={n_features} (at most {limit}). {advice}"
        )
