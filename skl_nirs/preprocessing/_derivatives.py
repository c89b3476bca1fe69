"""Spectral derivatives: Savitzky-Golay and Norris-Williams gap-segment."""

from numbers import Integral, Real

import numpy as np
from scipy.ndimage import correlate1d
from scipy.signal import savgol_filter

from skl_nirs.preprocessing._base import _SpectraTransformer
from skl_nirs.preprocessing._utils import _check_reach
from skl_nirs.utils._compat import Interval, StrOptions


class SavitzkyGolay(_SpectraTransformer):
    """Savitzky-Golay smoothing or derivative of each spectrum.

    Fits a polynomial of degree ``polyorder`` by least squares to each window
    of ``window_length`` consecutive wavelengths and replaces the central
    point by the value (``deriv=0``) or a derivative of that polynomial:
    :func:`scipy.signal.savgol_filter` along the wavelength axis, with its
    parameter names, meanings and defaults (scipy has no default window).
    The transformation is stateless: ``fit`` checks the parameters against
    the number of wavelengths and records it.

    Parameters
    ----------
    window_length : int, default=11
        Number of wavelengths in each window. With ``mode="interp"``, at most
        the number of wavelengths of the spectra.

    polyorder : int, default=2
        Degree of the fitted polynomials; less than `window_length`.

    deriv : int, default=0
        Order of the derivative; 0 smooths without differentiating. A
        derivative of order greater than `polyorder` is zero.

    delta : float, default=1.0
        Spacing between wavelengths, which scales derivatives by
        ``delta ** -deriv``.

    mode : {"interp", "mirror", "constant", "nearest", "wrap"}, \
            default="interp"
        Edge handling, as in :func:`scipy.signal.savgol_filter`: "interp"
        fits the polynomial to the first (last) `window_length` points and
        evaluates it on the first (last) half window, so the window must fit
        in the spectrum; the other modes extend the spectrum beyond its ends
        ("constant" with zeros) and accept any window.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    NorrisWilliams : Gap-segment derivative.
    GaussianFilter : Gaussian smoothing and derivatives.

    Notes
    -----
    All spectra are filtered in one call along the wavelength axis. The
    output has the width of the input. float32 input gives float32 output;
    any other input is converted to float64. In the modes other than
    "interp", :term:`fit` raises a ``ValueError`` when half the window
    (``window_length // 2``) exceeds 4 times the number of wavelengths, so
    that memory and time stay proportional to the spectra.

    References
    ----------
    .. [1] A. Savitzky and M. J. E. Golay, "Smoothing and differentiation of
       data by simplified least squares procedures", Analytical Chemistry
       36(8), 1627-1639, 1964.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import SavitzkyGolay
    >>> X = np.array([[1.0, 4.0, 9.0, 16.0, 25.0, 36.0, 49.0]])
    >>> SavitzkyGolay(window_length=5, polyorder=2, deriv=1).fit_transform(X)
    array([[ 2.,  4.,  6.,  8., 10., 12., 14.]])
    """

    _parameter_constraints: dict = {
        "window_length": [Interval(Integral, 1, None, closed="left")],
        "polyorder": [Interval(Integral, 0, None, closed="left")],
        "deriv": [Interval(Integral, 0, None, closed="left")],
        "delta": [Interval(Real, 0, None, closed="neither")],
        "mode": [StrOptions({"interp", "mirror", "constant", "nearest", "wrap"})],
    }

    def __init__(
        self, window_length=11, polyorder=2, *, deriv=0, delta=1.0, mode="interp"
    ):
        self.window_length = window_length
        self.polyorder = polyorder
        self.deriv = deriv
        self.delta = delta
        self.mode = mode

    def _fit(self, X):
        """Check the parameters against the spectra."""
        if self.polyorder >= self.window_length:
            raise ValueError(
                f"polyorder={self.polyorder} must be less than "
                f"window_length={self.window_length}."
            )
        if self.mode == "interp" and self.window_length > X.shape[1]:
            raise ValueError(
                f"window_length={self.window_length} is longer than the spectra, "
                f"which have n_features={X.shape[1]} wavelengths: mode='interp' "
                "fits the edges on one whole window. Use a shorter window or "
                "another mode."
            )
        _check_reach(
            self.window_length // 2,
            X.shape[1],
            f"window_length // 2 = {self.window_length} // 2",
            "Use a shorter window.",
        )

    def _transform(self, X):
        """Smooth or differentiate each spectrum."""
        return savgol_filter(
            X,
            self.window_length,
            self.polyorder,
            deriv=self.deriv,
            delta=self.delta,
            axis=1,
            mode=self.mode,
        )


