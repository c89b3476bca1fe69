"""Scatter correction: SNV, robust SNV, MSC and EMSC."""

from functools import partial
from numbers import Integral

import numpy as np

from skl_nirs.preprocessing._base import _SpectraTransformer
from skl_nirs.preprocessing._utils import (
    _is_zero_scale,
    _legendre_basis,
    _redo_unsafe_rows,
    _row_exponents,
    _scale_rows,
    _warn_flat_rows,
)
from skl_nirs.utils._compat import Interval, StrOptions
from skl_nirs.utils._wavelengths import check_per_wavelength


class StandardNormalVariate(_SpectraTransformer):
    """Standard normal variate: centre and scale each spectrum on its own.

    Every spectrum (row of ``X``) is centred by its mean and divided by its
    standard deviation across wavelengths, which removes the additive and
    multiplicative effects of light scatter. The transformation is stateless:
    ``fit`` only records the number of wavelengths.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    RobustNormalVariate : The same correction with the median and the
        interquartile range.
    MultiplicativeScatterCorrection : Scatter correction against a reference
        spectrum.

    Notes
    -----
    The standard deviation is the population one (divided by the number of
    wavelengths ``p``); Barnes et al. divide by ``p - 1``, which only scales
    every corrected spectrum by the same constant ``sqrt(p / (p - 1))``.

    A flat spectrum (a standard deviation within rounding error of zero, that
    is at most ``p * eps * |mean|``; a detector dropout) has no shape to
    normalise: it becomes zeros instead of NaN or infinity, and
    :meth:`transform` emits one ``FlatSpectrumWarning`` per call naming how
    many such rows there are and the first of them.

    The result does not depend on the magnitude of the spectra over the whole
    finite range of the dtype: rows whose sums of squares overflow or leave
    the normal range are computed again after division by a power of two
    that brings their largest magnitude into ``[0.5, 1)``.

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
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> X = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1e200, 2e200, 3e200]])
    >>> StandardNormalVariate().fit_transform(X)
    array([[-1.2247...,  0.        ,  1.2247...],
           [-1.2247...,  0.        ,  1.2247...],
           [-1.2247...,  0.        ,  1.2247...]])
    """

    def _transform(self, X):
        """Centre and scale each spectrum."""
        # Rows whose squares overflowed or fell below the normal range are
        # redone scaled to a largest magnitude in [0.5, 1), where they cannot.
        X_new, flat = _redo_unsafe_rows(_standard_normal_variate, X)
        _warn_flat_rows(
            flat,
            self,
            "standard deviation zero up to rounding",
            "they are set to zeros",
        )
        return X_new


def _standard_normal_variate(X, exponents):
    """SNV of the rows of ``X``, the mask of flat rows and the sums of squares.

    The result does not depend on the scale of the rows: ``exponents`` (see
    :func:`_redo_unsafe_rows`) is unused.
    """
    n_features = X.shape[1]
    mean = X.mean(axis=1)
    X_new = X - mean[:, np.newaxis]
    sum_squares = np.einsum("ij,ij->i", X_new, X_new)
    std = np.sqrt(sum_squares / n_features)
    flat = _is_zero_scale(std, mean, n_features)
    std[flat] = 1.0
    X_new /= std[:, np.newaxis]
    X_new[flat] = 0.0
    return X_new, flat, sum_squares


