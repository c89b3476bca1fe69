"""Synthetic near-infrared spectra built from Beer-Lambert mixtures."""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
from scipy.special import softmax
from sklearn.utils import check_random_state

from skl_nirs.datasets._io import _as_frame, _invalid_parameter
from skl_nirs.utils._compat import Interval, validate_params

# Functional groups whose vibrations give the NIR bands, as
# (observed stretching fundamental nu1 in cm-1, anharmonicity constant X in cm-1,
#  bending / partner modes whose combinations with the stretch are NIR-active,
#  base full width at half maximum in cm-1, height of the first overtone,
#  height of the stretch + bend combination band), heights in absorbance units
# of the pure group.  Overtone n lies at n * nu1 - n * (n - 1) * X (Morse
# oscillator) and is about _OVERTONE_RATIO weaker than overtone n - 1.
_GROUPS = (
    # aliphatic C-H (CH2, CH3): 1740, 1185, 910 nm; combinations 2280, 2365 nm
    (2930.0, 60.0, (1460.0, 1300.0), 70.0, 1.6, 1.45),
    # aromatic / olefinic C-H: 1665, 1135 nm; combination 2145 nm
    (3060.0, 60.0, (1600.0,), 60.0, 0.95, 0.8),
    # O-H of water: 1440, 980 nm; combination 1925 nm
    (3550.0, 75.0, (1645.0,), 200.0, 1.1, 2.2),
    # O-H of hydroxyls (carbohydrates, alcohols): 1485 nm; combination 2100 nm
    (3450.0, 80.0, (1310.0,), 170.0, 0.95, 1.45),
    # N-H of amides (proteins): 1550 nm; combinations 2060, 2200 nm
    (3300.0, 70.0, (1550.0, 1250.0), 120.0, 0.8, 1.1),
    # C=O of esters: second overtone 1940 nm, third 1460 nm
    (1740.0, 10.0, (), 40.0, 1.9, 0.0),
)
_OVERTONE_ORDERS = (2, 3, 4, 5)
_OVERTONE_RATIO = 0.15
# Concentration (Dirichlet) precision: the larger, the more alike the samples.
_PRECISION = 40.0
# Standard deviation of the log-ratio offsets of class compositions, per class_sep.
_CLASS_SCALE = 0.3


def _pure_spectra(n_components, wavelengths, rng):
    """Absorbance spectra of the pure constituents and their wavelength derivative.

    Each constituent is a random blend of the functional groups of ``_GROUPS``,
    with its own small shifts of band positions (chemical environment), widths
    and heights.  Bands are pseudo-Voigt profiles (a Gaussian-Lorentzian sum)
    in wavenumber, evaluated on the wavelength grid (nm).  Returns two arrays
    of shape ``(n_components, n_wavelengths)``: the spectra and
    ``d spectra / d lambda``.
    """
    bands = []  # (centre in cm-1, FWHM in cm-1, height, constituent) of each band
    for k in range(n_components):
        weights = rng.dirichlet(np.full(len(_GROUPS), 0.7))
        for weight, group in zip(weights, _GROUPS, strict=True):
            nu1, anharmonicity, partners, width, h_overtone, h_combination = group
            nu1 = nu1 * (1.0 + 0.01 * rng.standard_normal())
            width = width * rng.uniform(0.8, 1.25)
            scale = weight * rng.uniform(0.7, 1.3)
            for n in _OVERTONE_ORDERS:
                centre = n * nu1 - n * (n - 1) * anharmonicity
                height = scale * h_overtone * _OVERTONE_RATIO ** (n - 2)
                bands.append((centre, width * n, height, k))
            for partner in partners:
                partner = partner * (1.0 + 0.01 * rng.standard_normal())
                for n, ratio in ((1, 1.0), (2, _OVERTONE_RATIO)):
                    centre = n * nu1 - n * (n - 1) * anharmonicity + partner
                    height = scale * h_combination * ratio
                    bands.append((centre, width * (n + 0.5), height, k))
    # one row per band, one column per wavelength
    centres, widths, heights, owners = np.array(bands).T[:, :, np.newaxis]
    eta = rng.uniform(0.0, 0.5, size=centres.shape)  # the Lorentzian fraction
    u = (1e7 / wavelengths - centres) / widths
    gauss = np.exp(-4.0 * np.log(2.0) * u**2)
    lorentz = 1.0 / (1.0 + 4.0 * u**2)
    profiles = (1.0 - eta) * gauss + eta * lorentz
    # d profile / d wavenumber, then the chain rule d wavenumber / d lambda
    d_profiles = (1.0 - eta) * gauss * (-8.0 * np.log(2.0) * u) - eta * (
        8.0 * u * lorentz**2
    )
    d_profiles *= (-1e7 / wavelengths**2) / widths
    mixing = (np.arange(n_components)[:, np.newaxis] == owners.T) * heights.T
    return mixing @ profiles, mixing @ d_profiles


