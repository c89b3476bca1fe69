"""Run one storage-backed search in its own process (for the storage tests).

python _search_process.py STORAGE STUDY_NAME N_TRIALS OUT_JSON [SLEEP]

STORAGE is an RDB URL or ``journal:PATH`` for a JournalStorage file.
"""

import json
import sys

import optuna
from _probes import RecordingTransformer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV


def make_storage(spec):
    if spec.startswith("journal:"):
        backend = optuna.storages.journal.JournalFileBackend(spec[len("journal:") :])
        return optuna.storages.JournalStorage(backend)
    return spec


def make_search(storage, study_name, n_trials, sleep=0.0):
    pipe = Pipeline(
        [("probe", RecordingTransformer(n_out=100, sleep=sleep)), ("ridge", Ridge())]
    )
    return OptunaSearchCV(
        pipe,
        {"ridge__alpha": ("float_log", 1e-4, 1e2)},
        n_trials=n_trials,
        cv=3,
        batch_size=2,
        storage=make_storage(storage),
        study_name=study_name,
    )


if __name__ == "__main__":
    storage, study_name, n_trials, out = sys.argv[1:5]
    sleep = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else None
    X, y, _ = make_nirs_regression(60, 100, random_state=0)
    told = []
    search = make_search(storage, study_name, int(n_trials), sleep)
    search.set_params(
        callbacks=[lambda study, trial: told.append(trial.number)], random_state=seed
    )
    search.fit(X, y)
    with open(out, "w") as f:
        json.dump(
            dict(
                told=told,
                best_score=search.best_score_,
                rows=len(search.cv_results_["params"]),
                params=search.cv_results_["params"],
            ),
            f,
        )
