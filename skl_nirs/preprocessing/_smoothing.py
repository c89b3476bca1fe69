"""Smoothing: Gaussian filter along the wavelengths."""

from numbers import Integral, Real

from scipy.ndimage import gaussian_filter1d

from skl_nirs.preprocessing._base import _SpectraTransformer
from skl_nirs.preprocessing._utils import _check_reach
from skl_nirs.utils._compat import Interval, StrOptions


class GaussianFilter(_SpectraTransformer):
    """Gaussian smoothing (or derivative of a Gaussian) of each spectrum.

    Each spectrum is convolved along the wavelength axis with a Gaussian of
    standard deviation ``sigma`` wavelengths, or with a derivative of it
    (``order > 0``): :func:`scipy.ndimage.gaussian_filter1d` with
    ``axis=1``, with its parameter names, meanings and defaults (scipy has no
    default `sigma`). The
    transformation is stateless: ``fit`` only records the number of
    wavelengths.

    Parameters
    ----------
    sigma : float, default=1.0
        Standard deviation of the Gaussian, in wavelengths (columns).

    order : int, default=0
        0 smooths; 1, 2, ... convolve with that derivative of the Gaussian,
        giving a smoothed derivative of the spectrum.

    mode : {"reflect", "nearest", "mirror", "constant", "wrap"}, \
            default="reflect"
        How the spectrum is extended beyond its ends, as in
        :func:`scipy.ndimage.gaussian_filter1d` ("constant" with zeros).

    truncate : float, default=4.0
        The Gaussian is cut at this many standard deviations.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    SavitzkyGolay : Least-squares polynomial smoothing and derivatives.

    Notes
    -----
    All spectra are filtered in one call along the wavelength axis; the
    output has the width of the input. float32 input gives float32 output;
    any other input is converted to float64.

    The kernel spans ``sigma * truncate`` wavelengths on each side of a
    point; :term:`fit` raises a ``ValueError`` when that exceeds 4 times the
    number of wavelengths (beyond the spectrum the kernel only sees its
    extension by `mode`), or when `order` is not less than the number of
    wavelengths, so that memory and time stay proportional to the spectra.

    References
    ----------
    .. [1] A. P. Witkin, "Scale-space filtering: a new approach to
       multi-scale description", Proceedings of the IEEE International
       Conference on Acoustics, Speech and Signal Processing (ICASSP) 9,
       150-153, 1984.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import GaussianFilter
    >>> X = np.array([[0.0, 0.0, 1.0, 0.0, 0.0]])
    >>> GaussianFilter(sigma=1.0, truncate=1.0).fit_transform(X)
    array([[0.        , 0.2740..., 0.4519..., 0.2740..., 0.        ]])
    """

    _parameter_constraints: dict = {
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "order": [Interval(Integral, 0, None, closed="left")],
        "mode": [StrOptions({"reflect", "nearest", "mirror", "constant", "wrap"})],
        "truncate": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, sigma=1.0, *, order=0, mode="reflect", truncate=4.0):
        self.sigma = sigma
        self.order = order
        self.mode = mode
        self.truncate = truncate

    def _fit(self, X):
        """Check the kernel against the spectra."""
        n_features = X.shape[1]
        _check_reach(
            self.sigma * self.truncate,
            n_features,
            f"sigma * truncate = {self.sigma:.6g} * {self.truncate:.6g}",
            "Use a smaller sigma or truncate.",
        )
        if self.order >= n_features:
            raise ValueError(
                f"order={self.order} must be less than the number of "
                f"wavelengths, n_features={n_features}: spectra sampled at "
                f"{n_features} points have no derivative of that order."
            )

    def _transform(self, X):
        """Smooth each spectrum."""
        return gaussian_filter1d(
            X,
            self.sigma,
            axis=1,
            order=self.order,
            mode=self.mode,
            truncate=self.truncate,
        )
