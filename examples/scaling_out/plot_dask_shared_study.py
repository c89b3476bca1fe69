"""
==================================================
A Dask cluster, and several searches on one study
==================================================

Beyond the cores of one machine, skl_nirs uses two standard tools rather than
a scheduler of its own:

* **Dask**: under ``joblib.parallel_config("dask")`` the branches, folds and
  trials become tasks of a ``dask.distributed`` cluster. The code does not
  change.
* **Optuna storages**: searches in several processes or on several machines
  that name the same ``storage`` and ``study_name`` work on one study, each
  contributing trials; a search that is interrupted resumes where it stopped.

This example runs both on one machine: a
:class:`~dask.distributed.LocalCluster` of two worker processes stands in for
a real cluster, and a ``JournalStorage`` file for a database. See
:ref:`scaling_out` for the commands on real machines.

.. note::

   Dask starts its worker processes as fresh Python interpreters that import
   this script. As in any script that starts processes, the work is kept
   under ``if __name__ == "__main__":`` so that they do not run it again.
"""

# %%
# The search
# ----------
# An ordinary search; nothing in it knows about Dask.
import tempfile
from pathlib import Path

import joblib
import optuna
from dask.distributed import Client, LocalCluster
from sklearn.cross_decomposition import PLSRegression
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.preprocessing import SavitzkyGolay, StandardNormalVariate

X, y, _ = make_nirs_regression(n_samples=120, n_wavelengths=300, random_state=0)

pipeline = Pipeline(
    [
        ("snv", StandardNormalVariate()),
        ("derivative", SavitzkyGolay(deriv=1)),
        ("pls", PLSRegression()),
    ]
)
space = {
    "derivative__window_length": ("int", 7, 31, 2),
    "pls__n_components": ("int", 1, 15),
}


def make_search(**kwargs):
    return OptunaSearchCV(
        pipeline,
        space,
        cv=KFold(4, shuffle=True, random_state=0),
        scoring="neg_root_mean_squared_error",
        **kwargs,
    )


# %%
# Starting a cluster
# ------------------
# On a real cluster you would connect to its scheduler instead:
# ``client = Client("scheduler-host:8786")``.
if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    print(len(client.scheduler_info()["workers"]), "workers")

# %%
# The same search on the cluster
# ------------------------------
# Inside ``parallel_config("dask")`` the (candidate, fold) fits are Dask tasks.
# The CPU budget is the cluster's cores, and every fit goes to the cluster
# (an explicit backend is a choice of workers), as ``parallel_plan_`` shows.
if __name__ == "__main__":
    search = make_search(n_trials=12, n_jobs=-1, random_state=0)
    with joblib.parallel_config("dask"):
        search.fit(X, y)
    print({k: search.parallel_plan_[k] for k in ("backend", "budget", "n_workers")})
    print(f"best RMSE {-search.best_score_:.3f} with {search.best_params_}")

# %%
# Two searches, one study
# -----------------------
# Two processes (here, two joblib workers; in real life, two terminals or two
# machines) each run a search on the same study of a ``JournalStorage`` file.
# ``n_trials`` counts the finished trials *of the study*: asked for 16 each,
# together they finish about 16, not 32 -- up to one batch (``batch_size``)
# more, as both may ask for a batch at the same moment. Each search's
# ``cv_results_`` lists the distinct candidates of the study finished when it
# stops, both processes' (the one that stops first sees fewer; a candidate
# proposed twice is listed once).


def journal(path):
    backend = optuna.storages.journal.JournalFileBackend(str(path))
    return optuna.storages.JournalStorage(backend)


def run_search(path, seed):
    """What each process runs."""
    search = make_search(
        n_trials=16, storage=journal(path), study_name="nirs", random_state=seed
    )
    search.fit(X, y)
    return len(search.cv_results_["params"]), search.best_score_


if __name__ == "__main__":
    path = Path(tempfile.mkdtemp()) / "study.log"
    results = joblib.Parallel(n_jobs=2)(
        joblib.delayed(run_search)(path, seed) for seed in (0, 1)
    )
    for seed, (n_rows, best) in enumerate(results):
        print(f"process {seed}: {n_rows} candidates in cv_results_, best {-best:.3f}")

    study = optuna.load_study(study_name="nirs", storage=journal(path))
    n_done = len(study.trials)
    print(f"the study: {n_done} finished trials")

# %%
# Interrupt and resume
# --------------------
# A search on a persistent storage keeps every finished trial. Fitting again
# with a larger ``n_trials`` -- after an interruption, or because more trials
# are wanted -- only runs the missing ones. A trial left running by a killed
# process stays ``RUNNING`` in the storage and is not counted.
if __name__ == "__main__":
    more = make_search(n_trials=n_done + 8, storage=journal(path), study_name="nirs")
    more.fit(X, y)
    print(f"the study: {len(more.study_.trials)} trials, 8 of them new")
    print(f"best RMSE {-more.best_score_:.3f} with {more.best_params_}")

# %%
# Shutting the cluster down:
if __name__ == "__main__":
    client.close()
    cluster.close()
