"""Run one storage-backed search in its own process (for the storage tests).

python _search_process.py STORAGE STUDY_NAME N_TRIALS OUT_JSON [--sleep S]
    [--seed N] [--batch-size N] [--barrier DIR N_PROCESSES]

STORAGE is an RDB URL or ``journal:PATH`` for a JournalStorage file.
"""

import argparse
import json
import os
import time
from pathlib import Path

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


def wait_for_all(directory, n_processes, timeout=120):
    """Start fitting when all the processes are ready (their start-up varies)."""
    directory = Path(directory)
    (directory / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + timeout
    while len(list(directory.glob("ready-*"))) < n_processes:
        if time.monotonic() > deadline:
            raise TimeoutError(f"not all {n_processes} processes started")
        time.sleep(0.01)


def make_search(storage, study_name, n_trials, sleep=0.0, batch_size=2):
    pipe = Pipeline(
        [("probe", RecordingTransformer(n_out=100, sleep=sleep)), ("ridge", Ridge())]
    )
    return OptunaSearchCV(
        pipe,
        {"ridge__alpha": ("float_log", 1e-4, 1e2)},
        n_trials=n_trials,
        cv=3,
        batch_size=batch_size,
        storage=make_storage(storage),
        study_name=study_name,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("storage")
    parser.add_argument("study_name")
    parser.add_argument("n_trials", type=int)
    parser.add_argument("out")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--barrier", nargs=2, default=None)
    args = parser.parse_args()
    X, y, _ = make_nirs_regression(60, 100, random_state=0)
    told = []
    search = make_search(
        args.storage, args.study_name, args.n_trials, args.sleep, args.batch_size
    )
    search.set_params(
        callbacks=[lambda study, trial: told.append(trial.number)],
        random_state=args.seed,
    )
    if args.barrier:
        wait_for_all(args.barrier[0], int(args.barrier[1]))
    search.fit(X, y)
    with open(args.out, "w") as f:
        json.dump(
            dict(
                told=told,
                best_score=search.best_score_,
                rows=len(search.cv_results_["params"]),
                params=search.cv_results_["params"],
            ),
            f,
        )