class RobustNormalVariate(_SpectraTransformer):
    """Robust normal variate: centre each spectrum by its median, scale by its IQR.

    Every spectrum (row of ``X``) is centred by its median and divided by its
    interquartile range across wavelengths: a standard normal variate that
    strong absorption bands and spikes do not pull around. The transformation
    is stateless: ``fit`` only records the number of wavelengths.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    StandardNormalVariate : The same correction with the mean and the standard
        deviation.

    Notes
    -----
    The interquartile range is ``Q3 - Q1``, the 75th minus the 25th percentile
    of the spectrum, both computed as :func:`numpy.percentile` does by default
    (linear interpolation between order statistics, Hyndman and Fan type 7).
    The median is the 50th percentile of the same definition.

    A spectrum whose interquartile range is zero up to rounding (a flat
    spectrum, or one in which more than half of the values are equal) is
    only centred (divided by 1), so the output never holds NaN or infinity;
    :meth:`transform` emits one ``FlatSpectrumWarning`` per call naming how
    many such rows there are and the first of them.

    The result does not depend on the magnitude of the spectra over the whole
    finite range of the dtype: rows holding values beyond a quarter of the
    largest float, whose differences could overflow, are first divided by a
    power of two that brings their largest magnitude into ``[0.5, 1)``.

    float32 input gives float32 output; any other input is converted to
    float64.

    References
    ----------
    .. [1] Q. Guo, W. Wu and D. L. Massart, "The robust normal variate
       transform for pattern recognition with near-infrared data", Analytica
       Chimica Acta 382(1-2), 87-103, 1999.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import RobustNormalVariate
    >>> X = np.array([[1.0, 2.0, 3.0, 4.0, 100.0], [3.0, 1.0, 5.0, 7.0, 3.0]])
    >>> RobustNormalVariate().fit_transform(X)
    array([[-1. , -0.5,  0. ,  0.5, 48.5],
           [ 0. , -1. ,  1. ,  2. ,  0. ]])
    """

    def _transform(self, X):
        """Centre each spectrum by its median and scale it by its IQR."""
        # Differences of values beyond a quarter of the largest float can
        # overflow: scale those rows to a largest magnitude in [0.5, 1) first.
        unsafe = _row_exponents(X) > np.finfo(X.dtype).maxexp - 2
        if unsafe.any():
            X = X.copy()
            X[unsafe] = _scale_rows(X[unsafe])[0]
        q1, median, q3 = np.percentile(X, [25, 50, 75], axis=1).astype(X.dtype)
        iqr = q3 - q1
        flat = _is_zero_scale(iqr, median, X.shape[1])
        iqr[flat] = 1.0
        X_new = X - median[:, np.newaxis]
        X_new /= iqr[:, np.newaxis]
        _warn_flat_rows(
            flat,
            self,
            "interquartile range zero up to rounding",
            "they are only centred by their median",
        )
        return X_new


class _ScatterCorrection(_SpectraTransformer):
    """Base of MSC and EMSC, which is MSC with a polynomial baseline.

    MSC has no `order`: its baseline is a constant, the polynomial of order 0.
    """

    def _basis(self, n_features, dtype):
        """Orthonormal basis of the baseline polynomials (first column constant)."""
        return _legendre_basis(n_features, getattr(self, "order", 0), dtype)

    def _fit(self, X):
        """Compute or check the reference spectrum."""
        n_features = X.shape[1]
        if isinstance(self.reference, str):
            statistic = np.mean if self.reference == "mean" else np.median
            with np.errstate(over="ignore", invalid="ignore"):
                reference = statistic(X, axis=0)
            if not np.all(np.isfinite(reference)):
                # A sum that overflowed: redo it on X scaled by a power of two.
                exponent = np.frexp(np.abs(X).max())[1]
                scaled = statistic(np.ldexp(X, -exponent), axis=0)
                reference = np.ldexp(scaled, exponent)
        else:
            reference = check_per_wavelength(
                self.reference, "reference", n_features, X.dtype
            )
        # A reference in the span of the baseline has no scatter coefficient.
        basis = self._basis(n_features, reference.dtype)
        scaled = np.ldexp(reference, -np.frexp(np.abs(reference).max())[1])
        residual = scaled - basis @ (basis.T @ scaled)
        r_size = np.sqrt(residual @ residual / n_features)
        if _is_zero_scale(r_size, np.sqrt(scaled @ scaled / n_features), n_features):
            order = getattr(self, "order", 0)
            what = (
                f"a polynomial of degree at most order={order}" if order else "constant"
            )
            raise ValueError(
                f"The reference spectrum is {what} along the wavelengths, so its "
                "scatter coefficient cannot be told from the baseline: use a "
                "reference that varies more across wavelengths."
            )
        self.reference_ = reference

    def _transform(self, X):
        """Correct each spectrum against the reference and the baseline.

        Scale-invariant over the whole range of the dtype. A reference far from
        magnitude 1 is first divided by a power of two ``2**e`` that brings its
        largest magnitude into ``[0.5, 1)``, and the output multiplied by it at
        the end. The spectra whose products with the reference overflow or
        leave the normal range are corrected again after the same scaling
        (their output does not depend on their scale).
        """
        basis = self._basis(X.shape[1], X.dtype)
        reference = self.reference_.astype(X.dtype, copy=False)
        exponent = np.frexp(np.abs(reference).max())[1]
        if abs(exponent) <= np.finfo(X.dtype).maxexp // 4:
            exponent = 0  # squares of the reference cannot overflow or underflow
        reference = np.ldexp(reference, -exponent)
        correct = partial(_fit_scatter, basis, reference, exponent)
        X_new, flat = _redo_unsafe_rows(correct, X)
        if exponent:
            np.ldexp(X_new, exponent, out=X_new)
        outcome = "offset" if basis.shape[1] == 1 else "baseline"
        _warn_flat_rows(
            flat,
            self,
            "scatter term zero up to rounding: constant, or uncorrelated with the "
            "reference",
            f"they are only {outcome}-corrected (scatter coefficient 1)",
        )
        return X_new