def _norris_williams_kernel(segment, gap, deriv):
    """Correlation weights of the gap-segment derivative.

    The moving average of ``segment`` points followed by the gap difference
    ``s[i + gap] - s[i - gap]`` (``deriv=1``) or
    ``s[i + gap] - 2 s[i] + s[i - gap]`` (``deriv=2``), as one kernel.
    """
    average = np.full(segment, 1.0 / segment)
    difference = np.zeros(2 * gap + 1)
    difference[[0, gap, -1]] = [-1.0, 0.0, 1.0] if deriv == 1 else [1.0, -2.0, 1.0]
    # Correlating with a then with b is correlating with their convolution.
    return np.convolve(average, difference)


class NorrisWilliams(_SpectraTransformer):
    """Norris-Williams gap-segment derivative of each spectrum.

    Each spectrum is first smoothed by a centred moving average over
    ``segment`` wavelengths, then differentiated by a difference across a gap:
    ``s[i + gap] - s[i - gap]`` for the first derivative,
    ``s[i + gap] - 2 s[i] + s[i - gap]`` for the second, where ``s`` is the
    smoothed spectrum. The transformation is stateless: ``fit`` only records
    the number of wavelengths.

    Parameters
    ----------
    segment : int, default=5
        Odd number of wavelengths averaged around each point; 1 means no
        smoothing.

    gap : int, default=5
        Distance, in wavelengths, from each point to the two smoothed values
        that are differenced.

    deriv : {1, 2}, default=1
        Order of the derivative.

    mode : {"nearest", "reflect", "mirror", "constant", "wrap"}, \
            default="nearest"
        How the spectrum is extended beyond its ends, as in
        :func:`scipy.ndimage.correlate1d` ("constant" with zeros).

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    SavitzkyGolay : Least-squares polynomial derivative.

    Notes
    -----
    The smoothing and the gap difference are merged into one filter of
    ``segment + 2 * gap`` weights, applied to all spectra at once with
    :func:`scipy.ndimage.correlate1d`. The output has the width of the input:
    near the ends, the missing wavelengths are taken from the spectrum
    extended according to `mode` (by default the end values are repeated),
    exactly as if the extended spectrum had been smoothed and differenced.

    The differences are not divided by the wavelength spacing, as in Norris's
    original derivative. :term:`fit` raises a ``ValueError`` when the filter
    reaches (``segment // 2 + gap``) more than 4 times the number of
    wavelengths on each side of a point, so that memory and time stay
    proportional to the spectra.

    float32 input gives float32 output; any other input is converted to
    float64.

    References
    ----------
    .. [1] K. H. Norris and P. C. Williams, "Optimization of mathematical
       treatments of raw near-infrared signal in the measurement of protein in
       hard red spring wheat. I. Influence of particle size", Cereal Chemistry
       61(2), 158-165, 1984.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import NorrisWilliams
    >>> X = np.array([[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]])
    >>> NorrisWilliams(segment=3, gap=2).fit_transform(X)
    array([[2.        , 3.        , 3.6666..., 4.        , 4.        ,
            3.6666..., 3.        , 2.        ]])
    """

    _parameter_constraints: dict = {
        "segment": [Interval(Integral, 1, None, closed="left")],
        "gap": [Interval(Integral, 1, None, closed="left")],
        "deriv": [Interval(Integral, 1, 2, closed="both")],
        "mode": [StrOptions({"nearest", "reflect", "mirror", "constant", "wrap"})],
    }

    def __init__(self, segment=5, gap=5, *, deriv=1, mode="nearest"):
        self.segment = segment
        self.gap = gap
        self.deriv = deriv
        self.mode = mode

    def _fit(self, X):
        """Check the parameters and the spectra."""
        if self.segment % 2 == 0:
            raise ValueError(
                f"segment must be odd so that the moving average is centred, "
                f"got segment={self.segment}."
            )
        _check_reach(
            self.segment // 2 + self.gap,
            X.shape[1],
            f"segment // 2 + gap = {self.segment} // 2 + {self.gap}",
            "Use a smaller segment or gap.",
        )

    def _transform(self, X):
        """Differentiate each spectrum."""
        kernel = _norris_williams_kernel(self.segment, self.gap, self.deriv)
        return correlate1d(X, kernel, axis=1, mode=self.mode)
