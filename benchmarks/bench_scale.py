"""Two processes sharing one JournalStorage study vs one process doing all trials.

Target (issue 6): two processes complete the trials of one search in at most 0.65x
of the wall time that one process needs for all of them.

    python benchmarks/bench_scale.py            # full run (about 3 minutes)
    python benchmarks/bench_scale.py --quick    # smoke run

Each search is sequential (n_jobs=1, BLAS limited to one thread), so the two
processes use the two cores. Wall times include starting Python and importing
skl_nirs, in both configurations. Runs are interleaved; medians are printed.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(journal, study_name, n_trials):
    import optuna
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    from skl_nirs.datasets import make_nirs_regression
    from skl_nirs.model_selection import OptunaSearchCV
    from skl_nirs.preprocessing import SavitzkyGolay, StandardNormalVariate

    X, y, _ = make_nirs_regression(500, 700, random_state=0)
    pipe = make_pipeline(StandardNormalVariate(), SavitzkyGolay(), PLSRegression())
    space = {
        "savitzkygolay__window_length": ("int", 7, 41, 2),
        "savitzkygolay__deriv": [0, 1],
        "plsregression__n_components": ("int", 2, 20),
    }
    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(journal)
    )
    with threadpool_limits(1):
        OptunaSearchCV(
            pipe,
            space,
            n_trials=n_trials,
            cv=5,
            batch_size=2,
            storage=storage,
            study_name=study_name,
            random_state=None,
        ).fit(X, y)


def run(n_processes, n_trials, folder, tag):
    journal = str(Path(folder) / f"{tag}.log")
    command = [sys.executable, __file__, "--worker", journal, tag, str(n_trials)]
    start = time.perf_counter()
    processes = [subprocess.Popen(command) for _ in range(n_processes)]
    if any(p.wait() for p in processes):
        raise RuntimeError("a worker failed")
    seconds = time.perf_counter() - start

    import optuna

    storage = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(journal)
    )
    trials = optuna.load_study(study_name=tag, storage=storage).trials
    complete = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    return seconds, complete


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", nargs=3, metavar=("JOURNAL", "STUDY", "TRIALS"))
    args = parser.parse_args()
    if args.worker:
        journal, study_name, n_trials = args.worker
        worker(journal, study_name, int(n_trials))
        return
    n_trials, repeats = (12, 1) if args.quick else (120, 5)
    one, two = [], []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(repeats):  # interleaved: noise hits both configurations
            seconds, complete = run(1, n_trials, folder, f"one{i}")
            one.append(seconds)
            print(f"run {i}: 1 process  {seconds:6.1f} s, {complete} complete trials")
            seconds, complete = run(2, n_trials, folder, f"two{i}")
            two.append(seconds)
            print(f"run {i}: 2 processes {seconds:6.1f} s, {complete} complete trials")
    t1, t2 = statistics.median(one), statistics.median(two)
    ratio = t2 / t1
    print(
        f"\n{n_trials} trials, medians of {repeats}: one process {t1:.1f} s, "
        f"two processes sharing a JournalStorage study {t2:.1f} s"
    )
    print(f"ratio {ratio:.2f} (target <= 0.65): {'PASS' if ratio <= 0.65 else 'FAIL'}")


if __name__ == "__main__":
    main()
