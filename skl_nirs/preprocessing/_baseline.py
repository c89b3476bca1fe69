"""Baseline removal: polynomial detrending and asymmetric least squares."""

from numbers import Integral, Real

import numpy as np
from scipy.linalg import solveh_banded

from skl_nirs.preprocessing._base import _SpectraTransformer
from skl_nirs.preprocessing._utils import _legendre_basis, _scale_rows
from skl_nirs.utils._compat import Interval


class Detrend(_SpectraTransformer):
    """Subtract a least-squares polynomial baseline from each spectrum.

    A polynomial of degree ``order`` along the wavelength axis is fitted to
    every spectrum (row of ``X``) by least squares and subtracted from it. The
    transformation is stateless: ``fit`` only records the number of
    wavelengths.

    Parameters
    ----------
    order : int, default=2
        Degree of the polynomial baseline: 0 removes the mean, 1 a straight
        line, 2 (as Barnes et al.) a parabola.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    AsymmetricLeastSquares : Removes a smooth baseline that stays under the
        peaks.
    StandardNormalVariate : Often applied before detrending.

    Notes
    -----
    The wavelengths are taken as equally spaced: the polynomial is a function
    of the column index. All spectra are detrended at once by projecting them
    onto an orthonormal polynomial basis (two matrix products), never a loop
    over spectra. With ``order + 1`` or fewer wavelengths the polynomial goes
    through every point and the output is zero (the basis is then built for
    degree ``n_wavelengths - 1``, so any `order` takes bounded memory).
    Spectra near the largest float, whose polynomial coefficients overflow,
    are detrended after division by a power of two and scaled back.

    float32 input gives float32 output; any other input is converted to
    float64.

    References
    ----------
    .. [1] R. J. Barnes, M. S. Dhanoa and S. J. Lister, "Standard normal
       variate transformation and de-trending of near-infrared diffuse
       reflectance spectra", Applied Spectroscopy 43(5), 772-777, 1989.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import Detrend
    >>> X = np.array([[1.0, 3.0, 3.0, 7.0], [0.0, 1.0, 4.0, 9.0]])
    >>> Detrend(order=1).fit_transform(X)
    array([[ 0.2,  0.4, -1.4,  0.8],
           [ 1. , -1. , -1. ,  1. ]])
    """

    _parameter_constraints: dict = {
        "order": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, order=2):
        self.order = order

    def _transform(self, X):
        """Subtract the least-squares polynomial of each spectrum."""
        basis = _legendre_basis(X.shape[1], self.order, X.dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            coef = X @ basis
            X_new = coef @ basis.T
            np.subtract(X, X_new, out=X_new)
        # Sums that overflowed (values near the largest float): detrend those
        # rows scaled by a power of two to a largest magnitude in [0.5, 1),
        # then scale them back.
        unsafe = ~np.isfinite(coef).all(axis=1)
        if unsafe.any():
            X_unsafe, exponents = _scale_rows(X[unsafe])
            X_unsafe -= (X_unsafe @ basis) @ basis.T
            X_new[unsafe] = np.ldexp(X_unsafe, exponents[:, np.newaxis])
        return X_new


def _second_difference_bands(n_features):
    """Upper bands of ``D.T @ D`` for the second-difference matrix ``D``.

    Returns an array of shape ``(3, n_features)`` in the upper form of
    :func:`scipy.linalg.solveh_banded`: row 2 the diagonal, row 1 the first
    super-diagonal (shifted right by one), row 0 the second (shifted by two).
    """
    bands = np.zeros((3, n_features))
    n_rows = max(n_features - 2, 0)  # rows of D
    # Row k of D is e_k - 2 e_{k+1} + e_{k+2}.
    bands[2, :n_rows] += 1.0
    bands[2, 1 : n_rows + 1] += 4.0
    bands[2, 2:] += 1.0
    bands[1, 1 : n_rows + 1] -= 2.0
    bands[1, 2:] -= 2.0
    bands[0, 2:] = 1.0
    return bands


# Spectra solved together in one banded system (about 2 MB of float64 each
# for the right-hand side).
_ALS_CHUNK_VALUES = 1 << 18


class AsymmetricLeastSquares(_SpectraTransformer):
    """Remove an asymmetric least-squares baseline from each spectrum.

    The baseline ``z`` of a spectrum ``x`` minimises the weighted penalised
    least-squares criterion of Eilers and Boelens,
    ``sum_i w_i (x_i - z_i)**2 + lam * sum_i (z_{i+2} - 2 z_{i+1} + z_i)**2``,
    with weights ``w_i = p`` where the spectrum lies above the baseline and
    ``1 - p`` where it lies below, re-estimated ``n_iter`` times. A small ``p``
    keeps the baseline under the peaks. The output is ``x - z``. The
    transformation is stateless: ``fit`` only records the number of
    wavelengths.

    Parameters
    ----------
    lam : float, default=1e5
        Smoothness penalty ``lam`` (lambda) on the second differences of the
        baseline; typical values range from 1e2 to 1e9.

    p : float, default=0.01
        Asymmetry: weight of the points above the baseline, in (0, 1); typical
        values range from 0.001 to 0.1.

    n_iter : int, default=10
        Maximum number of weighted least-squares fits. A spectrum whose
        weights no longer change is not fitted again, which leaves its result
        unchanged.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    Detrend : Removes a least-squares polynomial baseline.

    Notes
    -----
    Each fit solves the pentadiagonal symmetric positive-definite system
    ``(W + lam * D.T @ D) z = W x`` with a banded Cholesky factorisation
    (:func:`scipy.linalg.solveh_banded`). Because the weights differ between
    spectra the systems differ too, but they do not interact: several
    spectra are stacked into one block-diagonal banded system and solved in a
    single LAPACK call, so there is no Python loop over spectra. ``D.T @ D``
    is computed once per call to :meth:`transform`.

    The computation runs in float64 for any input (the system is too badly
    conditioned for float32); float32 input gives float32 output.

    References
    ----------
    .. [1] P. H. C. Eilers and H. F. M. Boelens, "Baseline correction with
       asymmetric least squares smoothing", Leiden University Medical Centre
       report, 2005.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import AsymmetricLeastSquares
    >>> grid = np.linspace(0.0, 1.0, 200)
    >>> peak = np.exp(-(((grid - 0.5) / 0.02) ** 2))
    >>> X = np.vstack([1.0 + 2.0 * grid + peak])
    >>> X_new = AsymmetricLeastSquares(lam=1e4, p=0.001).fit_transform(X)
    >>> float(np.abs(X_new - peak).max()) < 0.01
    True
    """

    _parameter_constraints: dict = {
        "lam": [Interval(Real, 0, None, closed="neither")],
        "p": [Interval(Real, 0, 1, closed="neither")],
        "n_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, lam=1e5, p=0.01, *, n_iter=10):
        self.lam = lam
        self.p = p
        self.n_iter = n_iter

    def _transform(self, X):
        """Subtract the asymmetric least-squares baseline of each spectrum."""
        n_samples, n_features = X.shape
        penalty = self.lam * _second_difference_bands(n_features)
        chunk = max(1, _ALS_CHUNK_VALUES // n_features)
        X_new = np.empty_like(X)
        for start in range(0, n_samples, chunk):
            X_chunk = X[start : start + chunk].astype(np.float64)
            X_new[start : start + chunk] = X_chunk - self._baseline(X_chunk, penalty)
        return X_new

    def _baseline(self, X, penalty):
        """Baselines of the spectra ``X``, solved as block-diagonal systems."""
        n_features = X.shape[1]
        baseline = np.empty_like(X)
        weights = np.ones_like(X)
        # Spectra whose weights stop changing are final: solving again with
        # the same weights would give the same baseline.
        active = np.arange(X.shape[0])
        for _ in range(self.n_iter):
            X_active, w = X[active], weights[active]
            # The bands of one spectrum start with zeros where consecutive
            # blocks would couple, so tiling them gives the block-diagonal
            # system (Fortran order, as LAPACK wants it).
            system = np.asfortranarray(np.tile(penalty, len(active)))
            system[2] += w.ravel()
            z = solveh_banded(
                system,
                (w * X_active).ravel(),
                overwrite_ab=True,
                overwrite_b=True,
                check_finite=False,
            ).reshape(-1, n_features)
            baseline[active] = z
            weights[active] = np.where(X_active > z, self.p, 1.0 - self.p)
            active = active[np.any(weights[active] != w, axis=1)]
            if active.size == 0:
                break
        return baseline
