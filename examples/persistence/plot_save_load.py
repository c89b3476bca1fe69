"""
=============================
Saving and loading a model
=============================

A fitted skl_nirs model is an ordinary scikit-learn estimator, so it is saved
the ordinary ways:

* :func:`joblib.dump` / :func:`joblib.load`: fast, any object -- but loading a
  pickle runs whatever code the file says, so load only files you trust;
* `skops.io <https://skops.readthedocs.io/en/stable/persistence.html>`_: a
  format that loads without running code, and refuses any type you did not
  trust explicitly.
"""

# %%
# A model worth saving
# --------------------
# A stack of two preprocessing + PLS branches, fitted on synthetic spectra.
import numpy as np
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline

from skl_nirs.compose import ParallelBranches
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

X, y, _ = make_nirs_regression(n_samples=120, random_state=0)
X_new, _, _ = make_nirs_regression(n_samples=5, random_state=1)

model = ParallelBranches(
    [
        ("snv_pls", make_pipeline(StandardNormalVariate(), PLSRegression(6))),
        (
            "msc_d1_pls",
            make_pipeline(
                MultiplicativeScatterCorrection(),
                SavitzkyGolay(15, 2, deriv=1),
                PLSRegression(6),
            ),
        ),
    ],
    final_estimator=RidgeCV(),
    cv=5,
).fit(X, y)
expected = model.predict(X_new)

# %%
# joblib
# ------
import tempfile
from pathlib import Path

import joblib

folder = Path(tempfile.mkdtemp())
joblib.dump(model, folder / "model.joblib")
loaded = joblib.load(folder / "model.joblib")
print("same predictions:", np.array_equal(loaded.predict(X_new), expected))

# %%
# skops: trust only what you expect
# ---------------------------------
# ``skops.io.load`` refuses every type that is not known to be safe. List the
# types of the file, check that they all come from packages you trust --
# scikit-learn, skl_nirs, NumPy -- and only then load the file, trusting
# exactly those types.
import skops.io

skops.io.dump(model, folder / "model.skops")

unknown = skops.io.get_untrusted_types(file=folder / "model.skops")
print("\n".join(unknown))

trusted_packages = ("sklearn.", "skl_nirs.", "numpy.")
assert all(name.startswith(trusted_packages) for name in unknown), unknown
loaded = skops.io.load(folder / "model.skops", trusted=unknown)
print("same predictions:", np.array_equal(loaded.predict(X_new), expected))

# %%
# A file holding anything else -- a function, a class of another package --
# fails the check above instead of running code.
#
# After a search
# --------------
# Save the ``best_estimator_`` of a search, not the search: the search also
# holds its Optuna study (sampler, storage, trials), which the model does not
# need for predicting and which brings types from outside the trusted packages.
from skl_nirs.model_selection import OptunaSearchCV

search = OptunaSearchCV(
    make_pipeline(StandardNormalVariate(), PLSRegression()),
    {"plsregression__n_components": ("int", 1, 15)},
    n_trials=8,
    cv=3,
    random_state=0,
).fit(X, y)
skops.io.dump(search.best_estimator_, folder / "best.skops")
unknown = skops.io.get_untrusted_types(file=folder / "best.skops")
print(unknown)
best = skops.io.load(folder / "best.skops", trusted=unknown)
print(best)