class _Nuisances(NamedTuple):
    """The measurement nuisances, named and described as the generators' parameters."""

    scatter: float
    baseline: float
    shift: float
    noise: float


def _spectra(concentrations, band_rng, rng, n_wavelengths, wavelength_range, nuisances):
    """Measured absorbance of mixtures: Beer-Lambert, scatter, baseline, noise.

    Checks ``wavelength_range``; returns the spectra and the wavelengths.
    """
    try:
        low, high = np.asarray(wavelength_range, dtype=np.float64)
    except (TypeError, ValueError):
        low = high = np.nan
    if not 0 < low < high < np.inf:
        requirement = "must be a pair of numbers (low, high) with 0 < low < high"
        raise _invalid_parameter("wavelength_range", requirement, wavelength_range)
    wavelengths = np.linspace(low, high, n_wavelengths)
    pure, d_pure = _pure_spectra(concentrations.shape[1], wavelengths, band_rng)
    n_samples = concentrations.shape[0]
    path_length = np.exp(nuisances.scatter * rng.standard_normal(n_samples))
    shifts = nuisances.shift * rng.standard_normal(n_samples)
    baseline = nuisances.baseline
    offsets = rng.uniform(baseline, 3.0 * baseline, size=n_samples)
    slopes = rng.uniform(-0.5 * baseline, 0.5 * baseline, size=n_samples)

    # One matrix product gives every term but the noise:
    #   L * C @ pure(lambda - delta) ~= L * C @ (pure - delta * d_pure)
    #   + offset + slope * (lambda - low) / (high - low).
    absorbing = path_length[:, np.newaxis] * concentrations
    shifted = -shifts[:, np.newaxis] * absorbing
    coefficients = np.column_stack([absorbing, shifted, offsets, slopes])
    ramp = (wavelengths - low) / (high - low)
    X = coefficients @ np.vstack([pure, d_pure, np.ones_like(wavelengths), ramp])
    if nuisances.noise > 0:
        X += nuisances.noise * rng.standard_normal(X.shape, dtype=np.float32)
    return X, wavelengths


def _rngs(random_state):
    """Generators for the bands, the compositions and the samples.

    Independent streams, so that the constituents' spectra do not depend on
    the number of samples, classes or wavelengths.
    """
    random_state = check_random_state(random_state)
    seeds = random_state.randint(np.iinfo(np.int32).max, size=(3, 4))
    return tuple(np.random.default_rng(seed) for seed in seeds)


_NON_NEGATIVE = [Interval(Real, 0, None, closed="left")]
_COMMON_CONSTRAINTS = {
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "n_wavelengths": [Interval(Integral, 1, None, closed="left")],
    "n_components": [Interval(Integral, 2, None, closed="left")],
    **dict.fromkeys(["noise", "scatter", "baseline", "shift"], _NON_NEGATIVE),
    "wavelength_range": ["array-like"],
    "random_state": ["random_state"],
    "as_frame": ["boolean"],
}


