"""Shared helpers of the parallel benchmarks (bench_branches, bench_search,
bench_budget, bench_dispatch): interleaved timing, verdict tables, fresh-process
runs, peak-memory sampling and the estimators the benchmarks share.

Not a benchmark itself. The scripts import it as ``_common`` (they run from
this folder's parent with ``python benchmarks/<script>.py``, which puts this
folder first on ``sys.path``; loky workers inherit that path, so the estimators
defined here can be unpickled in workers).
"""

import gc
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.utils.validation import check_is_fitted, validate_data

# -- timing ----------------------------------------------------------------------


def _busy_seconds():
    """CPU seconds spent busy by the whole machine (all cores), from /proc/stat."""
    with open("/proc/stat") as file:
        values = [int(v) for v in file.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds():
    """CPU seconds of this process and its children (live or reaped)."""
    import psutil

    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in me.children(recursive=True):
        try:
            ct = child.cpu_times()
            total += ct.user + ct.system
        except psutil.Error:
            pass
    return total


# A run is "quiet" when the other processes used less than this many cores.
QUIET_CORES = 0.3


def wait_quiet(threshold=0.25, window=0.5, max_wait=10.0):
    """Wait until the other processes of the machine use < ``threshold`` cores.

    The machine is shared and its load comes in bursts of a few seconds: each
    timed run starts in a quiet window when there is one within ``max_wait``
    seconds. Returns the seconds waited.
    """
    start = time.perf_counter()
    while time.perf_counter() - start < max_wait:
        busy, own = _busy_seconds(), _own_seconds()
        time.sleep(window)
        foreign = (_busy_seconds() - busy) - (_own_seconds() - own)
        if foreign / window < threshold:
            break
    return time.perf_counter() - start


class Timings(dict):
    """``{case: [seconds, ...]}`` plus ``foreign``: ``{case: [cores, ...]}`` and
    ``cpu``: ``{case: [CPU seconds of this process and its children, ...]}``.

    ``foreign`` is the CPU the rest of the machine (other users' processes)
    used during each run, in cores: 0 is a quiet machine, 2 means two other
    processes kept both cores busy while we measured.
    """

    def __init__(self, names):
        super().__init__({name: [] for name in names})
        self.foreign = {name: [] for name in names}
        self.cpu = {name: [] for name in names}


def interleaved(cases, repeats, warmup=1, quiet=True):
    """Time callables in interleaved rounds: A, B, C, A, B, C, ...

    ``cases`` maps a name to a callable without arguments. Each callable is first
    run ``warmup`` times untimed (this also starts the loky workers if a case
    uses them: see :func:`warm_loky` to be sure they are warm),
    then ``repeats`` timed rounds run every case once, in the given order, so
    that machine noise hits all of them alike. With ``quiet``, each timed run
    first waits for a quiet moment of the machine (see :func:`wait_quiet`), at
    most 1.5 times its own duration (between 1 and 6 s), so that waiting at
    most multiplies the duration of a benchmark by 2.5.

    Returns a :class:`Timings`.
    """
    last = dict.fromkeys(cases, 1.0)
    for _ in range(warmup):
        for name, func in cases.items():
            start = time.perf_counter()
            func()
            last[name] = time.perf_counter() - start
    times = Timings(cases)
    for _ in range(repeats):
        for name, func in cases.items():
            gc.collect()
            if quiet:
                wait_quiet(max_wait=min(6.0, max(1.0, 1.5 * last[name])))
            busy, own = _busy_seconds(), _own_seconds()
            start = time.perf_counter()
            func()
            elapsed = time.perf_counter() - start
            busy, own = _busy_seconds() - busy, _own_seconds() - own
            times[name].append(elapsed)
            times.foreign[name].append(max(busy - own, 0.0) / elapsed)
            times.cpu[name].append(own)
            last[name] = elapsed
    return times


def med(values):
    return statistics.median(values)


def quiet_med(times, name):
    """Median of the quiet runs of a case (other load < QUIET_CORES), or None
    if fewer than 2 runs were quiet."""
    values = [t for t, f in zip(times[name], times.foreign[name]) if f < QUIET_CORES]
    return med(values) if len(values) >= 2 else None


def ratio(times, numerator, denominator):
    """``(ratio of medians, ratio of quiet medians or None)`` of two cases."""
    all_runs = med(times[numerator]) / med(times[denominator])
    a, b = quiet_med(times, numerator), quiet_med(times, denominator)
    return all_runs, (a / b if a is not None and b is not None else None)


def print_times(times, title=None):
    """Print a table of the timed cases: median, min, max wall seconds; the
    median CPU seconds of this process and its children ("our CPU s"); and the
    median CPU used by the other processes of the machine during the runs
    ("other load", in cores, see :class:`Timings`)."""
    if title:
        print(title)
    width = max(len(name) for name in times) + 2
    print(
        f"  {'case':<{width}} {'median s':>9} {'min s':>8} {'max s':>8} runs "
        f"{'our CPU s':>9} {'other load':>10} {'quiet median s (runs)':>22}"
    )
    for name, values in times.items():
        load = med(times.foreign[name])
        used = med(times.cpu[name])
        n_quiet = sum(f < QUIET_CORES for f in times.foreign[name])
        quiet = quiet_med(times, name)
        quiet = f"{quiet:.3f} ({n_quiet})" if quiet is not None else f"- ({n_quiet})"
        print(
            f"  {name:<{width}} {med(values):>9.3f} {min(values):>8.3f} "
            f"{max(values):>8.3f} {len(values):>4} {used:>9.2f} {load:>10.2f} "
            f"{quiet:>22}"
        )
    print(f"  load average after the runs: {load_average()}")


class Verdicts:
    """Collect targets, print them as a PASS/FAIL table.

    Each timed target has a verdict on the medians of all runs (the rule) and,
    when at least 2 runs of each case involved were quiet, one on the medians
    of the quiet runs only (other load < QUIET_CORES).
    """

    def __init__(self, title):
        self.title = title
        self.rows = []
        self.plans = {}  # row index: plan line

    @staticmethod
    def _judge(measured, threshold, higher_is_better):
        if measured is None or (isinstance(measured, float) and np.isnan(measured)):
            return None
        return measured >= threshold if higher_is_better else measured <= threshold

    def add(
        self,
        target,
        measured,
        threshold,
        higher_is_better=True,
        unit="x",
        quiet=None,
        plan=None,
    ):
        """``measured`` (and ``quiet``) may be a number or a ``ratio()`` pair;
        ``plan``, a ``format_plan`` line, is printed under the row."""
        if isinstance(measured, tuple):
            measured, quiet = measured
        sign = ">=" if higher_is_better else "<="
        ok = self._judge(measured, threshold, higher_is_better)

        def text(value):
            if value is None:
                return "-"
            return (
                f"{value:.2f}{unit}" if isinstance(value, float) else f"{value}{unit}"
            )

        q_ok = self._judge(quiet, threshold, higher_is_better)
        self.rows.append(
            (
                target,
                text(measured),
                f"{sign} {threshold}{unit}",
                "PASS" if ok else "FAIL",
                text(quiet) + ("" if q_ok is None else (" PASS" if q_ok else " FAIL")),
                load_average(),
            )
        )
        if plan:
            self.plans[len(self.rows) - 1] = plan
        return ok

    def check(self, target, ok, measured, want):
        row = (target, str(measured), want, "PASS" if ok else "FAIL", "")
        self.rows.append((*row, load_average()))
        return ok

    def info(self, target, measured, note, plan=None):
        """A figure reported without a target."""
        self.rows.append((target, str(measured), note, "info", "", load_average()))
        if plan:
            self.plans[len(self.rows) - 1] = plan

    def print(self):
        print()
        print(f"== {self.title}: targets ==")
        header = ("target", "measured", "wanted", "verdict", "quiet runs only", "load")
        widths = [max(len(r[k]) for r in [header, *self.rows]) for k in range(6)]
        for i, row in enumerate([header, *self.rows]):
            print(
                f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  "
                f"{row[2]:<{widths[2]}}  {row[3]:<{widths[3]}}  "
                f"{row[4]:<{widths[4]}}  {row[5]}"
            )
            if i - 1 in self.plans:
                print(f"      plan: {self.plans[i - 1]}")
        print(
            "  (load: the 1/5/15-minute load averages when the figure was recorded; "
            "our own processes count in them)"
        )
        n_fail = sum(r[3] == "FAIL" for r in self.rows)
        n_pass = sum(r[3] == "PASS" for r in self.rows)
        print(f"  {n_pass} PASS, {n_fail} FAIL (verdicts on the medians of all runs)")


def load_average():
    """The machine's 1, 5 and 15-minute load averages, as text."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def machine_notes():
    """One line: cores, load average, library versions."""
    import joblib
    import sklearn

    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f}; Python {sys.version.split()[0]}, numpy {np.__version__}, "
        f"scikit-learn {sklearn.__version__}, joblib {joblib.__version__}; "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )


def start(script, args, quick_repeats, quick_caveat="sizes too small for the targets"):
    """Set the default ``--repeats``, print the header line, return the Verdicts."""
    if args.repeats is None:
        args.repeats = quick_repeats if args.quick else 5
    print(f"{script}.py{' --quick' if args.quick else ''}: {machine_notes()}")
    return Verdicts(script + (f" (--quick: {quick_caveat})" if args.quick else ""))


def warm_loky(n_jobs=2):
    """Start the loky workers and import the usual modules in them."""
    from sklearn.utils.parallel import Parallel, delayed

    Parallel(n_jobs=n_jobs)(delayed(_import_stack)() for _ in range(2 * n_jobs))


def _import_stack():
    import sklearn.cross_decomposition  # noqa: F401
    import sklearn.decomposition  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import skl_nirs.compose  # noqa: F401
    import skl_nirs.preprocessing  # noqa: F401

    return os.getpid()


# -- fresh processes -------------------------------------------------------------


def run_python(code, timeout=600):
    """Run ``code`` in a fresh ``python -c``; return (wall seconds, stdout)."""
    env = dict(os.environ)
    here = os.path.dirname(os.path.abspath(__file__))
    env["PYTHONPATH"] = here + os.pathsep + env.get("PYTHONPATH", "")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{proc.stderr[-3000:]}")
    return wall, proc.stdout


# -- memory ----------------------------------------------------------------------


def _pss_bytes(pid):
    """Proportional set size of a process from /proc/<pid>/smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def children_pss():
    """PSS of this process' children: ``{"workers": [...], "trackers": [...]}``.

    Trackers are the resource-tracker processes of loky and multiprocessing;
    every other child counts as a worker.
    """
    import psutil

    found = {"workers": [], "trackers": []}
    for child in psutil.Process().children(recursive=True):
        try:
            kind = (
                "trackers"
                if "resource_tracker" in " ".join(child.cmdline())
                else "workers"
            )
        except psutil.Error:
            continue
        found[kind].append(_pss_bytes(child.pid))
    return found


class PeakPSS:
    """Sample the summed PSS of this process and all its children every 20 ms.

    Use as a context manager; ``peak`` (bytes) is the largest sum seen,
    ``peak_parts`` the PSS of each process at that moment (this process first),
    ``baseline`` the sum when the sampling started.
    """

    def __init__(self, interval=0.02):
        self.interval = interval
        self.peak = 0
        self.peak_parts = []
        self.baseline = 0
        self.n_samples = 0

    def _sample(self):
        import psutil

        me = psutil.Process()
        pids = [me.pid]
        try:
            pids += [child.pid for child in me.children(recursive=True)]
        except psutil.Error:
            pass
        parts = [_pss_bytes(pid) for pid in pids]
        if sum(parts) > self.peak:
            self.peak, self.peak_parts = sum(parts), parts
        return sum(parts)

    def _run(self):
        while not self._stop.is_set():
            self._sample()
            self.n_samples += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self.baseline = self._sample()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()


# -- estimators used by the benchmarks -------------------------------------------


def transformer_branches(**pca):
    """4 branches of comparable cost: scatter or derivative, then PCA(20, **pca)."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline

    from skl_nirs.preprocessing import (
        Detrend,
        MultiplicativeScatterCorrection,
        SavitzkyGolay,
        StandardNormalVariate,
    )

    first_steps = {
        "snv": StandardNormalVariate(),
        "msc": MultiplicativeScatterCorrection(),
        "sg1": SavitzkyGolay(window_length=15, polyorder=2, deriv=1),
        "detrend": Detrend(),
    }
    return [
        (name, make_pipeline(step, PCA(n_components=20, **pca)))
        for name, step in first_steps.items()
    ]


def costly_branches():
    """The 4 costly predictor branches of issue 11: SNV + GradientBoosting,
    MSC + GradientBoosting, SavitzkyGolay + SVR, SNV + RandomForest (sklearn
    defaults, ``random_state=0``)."""
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import SVR

    from skl_nirs.preprocessing import (
        MultiplicativeScatterCorrection,
        SavitzkyGolay,
        StandardNormalVariate,
    )

    return [
        (
            "snv_gb",
            make_pipeline(
                StandardNormalVariate(), GradientBoostingRegressor(random_state=0)
            ),
        ),
        (
            "msc_gb",
            make_pipeline(
                MultiplicativeScatterCorrection(),
                GradientBoostingRegressor(random_state=0),
            ),
        ),
        ("sg_svr", make_pipeline(SavitzkyGolay(), SVR())),
        (
            "snv_rf",
            make_pipeline(
                StandardNormalVariate(), RandomForestRegressor(random_state=0)
            ),
        ),
    ]


def python_snv(X):
    """Standard normal variate computed row by row in pure Python (GIL-bound).

    For ``FunctionTransformer(python_snv)``: user code of the kind threads do
    not speed up (about 10 ms for 200 x 300 spectra).
    """
    out = []
    for row in np.asarray(X, dtype=float).tolist():
        n = len(row)
        mean = sum(row) / n
        scale = 1.0 / ((sum((v - mean) * (v - mean) for v in row) / n) ** 0.5 + 1e-12)
        out.append([(v - mean) * scale for v in row])
    return np.asarray(out)


def gil_pipeline():
    """The GIL-bound search's pipeline (``bench_dispatch.py`` case c)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(FunctionTransformer(python_snv), PLSRegression())


def gil_fits(X, y, n_fits):
    """Fit and score :func:`gil_pipeline` ``n_fits`` times, on one BLAS thread:
    PLS of 1-16 components on the 5 folds of ``X``, as the search does."""
    from sklearn.model_selection import KFold
    from threadpoolctl import threadpool_limits

    splits = list(KFold(5).split(X))
    with threadpool_limits(limits=1):
        for i in range(n_fits):
            train, test = splits[i % 5]
            pipeline = gil_pipeline().set_params(plsregression__n_components=1 + i % 16)
            pipeline.fit(X[train], y[train]).score(X[test], y[test])


def union_runner(X, n_jobs, plans):
    """A timed case: ParallelBranches(transformer_branches()).fit_transform(X),
    recording its ``parallel_plan_`` in ``plans[n_jobs]``."""
    from skl_nirs.compose import ParallelBranches

    def run():
        est = ParallelBranches(transformer_branches(), n_jobs=n_jobs)
        est.fit_transform(X)
        plans[n_jobs] = est.parallel_plan_

    return run


class PythonSmoother(TransformerMixin, BaseEstimator):
    """A deliberately GIL-bound transformer: pure-Python work per spectrum.

    Each spectrum is centred, scaled to unit variance (SNV) and smoothed by an
    exponential filter of weight ``alpha``, all in Python loops over the values
    (about 10-20 ms for 200 x 300 spectra). It stands for user code that holds
    the GIL, for which threads give no speed-up.
    """

    def __init__(self, alpha=0.5):
        self.alpha = alpha

    def fit(self, X, y=None):
        validate_data(self, X)
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        alpha = float(self.alpha)
        out = []
        for row in X.tolist():
            n = len(row)
            mean = sum(row) / n
            var = sum((v - mean) * (v - mean) for v in row) / n
            scale = 1.0 / (var**0.5 + 1e-12)
            acc = (row[0] - mean) * scale
            smoothed = []
            for v in row:
                acc = alpha * acc + (1.0 - alpha) * (v - mean) * scale
                smoothed.append(acc)
            out.append(smoothed)
        return np.asarray(out)


class CountingPLS(PLSRegression):
    """PLSRegression counting its ``fit`` calls in this process (``n_fits``)."""

    n_fits = 0

    def fit(self, X, y=None, **kwargs):
        type(self).n_fits += 1
        return super().fit(X, y, **kwargs)
