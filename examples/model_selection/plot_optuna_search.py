"""
=============================================
Tuning a NIRS pipeline with OptunaSearchCV
=============================================

:class:`~skl_nirs.model_selection.OptunaSearchCV` is a scikit-learn search,
like :class:`~sklearn.model_selection.GridSearchCV`, in which Optuna chooses
the candidates: each new batch of candidates is drawn where the previous ones
scored well. This example tunes the preprocessing and the model of a pipeline
together, reads the results, and prunes hopeless candidates early.
"""

# %%
# The pipeline and its search space
# ---------------------------------
# A space maps parameter names to

# * compact tuples: ``("int", low, high)``, ``("int", low, high, step)``,
#   ``("int_log", low, high)``, ``("float", low, high[, step])``,
#   ``("float_log", low, high)``;
# * lists of choices, which may hold whole estimators or ``"passthrough"``;
# * or Optuna distributions.
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

X, y, wavelengths = make_nirs_regression(n_samples=150, random_state=0)

pipeline = Pipeline(
    [
        ("scatter", StandardNormalVariate()),
        ("derivative", SavitzkyGolay()),
        ("model", PLSRegression()),
    ]
)
space = {
    "scatter": [
        StandardNormalVariate(),
        MultiplicativeScatterCorrection(),
        "passthrough",
    ],
    "derivative__window_length": ("int", 7, 31, 2),  # odd windows
    "derivative__deriv": [0, 1, 2],
    "model__n_components": ("int", 1, 20),
}

# %%
# Running the search
# ------------------
# ``n_trials`` candidates are asked from Optuna in batches of ``batch_size``
# (8 by default); the (candidate, fold) fits of a batch run in parallel
# (``n_jobs``). The seeded sampler makes the search reproducible, and the
# results do not depend on ``n_jobs``.
cv = KFold(5, shuffle=True, random_state=0)
search = OptunaSearchCV(
    pipeline,
    space,
    n_trials=32,
    cv=cv,
    scoring="neg_root_mean_squared_error",
    n_jobs=-1,
    random_state=0,
)
search.fit(X, y)
print(f"best RMSE: {-search.best_score_:.3f}")
for name, value in search.best_params_.items():
    print(f"  {name} = {value!r}")

# %%
# ``best_estimator_`` is refitted on all the data; the search itself predicts
# with it, like ``GridSearchCV``.
print(search.predict(X[:3]).round(2), y[:3].round(2))

# %%
# Reading the results
# -------------------
# ``cv_results_`` has the same keys as ``GridSearchCV``'s, one row per
# evaluated candidate, so it reads well as a data frame.
import pandas as pd

results = pd.DataFrame(search.cv_results_)
columns = [
    "param_scatter",
    "param_derivative__window_length",
    "param_derivative__deriv",
    "param_model__n_components",
    "mean_test_score",
    "rank_test_score",
]
print(results.sort_values("rank_test_score")[columns].head(8).to_string())

# %%
# The Optuna study is there too, as ``study_``, and ``trials_`` holds the trial
# behind each row of ``cv_results_``. The history of the search
# (:class:`~skl_nirs.plotting.SearchHistoryDisplay`) shows Optuna concentrating
# on the good region after the first, random, batches.
import matplotlib.pyplot as plt

from skl_nirs.plotting import SearchHistoryDisplay

history = SearchHistoryDisplay.from_estimator(
    search, negate_score=True, score_name="Cross-validated RMSE (%)"
)
history.ax_.set_yscale("log")
plt.show()

# %%
# Pruning: stop hopeless candidates early
# ---------------------------------------
# With a ``pruner``, the folds of a batch are evaluated one at a time: after
# each fold the running mean score is reported to Optuna, and a candidate far
# worse than those before it at the same fold is dropped without fitting its
# remaining folds. Pruned trials are in ``study_`` but not in ``cv_results_``.
import optuna

pruned_search = OptunaSearchCV(
    pipeline,
    space,
    n_trials=32,
    cv=cv,
    scoring="neg_root_mean_squared_error",
    pruner=optuna.pruners.MedianPruner(n_startup_trials=8),
    n_jobs=-1,
    random_state=0,
)
pruned_search.fit(X, y)
states = pd.Series([t.state.name for t in pruned_search.study_.trials])
print(states.value_counts().to_string())
print(f"{len(pruned_search.cv_results_['params'])} rows in cv_results_")
print(f"best RMSE: {-pruned_search.best_score_:.3f}")