@validate_params(
    {
        **_COMMON_CONSTRAINTS,
        "n_targets": [Interval(Integral, 1, None, closed="left")],
        "target_noise": _NON_NEGATIVE,
    },
    prefer_skip_nested_validation=True,
)
def make_nirs_regression(
    n_samples=200,
    n_wavelengths=700,
    *,
    n_components=5,
    n_targets=1,
    noise=2e-4,
    target_noise=0.1,
    scatter=0.2,
    baseline=0.1,
    shift=0.2,
    wavelength_range=(1000.0, 2500.0),
    random_state=None,
    as_frame=False,
):
    """Generate NIR absorbance spectra of mixtures and the content of an analyte.

    Each sample is a mixture of ``n_components`` NIR-absorbing constituents
    (think water, protein, fat, starch). Its spectrum is the Beer-Lambert sum
    of the pure-constituent spectra weighted by their concentrations, seen
    through the nuisances of a diffuse-reflectance measurement: multiplicative
    (path-length) scatter, additive and sloped baselines, small wavelength
    shifts and measurement noise.  The target is the content of the first
    ``n_targets`` constituents, in percent, with a small reference error.

    Parameters
    ----------
    n_samples : int, default=200
        Number of samples (spectra).

    n_wavelengths : int, default=700
        Number of wavelengths, evenly spaced over ``wavelength_range``.

    n_components : int, default=5
        Number of NIR-absorbing constituents, at least 2 (their mass fractions
        sum to 1).

    n_targets : int, default=1
        Number of analytes: the targets are the contents of the first
        ``n_targets`` constituents. At most ``n_components``.

    noise : float, default=2e-4
        Standard deviation of the Gaussian measurement noise added to every
        absorbance value.

    target_noise : float, default=0.1
        Standard deviation of the Gaussian error of the reference analysis
        added to ``y``, in percentage points.

    scatter : float, default=0.2
        Standard deviation of the logarithm of the effective path length of
        each sample: the multiplicative scatter effect.

    baseline : float, default=0.1
        Scale of the additive baseline: each spectrum gets an offset drawn
        uniformly from ``[baseline, 3 * baseline]`` and a linear slope whose rise over
        ``wavelength_range`` is drawn uniformly from ``[-baseline / 2, baseline / 2]``.

    shift : float, default=0.2
        Standard deviation of the wavelength shift of each spectrum, in the
        units of ``wavelength_range`` (nm).

    wavelength_range : tuple of (float, float), default=(1000.0, 2500.0)
        First and last wavelength, in nm.

    random_state : int, RandomState instance or None, default=None
        Determines the constituents' spectra, the concentrations and the
        nuisances. Pass an int for reproducible output across calls.

    as_frame : bool, default=False
        If True, ``X`` is a pandas DataFrame whose column names are the
        wavelengths as strings (``str(wavelength)``) and ``y`` a Series named
        ``"target"`` (a DataFrame with columns ``"target_0"``, ``"target_1"``,
        ... when ``n_targets > 1``). Requires pandas.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, n_wavelengths)
        Absorbance spectra, float64.

    y : ndarray or Series of shape (n_samples,), or (n_samples, n_targets)
        Content of the analyte(s) in percent (w/w), float64; one-dimensional
        when ``n_targets == 1``.

    wavelengths : ndarray of shape (n_wavelengths,)
        The wavelengths in nm, float64.

    See Also
    --------
    make_nirs_classification : Class-dependent mixtures for classification.
    load_spectra_csv : Load measured spectra from a CSV file.

    Notes
    -----
    **Constituents.** Every pure-constituent spectrum is a random blend of the
    bands of six functional groups (aliphatic and aromatic C-H, O-H of water
    and of hydroxyls, N-H of amides, C=O of esters). A group of stretching
    fundamental :math:`\\nu_1` and anharmonicity :math:`X` absorbs at the
    overtones :math:`\\nu_n = n\\nu_1 - n(n-1)X` (:math:`n = 2..5`, Morse
    oscillator), each about 7 times weaker and proportionally broader than
    the previous one, and at the combination bands of the stretch (and of its
    first overtone) with its bending modes. Bands are pseudo-Voigt profiles
    (Gaussian plus Lorentzian) in wavenumber, with a few tens of nm of width,
    giving the smooth broad features of real NIR spectra (for example water
    at 1440 and 1925 nm, C-H at 1740 and 2280 nm, protein N-H at 2060 and
    2200 nm).

    **Beer-Lambert.** The concentrations :math:`c_{ik}` (mass fractions,
    summing to 1) of a sample are drawn from a Dirichlet distribution around a
    random mean composition, and the absorbance of sample :math:`i` is

    .. math::

        x_i(\\lambda) = L_i \\sum_k c_{ik}\\, a_k(\\lambda - \\delta_i)
        + o_i + s_i \\frac{\\lambda - \\lambda_0}{\\lambda_1 - \\lambda_0}
        + \\varepsilon_i(\\lambda),

    with :math:`a_k` the pure spectra, :math:`L_i = e^{\\sigma z_i}` the
    relative path length (``scatter`` is :math:`\\sigma`), :math:`o_i, s_i`
    the baseline offset and slope, :math:`\\delta_i` the wavelength shift
    (applied to first order, :math:`a_k - \\delta_i a_k'`, with the exact
    derivative of the bands) and :math:`\\varepsilon_i` white noise. The
    multiplicative :math:`L_i` makes the spectra a non-linear function of the
    concentrations, which scatter corrections (SNV, MSC) undo. Without
    nuisances (``scatter=shift=baseline=noise=0``) ``X`` has rank
    ``n_components`` exactly.

    The constituents' spectra depend on ``random_state`` only, not on
    ``n_samples``, ``n_wavelengths`` or ``wavelength_range``.

    With the defaults, absorbances lie roughly between 0.05 and 2 and the
    multiplicative scatter dominates the spectral variation, as in the
    diffuse reflectance of powders or grains.

    References
    ----------
    .. [1] D. F. Swinehart, "The Beer-Lambert law", Journal of Chemical
       Education, 39(7), 333, 1962.
    .. [2] J. Workman and L. Weyer, "Practical Guide and Spectral Atlas for
       Interpretive Near-Infrared Spectroscopy", 2nd ed., CRC Press, 2012.
    .. [3] P. Geladi, D. MacDougall and H. Martens, "Linearization and
       scatter-correction for near-infrared reflectance spectra of meat",
       Applied Spectroscopy, 39(3), 491-500, 1985.
    .. [4] A. Rinnan, F. van den Berg and S. B. Engelsen, "Review of the most
       common pre-processing techniques for near-infrared spectra", TrAC
       Trends in Analytical Chemistry, 28(10), 1201-1222, 2009.

    Examples
    --------
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> X, y, wavelengths = make_nirs_regression(
    ...     n_samples=100, n_wavelengths=300, random_state=0
    ... )
    >>> X.shape, y.shape, wavelengths.shape
    ((100, 300), (100,), (300,))
    >>> float(wavelengths[0]), float(wavelengths[-1])
    (1000.0, 2500.0)
    >>> bool(0.0 < X.min() < X.max() < 2.0)
    True
    """
    if n_targets > n_components:
        requirement = f"must be at most n_components={n_components}"
        raise _invalid_parameter("n_targets", requirement, n_targets)
    band_rng, composition_rng, rng = _rngs(random_state)
    mean_composition = composition_rng.dirichlet(np.full(n_components, 3.0))
    concentrations = rng.dirichlet(mean_composition * _PRECISION, size=n_samples)
    nuisances = _Nuisances(scatter, baseline, shift, noise)
    X, wavelengths = _spectra(
        concentrations, band_rng, rng, n_wavelengths, wavelength_range, nuisances
    )
    y = 100.0 * concentrations[:, :n_targets]
    y += target_noise * rng.standard_normal(y.shape)
    names = [f"target_{j}" for j in range(n_targets)]
    if n_targets == 1:
        y, names = y[:, 0], ["target"]
    if as_frame:
        X, y, _ = _as_frame(X, y, [str(w) for w in wavelengths], names)
    return X, y, wavelengths


