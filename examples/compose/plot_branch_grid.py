"""
==========================================
A grid of branches: compare, stack, choose
==========================================

Chemometricians rarely know beforehand which preprocessing suits their
spectra: they try them all. :func:`~skl_nirs.compose.make_branch_grid` builds
one pipeline per combination of step options, named after its options, and
:class:`~skl_nirs.compose.ParallelBranches` fits them all at once. This example

1. ranks 12 preprocessing + model combinations in one ``fit_transform``
   (a leaderboard of out-of-fold errors),
2. stacks them,
3. lets :class:`~sklearn.model_selection.GridSearchCV` choose which branches to
   keep, with ``set_params(<branch>="drop")``.
"""

# %%
# The grid
# --------
# Each keyword is a pipeline step and lists its options; ``"passthrough"``
# skips the step. A branch's name joins its options' labels, and its parameters
# are ``<branch>__<step>__<param>``.
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge

from skl_nirs.compose import make_branch_grid
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

X, y, wavelengths = make_nirs_regression(n_samples=150, random_state=0)

branches = make_branch_grid(
    scatter={
        "raw": "passthrough",
        "snv": StandardNormalVariate(),
        "msc": MultiplicativeScatterCorrection(),
    },
    derivative={"d0": "passthrough", "d1": SavitzkyGolay(15, 2, deriv=1)},
    model={"pls": PLSRegression(n_components=6), "ridge": Ridge(alpha=1e-3)},
)
print(len(branches), "branches:", [name for name, _ in branches])
print(branches[3][1])

# %%
# A leaderboard in one call
# -------------------------
# Without a ``final_estimator``, ``ParallelBranches`` is a transformer, and
# ``fit_transform`` returns the out-of-fold predictions of every predictor
# branch: one column per branch, each row predicted by a model that did not
# see it. All (branch, fold) fits are scheduled in one parallel call.
import numpy as np
from sklearn.model_selection import KFold

from skl_nirs.compose import ParallelBranches

cv = KFold(5, shuffle=True, random_state=0)
board = ParallelBranches(branches, cv=cv, n_jobs=-1)
out_of_fold = board.fit_transform(X, y)

rmse = np.sqrt(np.mean((out_of_fold - y[:, np.newaxis]) ** 2, axis=0))
order = np.argsort(rmse)
for i in order:
    name = branches[i][0]
    seconds = board.branch_fit_times_[name]
    print(f"{name:>14}: RMSE {rmse[i]:.3f}   ({seconds:.2f} s)")

# %%
# :class:`~skl_nirs.plotting.BranchComparisonDisplay` draws the leaderboard
# from the same out-of-fold predictions, fold by fold: each bar is the mean RMSE
# over the folds, its error bar their standard deviation, the best at the top.
# scikit-learn's :class:`~sklearn.metrics.PredictionErrorDisplay` draws the
# best branch's out-of-fold predictions against the reference values.
import matplotlib.pyplot as plt
from sklearn.metrics import PredictionErrorDisplay, root_mean_squared_error

from skl_nirs.plotting import BranchComparisonDisplay

fig, (ax_board, ax_best) = plt.subplots(
    1, 2, figsize=(9, 4), width_ratios=(3, 2), layout="constrained"
)
names = [name for name, _ in branches]
leaderboard = BranchComparisonDisplay.from_predictions(
    y,
    out_of_fold,
    names=names,
    splits=list(cv.split(X, y)),
    score_func=root_mean_squared_error,
    greater_is_better=False,
    score_name="Out-of-fold RMSE (%), mean ± sd over folds",
    ax=ax_board,
)
best = names.index(leaderboard.names[0])
PredictionErrorDisplay.from_predictions(
    y, out_of_fold[:, best], kind="actual_vs_predicted", ax=ax_best
)
ax_best.set_title(names[best])
plt.show()

# %%
# Stacking the branches
# ---------------------
# With a ``final_estimator``, the same branches become one regressor. A
# non-negative linear model is a common choice: it weighs the branches.
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score

stack = ParallelBranches(
    branches, final_estimator=LinearRegression(positive=True), cv=cv, n_jobs=-1
)
scores = cross_val_score(stack, X, y, cv=cv, scoring="neg_root_mean_squared_error")
print(f"stack of {len(branches)} branches: RMSE {-scores.mean():.3f}")
stack.fit(X, y)
weights = dict(zip([name for name, _ in branches], stack.final_estimator_.coef_))
print({name: round(float(w), 2) for name, w in weights.items() if w > 0.01})

# %%
# Choosing branches with GridSearchCV
# -----------------------------------
# A whole branch is a parameter: ``set_params(<branch>="drop")`` removes it.
# So any scikit-learn search can decide which branches the stack keeps. Here
# we take the three best branches of the leaderboard and let
# :class:`~sklearn.model_selection.GridSearchCV` try with and without each of
# the last two (the best one is always kept).
from sklearn.model_selection import GridSearchCV

top = [branches[i] for i in order[:3]]
small_stack = ParallelBranches(
    top, final_estimator=LinearRegression(positive=True), cv=cv
)
grid = {name: [estimator, "drop"] for name, estimator in top[1:]}
search = GridSearchCV(
    small_stack, grid, cv=3, scoring="neg_root_mean_squared_error"
).fit(X, y)
kept = [top[0][0]] + [n for n, _ in top[1:] if search.best_params_[n] != "drop"]
print("kept:", kept)
print(f"RMSE {-search.best_score_:.3f}")

# %%
# One branch or another
# ---------------------
# To *choose* a single branch rather than combine them, make the branch the
# step of a pipeline and search over it (see also
# :ref:`sphx_glr_auto_examples_model_selection_plot_search_branches.py`).
from sklearn.pipeline import Pipeline

chooser = GridSearchCV(
    Pipeline([("branch", branches[0][1])]),
    {"branch": [pipeline for _, pipeline in branches]},
    cv=cv,
    scoring="neg_root_mean_squared_error",
).fit(X, y)
chosen = chooser.best_params_["branch"]
print("chosen:", [name for name, pipeline in branches if pipeline is chosen])