def _fit_scatter(basis, reference, reference_exponent, X, exponents):
    """Remove the baseline ``basis`` and the scatter of ``reference`` from ``X``.

    Fits every spectrum ``x`` as ``b * reference + basis @ c`` by least
    squares, all spectra at once, and returns ``(x - basis @ c) / b``, the
    mask of the spectra without a scatter term and the largest magnitude of
    the products of each spectrum with the basis and the reference.
    ``basis`` has orthonormal columns, the first one constant. By the
    Frisch-Waugh-Lovell theorem the scatter coefficient is
    ``b = x . r / (r . r)`` with ``r`` the part of the reference orthogonal
    to the basis, and ``(x - basis @ c) / b`` equals
    ``(x - basis @ basis.T @ x) / b + basis @ basis.T @ reference``. Spectra
    without a scatter term get ``b = 2**(reference_exponent - exponents)``:
    1 for the spectra and reference before they were divided by
    ``2**exponents`` and ``2**reference_exponent``.
    """
    n_features, n_terms = basis.shape
    reference_fit = basis @ (basis.T @ reference)
    residual = reference - reference_fit
    # One pass over X for the baseline coefficients and the scatter products.
    products = X @ np.column_stack([basis, residual])
    X_fit = products[:, :n_terms]
    b = products[:, n_terms] / (residual @ residual)
    # The scatter term b * r of a flat spectrum, or of one uncorrelated with
    # the reference, is rounding noise: take b = 1 (baseline removal only).
    x_size = np.abs(X_fit[:, 0]) / np.sqrt(n_features)  # |mean(x)|
    r_size = np.sqrt(residual @ residual / n_features)
    flat = _is_zero_scale(np.abs(b) * r_size, x_size, n_features)
    b[flat] = np.ldexp(np.ones_like(b), reference_exponent - exponents)[flat]
    X_new = X_fit @ basis.T
    np.subtract(X, X_new, out=X_new)
    X_new /= b[:, np.newaxis]
    X_new += reference_fit
    return X_new, flat, np.abs(products).max(axis=1)


class MultiplicativeScatterCorrection(_ScatterCorrection):
    """Multiplicative scatter correction against a reference spectrum.

    Each spectrum ``x`` is regressed on the reference spectrum ``m`` by least
    squares, ``x ~ a + b * m``, and corrected as ``(x - a) / b``. The
    reference is the mean (or median) spectrum of the training data, or a
    spectrum given by the user.

    Parameters
    ----------
    reference : {"mean", "median"} or array-like of shape (n_wavelengths,), \
            default="mean"
        Reference spectrum: the mean or the median spectrum of the data seen
        in :term:`fit`, or a given spectrum with one value per wavelength.

    Attributes
    ----------
    reference_ : ndarray of shape (n_wavelengths,)
        Reference spectrum used by :meth:`transform`.

    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    ExtendedMultiplicativeScatterCorrection : Adds polynomial baseline terms
        to the regression.
    StandardNormalVariate : Scatter correction without a reference.

    Notes
    -----
    The offsets and slopes of all spectra come from one closed-form least
    squares fit (a matrix-vector product with the centred reference), not a
    loop over spectra.

    A spectrum whose fitted scatter term ``b * m`` is within rounding error of
    zero (a flat spectrum, or one uncorrelated with the reference) has no
    defined slope: it is only offset-corrected, with ``b`` taken as 1 and
    ``a = mean(x) - mean(m)``, so the output never holds NaN or infinity (a
    flat spectrum becomes the constant ``mean(m)``); :meth:`transform` emits
    one ``FlatSpectrumWarning`` per call naming how many such rows there are
    and the first of them. A constant reference (and hence a single
    wavelength) cannot be regressed on and raises a ``ValueError`` in
    :term:`fit`.

    The result does not depend on the magnitude of the spectra over the whole
    finite range of the dtype (spectra and reference scaled together scale
    the output): a reference far from magnitude 1, and the spectra whose
    products with it overflow or leave the normal range, are divided by
    powers of two that bring their largest magnitude into ``[0.5, 1)``.

    float32 input gives float32 output; any other input is converted to
    float64. ``reference_`` has the dtype of the training data.

    References
    ----------
    .. [1] P. Geladi, D. MacDougall and H. Martens, "Linearization and
       scatter-correction for near-infrared reflectance spectra of meat",
       Applied Spectroscopy 39(3), 491-500, 1985.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import MultiplicativeScatterCorrection
    >>> reference = np.array([1.0, 2.0, 4.0, 3.0])
    >>> X = np.array([0.5 + 2.0 * reference, -1.0 + 0.5 * reference])
    >>> msc = MultiplicativeScatterCorrection(reference=reference).fit(X)
    >>> msc.transform(X)
    array([[1., 2., 4., 3.],
           [1., 2., 4., 3.]])
    """

    _parameter_constraints: dict = {
        "reference": [StrOptions({"mean", "median"}), "array-like"],
    }

    def __init__(self, reference="mean"):
        self.reference = reference

    def _fit(self, X):
        """Compute or check the reference spectrum."""
        n_features = X.shape[1]
        if n_features < 2:
            raise ValueError(
                "MultiplicativeScatterCorrection needs at least 2 wavelengths "
                f"to regress each spectrum on the reference, got n_features="
                f"{n_features}."
            )
        super()._fit(X)


