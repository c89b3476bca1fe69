"""
==================
Scatter correction
==================

In diffuse reflectance, light travels a different path through every sample:
particle size, packing and moisture multiply each spectrum by its own factor and
add an offset and a slope to it. These *scatter* effects are often larger than
the chemistry we want to measure. Scatter corrections remove them, one spectrum
at a time:

* :class:`~skl_nirs.preprocessing.StandardNormalVariate` (SNV) centres each
  spectrum on its mean and divides it by its standard deviation;
* :class:`~skl_nirs.preprocessing.RobustNormalVariate` (RNV) does the same with
  the median and the interquartile range;
* :class:`~skl_nirs.preprocessing.MultiplicativeScatterCorrection` (MSC)
  regresses each spectrum on a reference spectrum (the mean training spectrum),
  ``x ~ a + b * m``, and returns ``(x - a) / b``;
* :class:`~skl_nirs.preprocessing.ExtendedMultiplicativeScatterCorrection`
  (EMSC) adds a polynomial baseline to that regression.
"""

# %%
# Spectra with scatter
# --------------------
# :func:`~skl_nirs.datasets.make_nirs_regression` mixes the absorbance spectra
# of a few constituents (Beer-Lambert) and adds what a real instrument sees:
# multiplicative scatter, baselines, small wavelength shifts and noise. The
# target ``y`` is the content of one constituent, in percent.
import matplotlib.pyplot as plt
import numpy as np

from skl_nirs.datasets import make_nirs_regression

X, y, wavelengths = make_nirs_regression(n_samples=120, random_state=0)
print(f"{X.shape[0]} spectra of {X.shape[1]} wavelengths, y in percent:")
print(np.round(y[:5], 2))

# %%
# What each correction does to the spectra
# ----------------------------------------
# Every transformer is a scikit-learn estimator: ``fit`` learns what it needs
# (MSC and EMSC: the reference spectrum; SNV and RNV: nothing), ``transform``
# corrects the spectra. The lines are coloured by ``y``: after correction, the
# spread that is left is mostly chemistry.
from skl_nirs.preprocessing import (
    ExtendedMultiplicativeScatterCorrection,
    MultiplicativeScatterCorrection,
    RobustNormalVariate,
    StandardNormalVariate,
)

corrections = {
    "Raw absorbance": None,
    "StandardNormalVariate": StandardNormalVariate(),
    "RobustNormalVariate": RobustNormalVariate(),
    "MultiplicativeScatterCorrection": MultiplicativeScatterCorrection(),
    "ExtendedMultiplicativeScatterCorrection": (
        ExtendedMultiplicativeScatterCorrection(order=2)
    ),
}

colors = plt.cm.viridis((y - y.min()) / np.ptp(y))
fig, axes = plt.subplots(
    len(corrections), 1, figsize=(7, 10), sharex=True, layout="constrained"
)
for ax, (name, transformer) in zip(axes, corrections.items()):
    Xt = X if transformer is None else transformer.fit_transform(X)
    for spectrum, color in zip(Xt[:40], colors[:40]):
        ax.plot(wavelengths, spectrum, color=color, lw=0.7)
    ax.set_title(name, fontsize=10)
axes[-1].set_xlabel("Wavelength (nm)")
fig.colorbar(
    plt.cm.ScalarMappable(norm=plt.Normalize(y.min(), y.max()), cmap=plt.cm.viridis),
    ax=axes,
    label="y (%)",
    shrink=0.4,
)
plt.show()

# %%
# What it does for a model
# ------------------------
# A correction is a pipeline step: cross-validation refits it on each
# training fold, so nothing leaks from the test fold. A PLS regression is much
# more accurate once the scatter is gone.
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import make_pipeline

cv = KFold(5, shuffle=True, random_state=0)
rmse = {}
for name, transformer in corrections.items():
    steps = [] if transformer is None else [transformer]
    model = make_pipeline(*steps, PLSRegression(n_components=6))
    scores = cross_val_score(model, X, y, cv=cv, scoring="neg_root_mean_squared_error")
    rmse[name] = -scores.mean()
    print(f"{name:>40}: RMSE = {rmse[name]:.3f} %")

fig, ax = plt.subplots(figsize=(7, 3))
ax.barh(list(rmse), list(rmse.values()), color="tab:blue")
ax.invert_yaxis()
ax.set_xlabel("Cross-validated RMSE of PLS (6 components), %")
fig.tight_layout()
plt.show()

# %%
# The wavelengths travel with the data
# ------------------------------------
# With a data frame whose columns are the wavelengths, the transformers keep the
# column names, and ``set_output(transform="pandas")`` returns a data frame.
X_frame, _, _ = make_nirs_regression(n_samples=5, random_state=0, as_frame=True)
snv = StandardNormalVariate().set_output(transform="pandas")
print(snv.fit_transform(X_frame).iloc[:, :4].round(3))
