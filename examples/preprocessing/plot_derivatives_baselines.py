"""
===================================================
Derivatives, smoothing, baselines and range cutting
===================================================

The other NIRS transformers of :mod:`skl_nirs.preprocessing`, each applied to
the same spectrum:

* :class:`~skl_nirs.preprocessing.ReflectanceToAbsorbance` turns reflectance
  ``R`` into absorbance ``log10(1 / R)``;
* :class:`~skl_nirs.preprocessing.SavitzkyGolay` smooths or differentiates with
  a local polynomial (:func:`scipy.signal.savgol_filter`, same parameter names);
* :class:`~skl_nirs.preprocessing.NorrisWilliams` takes a gap-segment
  derivative;
* :class:`~skl_nirs.preprocessing.GaussianFilter` smooths with a Gaussian
  (:func:`scipy.ndimage.gaussian_filter1d`);
* :class:`~skl_nirs.preprocessing.Detrend` subtracts a polynomial baseline and
  :class:`~skl_nirs.preprocessing.AsymmetricLeastSquares` a smooth baseline that
  stays under the peaks;
* :class:`~skl_nirs.feature_selection.RangeCut` keeps a window of wavelengths.
"""

# %%
# One spectrum, many transformations
# ----------------------------------
# Derivatives remove additive offsets (first derivative) and linear slopes
# (second derivative) and sharpen overlapping bands; their windows also smooth
# the noise. Baseline corrections keep the band shapes and remove the slow
# background.
import matplotlib.pyplot as plt

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.preprocessing import (
    AsymmetricLeastSquares,
    Detrend,
    GaussianFilter,
    NorrisWilliams,
    SavitzkyGolay,
)

X, y, wavelengths = make_nirs_regression(n_samples=60, random_state=1)

transformers = {
    "SavitzkyGolay(15, 2, deriv=0): smoothing": SavitzkyGolay(15, 2),
    "SavitzkyGolay(15, 2, deriv=1)": SavitzkyGolay(15, 2, deriv=1),
    "SavitzkyGolay(21, 3, deriv=2)": SavitzkyGolay(21, 3, deriv=2),
    "NorrisWilliams(segment=5, gap=5)": NorrisWilliams(segment=5, gap=5),
    "GaussianFilter(sigma=4, order=1)": GaussianFilter(sigma=4, order=1),
    "Detrend(order=2)": Detrend(order=2),
    "AsymmetricLeastSquares(lam=1e6, p=0.01)": AsymmetricLeastSquares(1e6, 0.01),
}

fig, axes = plt.subplots(len(transformers) + 1, 1, figsize=(7, 13), sharex=True)
axes[0].plot(wavelengths, X[:3].T, lw=0.8)
axes[0].set_title("Raw absorbance (3 spectra)", fontsize=10)
for ax, (name, transformer) in zip(axes[1:], transformers.items()):
    ax.plot(wavelengths, transformer.fit_transform(X[:3]).T, lw=0.8)
    ax.set_title(name, fontsize=10)
axes[-1].set_xlabel("Wavelength (nm)")
fig.tight_layout()
plt.show()

# %%
# The baseline that is removed
# ----------------------------
# :class:`~skl_nirs.preprocessing.AsymmetricLeastSquares` weighs the points
# above the baseline by ``p`` and those below by ``1 - p``: with a small ``p``
# the baseline runs under the absorption bands. The difference between a
# spectrum and its corrected version is the baseline.
spectrum = X[:1]
fig, ax = plt.subplots(figsize=(7, 3))
ax.plot(wavelengths, spectrum[0], label="spectrum")
for transformer in (Detrend(order=2), AsymmetricLeastSquares(lam=1e6, p=0.01)):
    baseline = spectrum - transformer.fit_transform(spectrum)
    ax.plot(wavelengths, baseline[0], "--", label=type(transformer).__name__)
ax.set_xlabel("Wavelength (nm)")
ax.set_ylabel("Absorbance")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# From reflectance to absorbance, and a window of wavelengths
# -----------------------------------------------------------
# Instruments often record reflectance. Absorbance is linear in concentration
# (Beer-Lambert), which is what linear models such as PLS expect.
# :class:`~skl_nirs.feature_selection.RangeCut` keeps the wavelengths between two
# bounds, given as column indices or, with ``by="wavelength"``, in nm.
from sklearn.pipeline import make_pipeline

from skl_nirs.feature_selection import RangeCut
from skl_nirs.plotting import SpectraDisplay
from skl_nirs.preprocessing import ReflectanceToAbsorbance

reflectance = 10.0 ** -X[:5]  # what the instrument would have recorded
to_absorbance = ReflectanceToAbsorbance().fit(reflectance)
fig, (before, after) = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
SpectraDisplay.from_spectra(
    reflectance, wavelengths, unit="nm", title="Reflectance", ax=before
)
SpectraDisplay.from_estimator(
    to_absorbance, reflectance, wavelengths, unit="nm", ax=after
)
plt.show()

to_window = make_pipeline(
    ReflectanceToAbsorbance(),
    RangeCut(1100, 1900, by="wavelength", wavelengths=wavelengths),
)
window = to_window.fit_transform(reflectance)
print(f"{reflectance.shape[1]} wavelengths in, {window.shape[1]} out")
