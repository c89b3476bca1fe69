"""Conversion of reflectance spectra to absorbance."""

from numbers import Real

import numpy as np

from skl_nirs.preprocessing._base import _SpectraTransformer
from skl_nirs.utils._compat import Interval


def _check_reflectance(X, min_reflectance):
    """Raise a ValueError naming ``X`` if it holds reflectances without a log."""
    if X.size == 0 or X.min() > 0:
        return
    n_negative = np.count_nonzero(X < 0)
    if n_negative:
        raise ValueError(
            "Negative values in data passed to ReflectanceToAbsorbance: the "
            f"reflectance X must be positive, found {n_negative} negative "
            "value(s)."
        )
    if min_reflectance is None:
        raise ValueError(
            "Zero values in data passed to ReflectanceToAbsorbance: the "
            "reflectance X must be strictly positive to take log10(1 / X), "
            f"found {np.count_nonzero(X == 0)} zero value(s); set "
            "min_reflectance to clip them."
        )


class ReflectanceToAbsorbance(_SpectraTransformer):
    """Convert reflectance spectra to absorbance: ``A = log10(1 / R)``.

    The apparent absorbance of diffuse reflectance spectra, which makes
    band intensities roughly linear in concentration (Beer-Lambert). The
    transformation is stateless: ``fit`` checks the spectra and records the
    number of wavelengths.

    Parameters
    ----------
    min_reflectance : float or None, default=None
        If None, every reflectance must be strictly positive. If a positive
        number, reflectances below it (zero included, e.g. a saturated or dark
        detector pixel) are raised to it before the logarithm, capping the
        absorbance at ``-log10(min_reflectance)``. Negative reflectances are
        always an error.

    Attributes
    ----------
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    StandardNormalVariate : Scatter correction, usually applied after the
        conversion.

    Notes
    -----
    Reflectances may exceed 1 (a sample brighter than the white reference);
    their absorbance is negative. Non-positive reflectances have no
    logarithm: :term:`fit` and :meth:`transform` both raise a ``ValueError``
    naming ``X`` when they meet one (see `min_reflectance`).

    float32 input gives float32 output; any other input is converted to
    float64.

    References
    ----------
    .. [1] P. Williams and K. Norris (editors), "Near-Infrared Technology in
       the Agricultural and Food Industries", 2nd edition, American
       Association of Cereal Chemists, St. Paul, 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.preprocessing import ReflectanceToAbsorbance
    >>> R = np.array([[0.5, 0.1, 0.01], [0.8, 0.2, 2.0]])
    >>> ReflectanceToAbsorbance().fit_transform(R)
    array([[ 0.3010...,  1.        ,  2.        ],
           [ 0.0969...,  0.6989..., -0.3010...]])
    """

    _parameter_constraints: dict = {
        "min_reflectance": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(self, min_reflectance=None):
        self.min_reflectance = min_reflectance

    def _fit(self, X):
        """Check that the spectra are valid reflectances."""
        _check_reflectance(X, self.min_reflectance)

    def _transform(self, X):
        """Convert reflectance to absorbance."""
        _check_reflectance(X, self.min_reflectance)
        if self.min_reflectance is not None:
            X = np.maximum(X, self.min_reflectance)
        X_new = np.log10(X)
        return np.negative(X_new, out=X_new)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags
