"""
======================================
The CPU budget and ``parallel_plan_``
======================================

Every parallel call of skl_nirs -- the branches of
:class:`~skl_nirs.compose.ParallelBranches`, the (candidate, fold) fits of
:class:`~skl_nirs.model_selection.OptunaSearchCV` -- shares one CPU budget:

* the **outermost** call owns the cores; a call nested in one of its workers
  owns that worker's share, so nested ``n_jobs`` never multiply;
* inside a worker, every ``n_jobs`` parameter of the estimator about to be
  fitted is capped at the share, and BLAS/OpenMP thread pools are limited to it
  (threadpoolctl);
* **the work decides** where the tasks run: the first ones run in the caller,
  timed, and a process pool takes the rest only once they are estimated to
  take longer than the pool costs to start;
* the results never depend on ``n_jobs`` or the backend.

What was decided is recorded on the fitted estimator as ``parallel_plan_``.
This page was built on a machine with this many cores:
"""

import joblib

print(joblib.cpu_count())

# %%
# Cheap work stays in the caller
# ------------------------------
# Four branches on 80 spectra: a few milliseconds of work per task. Even with
# ``n_jobs=-1`` they run in this process, and the plan says why: the tasks,
# timed as they ran, took less than starting worker processes costs.
from pprint import pprint

from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline

from skl_nirs.compose import ParallelBranches
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)


def four_branches():
    return [
        ("snv_pls", make_pipeline(StandardNormalVariate(), PLSRegression(6))),
        ("msc_pls", make_pipeline(MultiplicativeScatterCorrection(), PLSRegression(6))),
        ("d1_ridge", make_pipeline(SavitzkyGolay(15, 2, deriv=1), Ridge(1e-3))),
        ("knn", make_pipeline(StandardNormalVariate(), KNeighborsRegressor(n_jobs=-1))),
    ]


X_small, y_small, _ = make_nirs_regression(n_samples=80, random_state=0)
small = ParallelBranches(four_branches(), final_estimator=Ridge(), n_jobs=-1)
small.fit(X_small, y_small)
pprint(small.parallel_plan_)

# %%
# Worker processes
# ----------------
# Costly fits go to loky worker processes, however small their data: as soon
# as the pool is estimated to end the tasks left sooner than the caller. Here we
# force workers with an explicit ``parallel_config(backend="loky")``, as you
# would to isolate native code that may crash, to show the plan. Each worker
# owns ``inner_n_jobs`` cores: the ``n_jobs=-1`` of the nearest-neighbours
# model is capped to that inside the worker, and so are the BLAS threads of PLS
# and Ridge. Without the cap, each worker would start one thread per core:
# more busy threads than cores, and a slower fit.
X, y, _ = make_nirs_regression(n_samples=400, random_state=0)
large = ParallelBranches(
    four_branches(), final_estimator=Ridge(), n_jobs=-1, verbose=True
)
with joblib.parallel_config(backend="loky"):
    large.fit(X, y)
pprint(large.parallel_plan_)

# %%
# The cap holds only while a clone is fitted: afterwards the fitted branch has
# the ``n_jobs`` it was given, as the parameter has, so that used on its own
# later it has the whole machine again.
fitted_knn = large.named_branches_["knn"][-1]
print("n_jobs of the fitted branch:", fitted_knn.n_jobs)
print("n_jobs of the parameter:    ", large.named_branches["knn"][-1].n_jobs)

# %%
# Threads instead of processes
# ----------------------------
# An outer ``joblib.parallel_backend`` or ``joblib.parallel_config`` always
# wins. Threads need no copies of the data and cost nothing to start: the
# first task runs alone in the caller, to learn whether the tasks hold the GIL
# (``gil_held``), and the others go to the threads; the BLAS pools of the whole
# process are limited to the share.
# Threads pay off when the estimators release the GIL (most numpy/scipy work
# does).
from joblib import parallel_backend

with parallel_backend("threading", n_jobs=2):
    threaded = ParallelBranches(four_branches(), final_estimator=Ridge())
    threaded.fit(X_small, y_small)
pprint(threaded.parallel_plan_)

# %%
# Nested parallel calls share the budget
# --------------------------------------
# A ``ParallelBranches`` inside a branch of another one: the inner call runs in
# a worker of the outer one and owns only that worker's share of the cores.
inner = ParallelBranches(four_branches()[:2], final_estimator=Ridge(), n_jobs=-1)
outer = ParallelBranches(
    [("inner", inner), ("d1_ridge", four_branches()[2][1])],
    final_estimator=Ridge(),
    n_jobs=-1,
)
with parallel_backend("threading"):
    outer.fit(X_small, y_small)
print("outer:", outer.parallel_plan_["n_workers"], "workers")
inner_plan = outer.named_branches_["inner"].parallel_plan_
print(f"inner: {inner_plan['budget']} core ({inner_plan['budget_owner']}),")
print(f"       {inner_plan['n_workers']} worker ({inner_plan['sequential_reason']})")

# %%
# The same for searches: each (candidate, fold) fit of an
# :class:`~skl_nirs.model_selection.OptunaSearchCV` runs with the share
# ``parallel_plan_["inner_n_jobs"]``, and the branches of a searched
# ``ParallelBranches`` run within it.
#
# Results do not depend on ``n_jobs``
# -----------------------------------
# The work is split differently, never seeded differently: one worker or
# several, processes or threads, the fitted models are the same. Only the last
# bits may differ, because a BLAS library limited to fewer threads adds its
# partial sums in another order.
import numpy as np

predictions = []
for n_jobs in (1, 2):
    model = ParallelBranches(four_branches(), final_estimator=Ridge(), n_jobs=n_jobs)
    predictions.append(model.fit(X, y).predict(X))
    plan = model.parallel_plan_
    print(f"n_jobs={n_jobs}: {plan['tasks_in_workers']} tasks in workers")
difference = np.max(np.abs(predictions[0] - predictions[1]))
print(f"largest difference between the predictions: {difference:.1e}")
