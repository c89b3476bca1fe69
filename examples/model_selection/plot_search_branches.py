"""
==========================================
Searching over models and branches
==========================================

A search space can do more than tune numbers:

* a **list of spaces** lets each trial first choose one of them, as
  ``GridSearchCV``'s list of grids does -- here, PLS with its number of
  components *or* Ridge with its penalty;
* a **list of choices** may hold whole estimators, ``"drop"`` or ``None``, so
  that a search over a :class:`~skl_nirs.compose.ParallelBranches` tunes the
  branches' parameters, which branches are kept and the final estimator, all
  at once.
"""

# %%
# One model family or another
# ---------------------------
# Each dict is a sub-space. The parameters of a sub-space are only sampled
# when a trial chooses it, so ``model__n_components`` is never set on a Ridge.
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.preprocessing import SavitzkyGolay, StandardNormalVariate

X, y, wavelengths = make_nirs_regression(
    n_samples=120, n_wavelengths=350, random_state=0
)
cv = KFold(3, shuffle=True, random_state=0)

pipeline = Pipeline([("scatter", StandardNormalVariate()), ("model", PLSRegression())])
space = [
    {"model": [PLSRegression()], "model__n_components": ("int", 1, 20)},
    {"model": [Ridge()], "model__alpha": ("float_log", 1e-6, 1e2)},
]
search = OptunaSearchCV(
    pipeline,
    space,
    n_trials=24,
    cv=cv,
    scoring="neg_root_mean_squared_error",
    random_state=0,
).fit(X, y)
print(f"best RMSE {-search.best_score_:.3f} with {search.best_params_}")

# %%
# How the trials split between the two families:
import pandas as pd

results = pd.DataFrame(search.cv_results_)
results["family"] = [type(p["model"]).__name__ for p in results["params"]]
print(results.groupby("family")["mean_test_score"].agg(["count", "max"]))

import matplotlib.pyplot as plt

fig, (ax_pls, ax_ridge) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
for ax, family, param in (
    (ax_pls, "PLSRegression", "model__n_components"),
    (ax_ridge, "Ridge", "model__alpha"),
):
    rows = results[results["family"] == family]
    ax.plot(rows[f"param_{param}"], -rows["mean_test_score"], "o")
    ax.set_xlabel(param)
    ax.set_ylabel("CV RMSE (%)")
    ax.set_title(family)
ax_ridge.set_xscale("log")
plt.show()

# %%
# Tuning a stack of branches
# --------------------------
# Every parameter of a :class:`~skl_nirs.compose.ParallelBranches` is
# reachable: ``<branch>__<step>__<param>`` inside a branch, ``<branch>`` for
# the whole branch (an estimator or ``"drop"``) and ``final_estimator``. An
# Optuna distribution can be used wherever a compact tuple can.
from optuna.distributions import FloatDistribution
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from skl_nirs.compose import ParallelBranches
from skl_nirs.preprocessing import MultiplicativeScatterCorrection

snv_pls = make_pipeline(StandardNormalVariate(), PLSRegression(5))
d1_ridge = make_pipeline(SavitzkyGolay(15, 2, deriv=1), Ridge(1e-3))
msc_pls = make_pipeline(MultiplicativeScatterCorrection(), PLSRegression(5))
stack = ParallelBranches(
    [("snv_pls", snv_pls), ("d1_ridge", d1_ridge), ("msc_pls", msc_pls)],
    final_estimator=LinearRegression(),
    cv=3,
)
stack_space = {
    "snv_pls__plsregression__n_components": ("int", 2, 12),
    "d1_ridge__ridge__alpha": FloatDistribution(1e-6, 1e1, log=True),
    "d1_ridge__savitzkygolay__window_length": ("int", 7, 25, 2),
    "msc_pls": [msc_pls, "drop"],
    "final_estimator": [LinearRegression(), LinearRegression(positive=True)],
}
stack_search = OptunaSearchCV(
    stack,
    stack_space,
    n_trials=16,
    cv=cv,
    scoring="neg_root_mean_squared_error",
    random_state=0,
).fit(X, y)
print(f"best RMSE {-stack_search.best_score_:.3f}")
for name, value in stack_search.best_params_.items():
    print(f"  {name} = {value!r}"[:100])

# %%
# The best stack, refitted on all the data, is an ordinary fitted
# ``ParallelBranches``:
best = stack_search.best_estimator_
print([name for name, branch in best.branches_ if branch != "drop"])
print(best.final_estimator_.coef_.round(3))