class ExtendedMultiplicativeScatterCorrection(_ScatterCorrection):
    """Extended multiplicative scatter correction with a polynomial baseline.

    Each spectrum ``x`` is fitted by least squares as a multiple of the
    reference spectrum ``m`` plus a polynomial baseline of degree ``order``
    along the wavelength axis,
    ``x ~ b * m + c_0 + c_1 * l + ... + c_order * l**order``, and corrected
    as ``(x - c_0 - c_1 * l - ... - c_order * l**order) / b``.

    Parameters
    ----------
    order : int, default=2
        Degree of the polynomial baseline. ``order=0`` is the multiplicative
        scatter correction.

    reference : {"mean", "median"} or array-like of shape (n_wavelengths,), \
            default="mean"
        Reference spectrum: the mean or the median spectrum of the data seen
        in :term:`fit`, or a given spectrum with one value per wavelength.

    Attributes
    ----------
    reference_ : ndarray of shape (n_wavelengths,)
        Reference spectrum used by :meth:`transform`.

    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    MultiplicativeScatterCorrection : The same correction with a constant
        baseline.
    Detrend : Removes a polynomial baseline without a reference.

    Notes
    -----
    The wavelengths are taken as equally spaced: the polynomial terms are
    functions of the column index, mapped to ``[-1, 1]``. All spectra are
    fitted in one least-squares solve: the design matrix ``[m, 1, l, ...]``
    is the same for every spectrum, so the coefficients of all of them come
    from two matrix products with its orthogonal factorisation (the
    Frisch-Waugh-Lovell form of the normal equations), never a loop over
    spectra.

    A spectrum whose fitted scatter term ``b * m`` is within rounding error of
    zero (a flat spectrum, or one uncorrelated with the reference) is only
    baseline-corrected: ``b`` is taken as 1 and the baseline fitted to
    ``x - m``, so the output never holds NaN or infinity; :meth:`transform`
    emits one ``FlatSpectrumWarning`` per call naming how many such rows
    there are and the first of them. A reference that is itself a polynomial
    of degree at most ``order`` cannot be told from the baseline and raises a
    ``ValueError`` in :term:`fit`, as do spectra with fewer than
    ``order + 2`` wavelengths. Magnitudes are treated as by
    :class:`MultiplicativeScatterCorrection`: the result does not depend on
    them over the whole finite range of the dtype.

    float32 input gives float32 output; any other input is converted to
    float64.

    References
    ----------
    .. [1] H. Martens and E. Stark, "Extended multiplicative signal
       correction and spectral interference subtraction: new preprocessing
       methods for near infrared spectroscopy", Journal of Pharmaceutical and
       Biomedical Analysis 9(8), 625-635, 1991.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import ExtendedMultiplicativeScatterCorrection
    >>> reference = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    >>> trend = np.linspace(-1.0, 1.0, 5)
    >>> X = np.array([2.0 * reference + 1.0 + trend, 0.5 * reference - trend])
    >>> emsc = ExtendedMultiplicativeScatterCorrection(order=1, reference=reference)
    >>> emsc.fit_transform(X)
    array([[1., 3., 2., 5., 4.],
           [1., 3., 2., 5., 4.]])
    """

    _parameter_constraints: dict = {
        "order": [Interval(Integral, 0, None, closed="left")],
        "reference": [StrOptions({"mean", "median"}), "array-like"],
    }

    def __init__(self, order=2, *, reference="mean"):
        self.order = order
        self.reference = reference

    def _fit(self, X):
        """Compute or check the reference spectrum."""
        n_features = X.shape[1]
        if n_features < self.order + 2:
            raise ValueError(
                f"ExtendedMultiplicativeScatterCorrection with order={self.order} "
                f"fits order + 2 = {self.order + 2} coefficients per spectrum and "
                f"needs at least as many wavelengths, got n_features={n_features}."
            )
        super()._fit(X)