@validate_params(
    {
        **_COMMON_CONSTRAINTS,
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "class_sep": _NON_NEGATIVE,
    },
    prefer_skip_nested_validation=True,
)
def make_nirs_classification(
    n_samples=200,
    n_wavelengths=700,
    *,
    n_classes=2,
    n_components=5,
    class_sep=1.0,
    noise=2e-4,
    scatter=0.2,
    baseline=0.1,
    shift=0.2,
    wavelength_range=(1000.0, 2500.0),
    random_state=None,
    as_frame=False,
):
    """Generate NIR absorbance spectra of mixtures whose composition depends on a class.

    Each class (a variety, an origin, a grade) has its own mean composition of
    the same ``n_components`` constituents; samples of a class scatter around
    it, so the classes overlap. Spectra follow the same Beer-Lambert model and
    measurement nuisances as :func:`make_nirs_regression`.

    Parameters
    ----------
    n_samples : int, default=200
        Number of samples (spectra). Classes get ``n_samples // n_classes``
        samples each, the first ``n_samples % n_classes`` classes one more.

    n_wavelengths : int, default=700
        Number of wavelengths, evenly spaced over ``wavelength_range``.

    n_classes : int, default=2
        Number of classes. At most ``n_samples``.

    n_components : int, default=5
        Number of NIR-absorbing constituents, at least 2 (their mass fractions
        sum to 1).

    class_sep : float, default=1.0
        How far apart the mean compositions of the classes are: the log mean
        concentrations of each class are offset from a common composition by
        Gaussian amounts of standard deviation ``0.3 * class_sep``. The default
        gives two classes that a linear classifier separates with 75 to 99 %
        accuracy, depending on ``random_state``; 0 makes the classes
        indistinguishable.

    noise : float, default=2e-4
        Standard deviation of the Gaussian measurement noise added to every
        absorbance value.

    scatter : float, default=0.2
        Standard deviation of the logarithm of the effective path length of
        each sample: the multiplicative scatter effect.

    baseline : float, default=0.1
        Scale of the additive baseline: each spectrum gets an offset drawn
        uniformly from ``[baseline, 3 * baseline]`` and a linear slope whose rise over
        ``wavelength_range`` is drawn uniformly from ``[-baseline / 2, baseline / 2]``.

    shift : float, default=0.2
        Standard deviation of the wavelength shift of each spectrum, in nm.

    wavelength_range : tuple of (float, float), default=(1000.0, 2500.0)
        First and last wavelength, in nm.

    random_state : int, RandomState instance or None, default=None
        Determines the constituents' spectra, the class compositions, the
        samples and the nuisances. Pass an int for reproducible output.

    as_frame : bool, default=False
        If True, ``X`` is a pandas DataFrame whose column names are the
        wavelengths as strings (``str(wavelength)``) and ``y`` a Series named
        ``"target"``. Requires pandas.

    Returns
    -------
    X : ndarray or DataFrame of shape (n_samples, n_wavelengths)
        Absorbance spectra, float64.

    y : ndarray or Series of shape (n_samples,)
        Class labels, integers ``0 .. n_classes - 1``, in random order.

    wavelengths : ndarray of shape (n_wavelengths,)
        The wavelengths in nm, float64.

    See Also
    --------
    make_nirs_regression : The physical model, detailed.

    Notes
    -----
    The mean composition of class :math:`c` is the softmax of
    :math:`\\log \\mu + 0.3\\,\\text{class\\_sep} \\cdot z_c`, with
    :math:`\\mu` a random common composition and :math:`z_c` standard normal,
    drawn once per class; the concentrations of a sample are drawn
    from a Dirichlet distribution around the mean of its class. See
    :func:`make_nirs_regression` for the spectra.

    References
    ----------
    .. [1] A. Rinnan, F. van den Berg and S. B. Engelsen, "Review of the most
       common pre-processing techniques for near-infrared spectra", TrAC
       Trends in Analytical Chemistry, 28(10), 1201-1222, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.datasets import make_nirs_classification
    >>> X, y, wavelengths = make_nirs_classification(
    ...     n_samples=90, n_wavelengths=200, n_classes=3, random_state=0
    ... )
    >>> X.shape, wavelengths.shape
    ((90, 200), (200,))
    >>> np.bincount(y)
    array([30, 30, 30])
    """
    if n_classes > n_samples:
        requirement = f"must be at most n_samples={n_samples}"
        raise _invalid_parameter("n_classes", requirement, n_classes)
    band_rng, composition_rng, rng = _rngs(random_state)
    log_mean = np.log(composition_rng.dirichlet(np.full(n_components, 3.0)))
    offsets = composition_rng.standard_normal((n_classes, n_components))
    class_means = softmax(log_mean + _CLASS_SCALE * class_sep * offsets, axis=1)
    y = rng.permutation(np.arange(n_samples) % n_classes)
    concentrations = np.empty((n_samples, n_components))
    for c, mean in enumerate(class_means):
        concentrations[y == c] = rng.dirichlet(mean * _PRECISION, size=np.sum(y == c))
    nuisances = _Nuisances(scatter, baseline, shift, noise)
    X, wavelengths = _spectra(
        concentrations, band_rng, rng, n_wavelengths, wavelength_range, nuisances
    )
    if as_frame:
        X, y, _ = _as_frame(X, y, [str(w) for w in wavelengths], ["target"])
    return X, y, wavelengths
