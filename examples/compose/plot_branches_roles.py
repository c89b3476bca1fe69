"""
=====================================================
ParallelBranches: transformer, regressor, classifier
=====================================================

:class:`~skl_nirs.compose.ParallelBranches` fits a list of named branches
side by side -- in parallel when the work is large enough -- and concatenates
their outputs. A branch is a transformer, a predictor, or a pipeline ending in
either. What the whole is depends on ``final_estimator``:

* no ``final_estimator``: a **transformer**, like
  :class:`~sklearn.pipeline.FeatureUnion`, that also accepts predictor branches
  (their out-of-fold predictions become features);
* a regressor: a **regressor** that stacks the branches;
* a classifier: a **classifier** that stacks the branches.
"""

# %%
# A transformer: preprocessed blocks side by side
# -----------------------------------------------
# Two preprocessings of the same spectra, each compressed by a PCA, give one
# block of features each. The output feature names say which branch made which
# column.
import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline

from skl_nirs.compose import ParallelBranches
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.preprocessing import SavitzkyGolay, StandardNormalVariate

X, y, wavelengths = make_nirs_regression(n_samples=150, random_state=0)

union = ParallelBranches(
    [
        ("snv", make_pipeline(StandardNormalVariate(), PCA(n_components=3))),
        ("d1", make_pipeline(SavitzkyGolay(15, 2, deriv=1), PCA(n_components=2))),
    ]
)
features = union.fit_transform(X)
print(features.shape)
print(union.get_feature_names_out())

# %%
# Predictor branches give out-of-fold predictions
# -----------------------------------------------
# A branch ending in a regressor contributes its predictions. During ``fit``
# they are computed *out of fold* (``cv``): every row is predicted by a model
# that did not see it, so whatever is fitted on them next is not fooled by
# in-sample predictions. ``transform`` on new data uses the branch refitted on
# all the rows.
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold

cv = KFold(5, shuffle=True, random_state=0)
predictors = ParallelBranches(
    [
        ("raw_pls", PLSRegression(n_components=6)),
        ("snv_pls", make_pipeline(StandardNormalVariate(), PLSRegression(6))),
        ("d1_pls", make_pipeline(SavitzkyGolay(15, 2, deriv=1), PLSRegression(6))),
    ],
    cv=cv,
)
out_of_fold = predictors.fit_transform(X, y)
for name, column in zip(predictors.get_feature_names_out(), out_of_fold.T):
    rmse = np.sqrt(np.mean((column - y) ** 2))
    print(f"{name:>20}: out-of-fold RMSE = {rmse:.3f}")

# %%
# Without scatter correction, the errors are three times larger:
# scikit-learn's :class:`~sklearn.metrics.PredictionErrorDisplay` draws
# predicted against measured values.
import matplotlib.pyplot as plt
from sklearn.metrics import PredictionErrorDisplay

fig, axes = plt.subplots(1, 3, figsize=(10, 3.6), layout="constrained")
for ax, (name, _), column in zip(axes, predictors.branches, out_of_fold.T):
    PredictionErrorDisplay.from_predictions(
        y, column, kind="actual_vs_predicted", ax=ax
    )
    rmse = np.sqrt(np.mean((column - y) ** 2))
    ax.set_title(f"{name}: RMSE = {rmse:.3f}", fontsize=9)
plt.show()

# %%
# A regressor: stacking
# ---------------------
# With a regressor as ``final_estimator``, the branches' out-of-fold
# predictions are the features of the final model. The result is a regressor in
# every way scikit-learn checks: ``is_regressor``, the default R² ``score``,
# ``cross_val_score``...
from sklearn.base import is_regressor
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import cross_val_score

stack = ParallelBranches(predictors.branches, final_estimator=RidgeCV(), cv=cv)
print("is_regressor:", is_regressor(stack))
scores = cross_val_score(stack, X, y, cv=cv, scoring="neg_root_mean_squared_error")
print(f"stacked RMSE = {-scores.mean():.3f}")
stack.fit(X, y)
print("weights of the branches:", stack.final_estimator_.coef_.round(2))

# %%
# ``passthrough=True`` appends the raw spectra to the branch outputs, and
# ``branch_weights`` scales the output of chosen branches.
#
# A classifier: stacking with probabilities
# -----------------------------------------
# With a classifier as ``final_estimator`` it is a classifier: labels are
# encoded for the branches and decoded in ``predict``, and ``predict_proba`` is
# there when the final estimator has it. Classifier branches contribute their
# out-of-fold ``predict_proba`` or, if they have none, ``decision_function``
# (``stack_method="auto"``).
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression, RidgeClassifier

from skl_nirs.compose import make_branches
from skl_nirs.datasets import make_nirs_classification
from skl_nirs.preprocessing import MultiplicativeScatterCorrection

X_c, y_c, _ = make_nirs_classification(
    n_samples=150, n_classes=3, class_sep=2.0, random_state=0
)
classifier = ParallelBranches(
    make_branches(  # names the branches after their steps
        make_pipeline(StandardNormalVariate(), RidgeClassifier(alpha=1e-3)),
        make_pipeline(MultiplicativeScatterCorrection(), RidgeClassifier(alpha=1e-3)),
    ),
    final_estimator=LogisticRegression(),
    cv=5,
)
print("is_classifier:", is_classifier(classifier))
print(f"accuracy = {cross_val_score(classifier, X_c, y_c, cv=5).mean():.3f}")
classifier.fit(X_c, y_c)
print("classes:", classifier.classes_)
print(classifier.stack_method_)
print(classifier.predict_proba(X_c[:3]).round(3))

# %%
# When a branch fails
# -------------------
# By default an exception in a branch is raised again, with its type kept and
# the branch name in its message. With ``on_error="warn"`` the failing branch
# is dropped with a :class:`~sklearn.exceptions.FitFailedWarning` and recorded
# in ``branch_errors_``: one bad idea does not waste a long run.
import warnings

broken = ParallelBranches(
    [
        ("snv_pls", make_pipeline(StandardNormalVariate(), PLSRegression(6))),
        ("too_many", PLSRegression(n_components=1000)),  # more than the rows
    ],
    final_estimator=RidgeCV(),
    cv=cv,
)
try:
    broken.fit(X, y)
except ValueError as exc:
    print("on_error='raise':", str(exc)[:90], "...")

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    broken.set_params(on_error="warn").fit(X, y)
print("warning:", caught[0].category.__name__)
print("dropped:", list(broken.branch_errors_))
print(f"R² of what is left: {broken.score(X, y):.3f}")

# %%
# Every branch parameter is reachable
# -----------------------------------
# As in a :class:`~sklearn.pipeline.Pipeline`, ``<branch>__<param>`` reaches a
# parameter of a branch and ``<branch>`` the whole branch, so that any
# scikit-learn search can tune them; see
# :ref:`sphx_glr_auto_examples_compose_plot_branch_grid.py`. ``set_params``
# returns the estimator, which a notebook displays as a diagram of its branches:
stack.set_params(snv_pls__plsregression__n_components=8, raw_pls="drop")

# %%
params = stack.get_params()
print(params["raw_pls"], params["snv_pls__plsregression__n_components"])
