"""Where the tasks run, decided from their measured seconds (issue 11 targets).

``BudgetedParallel.map`` runs the first tasks in the caller, timing them, and
starts the loky pool once the tasks left are estimated to take longer than the
pool costs (a cold pool: 2 s until this process has measured one; a warm pool:
0.02 s + 2 ms per task + bytes / 1e9). Each case prints its timing table, its
ratio against the target and the ``parallel_plan_`` line of the run (what ran
in the caller, what in workers, and why), and the final table repeats them with
the load average when each figure was recorded.

a. ``branches``: ParallelBranches, 200 x 500 spectra, the four costly branches
   (SNV+GradientBoosting, MSC+GradientBoosting, SavitzkyGolay+SVR,
   SNV+RandomForest, sklearn defaults), final Ridge, cv=5: n_jobs=2 >= 1.5x
   n_jobs=1, and at least as fast as StackingRegressor(n_jobs=2) on the same
   branches. ``branches-large``: the same on 300 x 700 (the issue's first
   figure: 0.60x of StackingRegressor).
b. ``search``: OptunaSearchCV, 100 x 500, SNV + GradientBoosting(40 trees),
   8 trials, cv=5: n_jobs=2 >= 1.6x n_jobs=1.
c. ``gil``: a GIL-bound search, FunctionTransformer(row-by-row pure-Python SNV)
   -> PLSRegression(1-20 components), 200 x 300, 20 trials, cv=5: n_jobs=2
   >= 1.6x n_jobs=1 and >= 1.5x optuna_integration.OptunaSearchCV(n_jobs=2);
   GridSearchCV(n_jobs=2) on the same 80 fits in one call is reported beside it
   (the ceiling of one joblib call, with no batches to wait for).
   ``cold``: the searches of b and c in fresh processes (whole-process wall
   time, cold pool; reported, no target).
d. ``stacking``: RF(50) + 2 PLS + Ridge branches, final Ridge, cv=5,
   2 000 x 1 000: n_jobs=2 >= 1.6x n_jobs=1 (bench_branches.py case 2).
e. no regression:
   ``warm``: 4 cheap scatter/derivative + PCA(20) branches on 500 x 700, warm
   pool: n_jobs=2 >= 0.9x of n_jobs=1 (bench_budget.py case 2a);
   ``fresh``: a fresh process fitting them on 21 spectra: n_jobs=2 <= 1.1x the
   wall time of n_jobs=1 (bench_budget.py case 2b, 6 interleaved processes);
   ``union``: the same branches on 5 000 x 1 500: >= 1.45x and not slower than
   FeatureUnion (bench_branches.py case 1);
   ``threading``: parallel_backend("threading"), default BLAS: >= 1.0x
   (bench_budget.py case 3, PCA "full" and "randomized");
   ``nested``: OptunaSearchCV(n_jobs=2) over ParallelBranches(n_jobs=2) with
   RF(n_jobs=-1) >= the best single level (bench_budget.py case 1).
``probes`` (only when asked for): the measurements behind the README's diagnosis
of the FAILs: raw joblib calls on a memory-mapped X, the union with the workers
forced, the GIL-bound search with one batch.

The cases of bench_branches.py and bench_budget.py are run from there, not
copied. Timings are interleaved medians measured in one run (variants A, B, C,
A, B, C, ...; 5 rounds, 3 for the slow cases a and nested), the parent under
``threadpool_limits(1)`` so that sequential baselines use one BLAS thread (but
the threading case). The loky pool is started before each in-process case
(``_common.warm_loky``), so in-process figures are for a warm pool; a cold
pool is what the ``cold`` and ``fresh`` cases measure.

Run from the repository root::

    python benchmarks/bench_dispatch.py                    # about 20 minutes (quiet)
    python benchmarks/bench_dispatch.py --quick            # smoke run, 5-10 minutes
    python benchmarks/bench_dispatch.py --only branches    # one case (or several)
"""

import argparse
import contextlib
import copy
import json
import logging
import os
import time
import warnings

import bench_branches
import bench_budget
import optuna
from _common import (
    costly_branches,
    gil_fits,
    gil_pipeline,
    interleaved,
    med,
    print_times,
    python_snv,
    ratio,
    run_python,
    start,
    transformer_branches,
    warm_loky,
)
from joblib import parallel_config
from optuna.distributions import IntDistribution
from optuna_integration import OptunaSearchCV as IntegrationSearch
from sklearn.ensemble import GradientBoostingRegressor, StackingRegressor
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits

from skl_nirs.compose import ParallelBranches
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.preprocessing import StandardNormalVariate
from skl_nirs.utils import _parallel
from skl_nirs.utils._parallel import BudgetedParallel, format_plan

optuna.logging.set_verbosity(logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", category=FutureWarning, module="optuna")

CASES = (
    "branches",
    "branches-large",
    "search",
    "gil",
    "cold",
    "stacking",
    "warm",
    "fresh",
    "union",
    "threading",
    "nested",
    "probes",
    "gil-timeline",
)


def header(name, text):
    print(
        f"\n## {text}\n  (alone: python benchmarks/bench_dispatch.py --only {name}; "
        f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())})"
    )


def slow_repeats(args):
    """Rounds for the slow cases: ``--repeats`` if given, else 3 (2 with --quick)."""
    if args.repeats_given:
        return args.repeats
    return 2 if args.quick else 3


class Prefixed:
    """The verdicts of a reused case, their targets prefixed with our case letter."""

    def __init__(self, verdicts, prefix):
        self.verdicts, self.prefix = verdicts, prefix

    def add(self, target, *args, **kwargs):
        return self.verdicts.add(f"{self.prefix} {target}", *args, **kwargs)

    def info(self, target, *args, **kwargs):
        return self.verdicts.info(f"{self.prefix} {target}", *args, **kwargs)

    def check(self, target, *args, **kwargs):
        return self.verdicts.check(f"{self.prefix} {target}", *args, **kwargs)


# -- a. costly branches ------------------------------------------------------------


def case_branches(args, verdicts, large=False):
    n, p = (300, 700) if large else (200, 500)
    if args.quick:
        n, p = (150, 300) if large else (100, 300)
    name = "branches-large" if large else "branches"
    header(
        name,
        f"a. ParallelBranches, 4 costly branches (SNV+GB, MSC+GB, SG+SVR, SNV+RF), "
        f"final Ridge, cv=5, {n} x {p}",
    )
    X, y, _ = make_nirs_regression(n, p, random_state=0)
    plans, branch_times = {}, {}

    def pb(n_jobs):
        def run():
            est = ParallelBranches(
                costly_branches(), final_estimator=Ridge(), cv=5, n_jobs=n_jobs
            ).fit(X, y)
            plans[n_jobs] = est.parallel_plan_
            branch_times[n_jobs] = est.branch_fit_times_

        return run

    def stacking():
        StackingRegressor(
            costly_branches(), final_estimator=Ridge(), cv=5, n_jobs=2
        ).fit(X, y)

    cases = {
        "PB n_jobs=1": pb(1),
        "PB n_jobs=2": pb(2),
        "StackingRegressor n_jobs=2": stacking,
    }
    warm_loky()
    with threadpool_limits(limits=1):
        times = interleaved(cases, repeats=slow_repeats(args), warmup=0)
    print_times(times)
    plan = format_plan(plans[2])
    print(f"  plan PB n_jobs=2 (last run): {plan}")
    print(
        "  branch fit seconds (folds + refit, n_jobs=1): "
        + ", ".join(f"{k} {v:.2f}" for k, v in branch_times[1].items())
    )
    speed_up = ratio(times, "PB n_jobs=1", "PB n_jobs=2")
    vs_stacking = ratio(times, "StackingRegressor n_jobs=2", "PB n_jobs=2")
    print(
        f"  PB n_jobs=2 vs 1: {speed_up[0]:.2f}x; StackingRegressor(n_jobs=2) / "
        f"PB(n_jobs=2) time: {vs_stacking[0]:.2f}x"
    )
    tag = f"a {name} {n}x{p}:"
    verdicts.add(f"{tag} PB n_jobs=2 vs n_jobs=1", speed_up, 1.5, plan=plan)
    verdicts.add(f"{tag} StackingRegressor(n_jobs=2) / PB(n_jobs=2)", vs_stacking, 1.0)


# -- b. a search over costly fits --------------------------------------------------

GB_SPACE = {
    "gradientboostingregressor__max_depth": ("int", 2, 5),
    "gradientboostingregressor__learning_rate": ("float_log", 0.02, 0.3),
}


def forget_costs():
    """Forget the task costs measured by earlier fits in this process.

    A search run again finds its candidates' costs measured by its earlier run
    and sends their tasks to the pool at once (as the outer folds of a nested
    cross-validation do). The search cases time a first search in a process
    whose pool is warm: its first task is measured in the caller.
    """
    with _parallel._known_rates_lock:
        _parallel._known_rates.clear()


def gb_search(n_trials, n_jobs):
    pipe = make_pipeline(
        StandardNormalVariate(),
        GradientBoostingRegressor(n_estimators=40, random_state=0),
    )
    return OptunaSearchCV(
        pipe, GB_SPACE, n_trials=n_trials, cv=5, n_jobs=n_jobs, random_state=0
    )


def case_search(args, verdicts):
    n_trials = 4 if args.quick else 8
    header(
        "search",
        f"b. OptunaSearchCV, SNV + GradientBoosting(40 trees), 100 x 500, "
        f"{n_trials} trials, cv=5",
    )
    X, y, _ = make_nirs_regression(100, 500, random_state=0)
    plans = {}

    def ours(n_jobs):
        def run():
            forget_costs()  # each run a first search (see forget_costs)
            plans[n_jobs] = gb_search(n_trials, n_jobs).fit(X, y).parallel_plan_

        return run

    warm_loky()
    with threadpool_limits(limits=1):
        times = interleaved(
            {"OptunaSearchCV n_jobs=1": ours(1), "OptunaSearchCV n_jobs=2": ours(2)},
            repeats=args.repeats,
        )
    print_times(times)
    plan = format_plan(plans[2])
    print(f"  plan n_jobs=2 (last run): {plan}")
    speed_up = ratio(times, "OptunaSearchCV n_jobs=1", "OptunaSearchCV n_jobs=2")
    print(f"  n_jobs=2 vs 1: {speed_up[0]:.2f}x")
    verdicts.add("b search GB(40) 100x500: n_jobs=2 vs 1", speed_up, 1.6, plan=plan)


# -- c. a GIL-bound search ---------------------------------------------------------


GIL_SPACE = {"plsregression__n_components": ("int", 1, 20)}


def case_gil(args, verdicts):
    n_trials = 8 if args.quick else 20
    header(
        "gil",
        f"c. GIL-bound search: FunctionTransformer(pure-Python row-by-row SNV) -> "
        f"PLS(1-20), 200 x 300, {n_trials} trials, cv=5",
    )
    X, y, _ = make_nirs_regression(200, 300, random_state=0)
    info = {}

    def ours(n_jobs):
        def run():
            forget_costs()
            search = OptunaSearchCV(
                gil_pipeline(),
                GIL_SPACE,
                n_trials=n_trials,
                cv=5,
                n_jobs=n_jobs,
                random_state=0,
            ).fit(X, y)
            info[n_jobs] = (search.best_score_, search.parallel_plan_)

        return run

    def integration():
        search = IntegrationSearch(
            gil_pipeline(),
            {"plsregression__n_components": IntDistribution(1, 20)},
            n_trials=n_trials,
            cv=5,
            n_jobs=2,
            random_state=0,
        ).fit(X, y)
        info["integration"] = (search.best_score_, None)

    def machine(n_processes):
        # the machine's own ceiling: the search's fits, 40 in one process, or
        # 40 in each of two processes at once (no dispatch, no barrier)
        if n_processes == 1:
            return lambda: gil_fits(X, y, 40)
        return lambda: Parallel(n_jobs=2)(delayed(gil_fits)(X, y, 40) for _ in "ab")

    def grid(n_jobs):
        # the ceiling of one joblib call: the search's 16 distinct candidates x 5
        # folds, with no batches to wait for
        candidates = {"plsregression__n_components": list(range(1, 17))}
        return lambda: GridSearchCV(gil_pipeline(), candidates, n_jobs=n_jobs).fit(X, y)

    warm_loky()
    with threadpool_limits(limits=1):
        transform = interleaved({"snv": lambda: python_snv(X)}, 5)
        print(f"  python_snv on 200 x 300: {med(transform['snv']) * 1e3:.1f} ms")
        times = interleaved(
            {
                "ours n_jobs=1": ours(1),
                "ours n_jobs=2": ours(2),
                "optuna-integration n_jobs=2": integration,
                "GridSearchCV n_jobs=1": grid(1),
                "GridSearchCV n_jobs=2": grid(2),
                "40 fits, one process": machine(1),
                "2 x 40 fits, two processes at once": machine(2),
            },
            repeats=args.repeats,
        )
    print_times(times)
    plan = format_plan(info[2][1])
    print(f"  plan ours n_jobs=2 (last run): {plan}")
    print(
        "  best scores: "
        + ", ".join(f"{k}: {v[0]:.4f}" for k, v in sorted(info.items(), key=str))
    )
    speed_up = ratio(times, "ours n_jobs=1", "ours n_jobs=2")
    vs_integration = ratio(times, "optuna-integration n_jobs=2", "ours n_jobs=2")
    print(
        f"  ours n_jobs=2 vs 1: {speed_up[0]:.2f}x; optuna-integration(n_jobs=2) / "
        f"ours(n_jobs=2) time: {vs_integration[0]:.2f}x"
    )
    verdicts.add("c GIL-bound 200x300: n_jobs=2 vs 1", speed_up, 1.6, plan=plan)
    verdicts.add(
        "c GIL-bound: optuna-integration(n_jobs=2) / ours(n_jobs=2)",
        vs_integration,
        1.5,
    )
    verdicts.info(
        "c GIL-bound: GridSearchCV n_jobs=2 vs 1, the 80 fits in one call",
        f"{ratio(times, 'GridSearchCV n_jobs=1', 'GridSearchCV n_jobs=2')[0]:.2f}x",
        "reported (ceiling)",
    )
    one, two = (
        med(times[name])
        for name in ("40 fits, one process", "2 x 40 fits, two processes at once")
    )
    verdicts.info(
        "c GIL-bound: the same fits in two processes at once vs one",
        f"{2 * one / two:.2f}x",
        "reported (the machine's ceiling)",
    )
    # how much of that ceiling the dispatch and the batches leave
    verdicts.info(
        "c GIL-bound: ours n_jobs=2 vs 1, share of the machine's ceiling",
        f"{speed_up[0] / (2 * one / two):.0%}",
        "reported",
    )
    verdicts.info(
        "c GIL-bound: GridSearchCV(n_jobs=2) / ours(n_jobs=2) time",
        f"{ratio(times, 'GridSearchCV n_jobs=2', 'ours n_jobs=2')[0]:.2f}x",
        "reported",
    )


# A user script running search b or c from its first import, printing its plan
# (``_common`` is on the path of the child and of its loky workers).
COLD = """
import time
start = time.perf_counter()
import json, logging
import optuna
from sklearn.cross_decomposition import PLSRegression
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.parallel import Parallel, delayed
from threadpoolctl import threadpool_limits
from _common import python_snv
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.preprocessing import StandardNormalVariate
from skl_nirs.utils._parallel import format_plan
optuna.logging.set_verbosity(logging.WARNING)
X, y, _ = make_nirs_regression({n}, {p}, random_state=0)
pipe, space = {pipeline}, {space!r}
search = OptunaSearchCV(
    pipe, space, n_trials={n_trials}, cv=5, n_jobs={n_jobs}, random_state=0
)
with threadpool_limits(limits=1):
    search.fit(X, y)
print(json.dumps({{"inside": time.perf_counter() - start,
                   "plan": format_plan(search.parallel_plan_)}}))
"""
GB_PIPELINE = (
    "make_pipeline(StandardNormalVariate(), "
    "GradientBoostingRegressor(n_estimators=40, random_state=0))"
)
GIL_PIPELINE = "make_pipeline(FunctionTransformer(python_snv), PLSRegression())"


def case_cold(args, verdicts):
    rounds = 2 if args.quick else 3
    header(
        "cold",
        f"c'. searches b and c in fresh processes (cold pool), whole-process wall "
        f"time, median of {rounds} interleaved rounds after one untimed round",
    )
    configs = {
        "b search GB(40)": (GB_PIPELINE, GB_SPACE, 100, 500, 4 if args.quick else 8),
        "c GIL-bound": (GIL_PIPELINE, GIL_SPACE, 200, 300, 8 if args.quick else 20),
    }
    walls = {(k, j): [] for k in configs for j in (1, 2)}
    inside, plans = {key: [] for key in walls}, {}
    for i in range(rounds + 1):
        for (label, n_jobs), values in walls.items():
            pipeline, space, n, p, n_trials = configs[label]
            code = COLD.format(
                pipeline=pipeline,
                space=space,
                n=n,
                p=p,
                n_trials=n_trials,
                n_jobs=n_jobs,
            )
            wall, out = run_python(code)
            result = json.loads(out.strip().splitlines()[-1])
            plans[(label, n_jobs)] = result["plan"]
            if i:
                values.append(wall)
                inside[(label, n_jobs)].append(result["inside"])
    print(f"  {'case':<28} {'process wall s':>15} {'import..fit s':>14}")
    for label, n_jobs in walls:
        print(
            f"  {label + f' n_jobs={n_jobs}':<28} {med(walls[(label, n_jobs)]):>15.3f} "
            f"{med(inside[(label, n_jobs)]):>14.3f}"
        )
    print(f"  load average after the runs: {os.getloadavg()[0]:.2f}")
    for label in configs:
        speed_up = med(walls[(label, 1)]) / med(walls[(label, 2)])
        plan = plans[(label, 2)]
        print(f"  {label}: n_jobs=2 vs 1 {speed_up:.2f}x; plan n_jobs=2: {plan}")
        verdicts.info(
            f"c' {label}, fresh process: n_jobs=2 vs 1",
            f"{speed_up:.2f}x",
            "reported",
            plan=plan,
        )


# -- d, e. cases of bench_branches.py and bench_budget.py -----------------------------


def case_stacking(args, verdicts):
    header("stacking", "d. stacking of unequal branches (bench_branches.py case 2)")
    warm_loky()
    bench_branches.case_stacking(args, Prefixed(verdicts, "d"), target=1.6)


def case_warm(args, verdicts):
    header("warm", "e. cheap branches, warm pool (bench_budget.py case 2a)")
    warm_loky()
    bench_budget.case_small_warm(args, Prefixed(verdicts, "e"))


def case_fresh(args, verdicts):
    header("fresh", "e. cheap branches, fresh process (bench_budget.py case 2b)")
    bench_budget.case_small_fresh(args, Prefixed(verdicts, "e"))


def case_union(args, verdicts):
    header("union", "e. union 5 000 x 1 500 (bench_branches.py case 1)")
    warm_loky()
    bench_branches.case_union(args, Prefixed(verdicts, "e"))


def case_threading(args, verdicts):
    header("threading", "e. threading backend, default BLAS (bench_budget.py case 3)")
    for solver in ("full", "randomized"):
        bench_budget.case_threading(args, Prefixed(verdicts, "e"), solver)


def case_nested(args, verdicts):
    header("nested", "e. nested search (bench_budget.py case 1)")
    warm_loky()
    nested_args = copy.copy(args)
    nested_args.repeats = slow_repeats(args)
    bench_budget.case_nested(nested_args, Prefixed(verdicts, "e"))


# -- probes behind the findings (README, issue 11) ---------------------------------


def _noop(X):
    return X.shape


def _forced(forced):
    """``parallel_config(backend="loky")`` (workers forced) or nothing."""
    return parallel_config(backend="loky") if forced else contextlib.nullcontext()


def case_probes(args, verdicts):
    """Not targets: the measurements behind the diagnosis of the FAILs."""
    header("probes", "probes: joblib's call cost, the caller's probe task, batches")
    warm_loky()
    X, y, _ = make_nirs_regression(500, 700, random_state=0)
    times = []
    for _ in range(10):
        start_time = time.perf_counter()
        Parallel(n_jobs=2)(delayed(_noop)(X) for _ in range(4))
        times.append(time.perf_counter() - start_time)
    print(
        "  raw Parallel(n_jobs=2), 4 no-op tasks taking a 500 x 700 X (2.8 MB, "
        "memory-mapped), warm pool, 10 calls: "
        + ", ".join(f"{t:.3f}" for t in times)
        + " s"
    )
    n, p = (1_000, 500) if args.quick else (5_000, 1_500)
    X, _, _ = make_nirs_regression(n, p, random_state=0)
    plans = {}

    def pb(n_jobs, forced=False):
        def run():
            est = ParallelBranches(transformer_branches(), n_jobs=n_jobs)
            with (
                parallel_config(backend="loky") if forced else contextlib.nullcontext()
            ):
                est.fit_transform(X)
            plans[(n_jobs, forced)] = est.parallel_plan_

        return run

    with threadpool_limits(limits=1):
        times = interleaved(
            {
                "PB n_jobs=1": pb(1),
                "PB n_jobs=2 (auto)": pb(2),
                "PB n_jobs=2, workers forced": pb(2, True),
                "FeatureUnion n_jobs=2": lambda: FeatureUnion(
                    transformer_branches(), n_jobs=2
                ).fit_transform(X),
            },
            repeats=args.repeats,
        )
    print(f"  union {n} x {p}: the caller's first task beside two workers")
    print_times(times)
    for key in ((2, False), (2, True)):
        print(
            f"  plan n_jobs=2{', forced' if key[1] else ''}: {format_plan(plans[key])}"
        )
    X, y, _ = make_nirs_regression(200, 300, random_state=0)

    def gil(n_jobs, forced=False, **params):
        def run():
            forget_costs()
            search = OptunaSearchCV(
                gil_pipeline(),
                GIL_SPACE,
                n_trials=20,
                cv=5,
                n_jobs=n_jobs,
                random_state=0,
                **params,
            )
            with (
                parallel_config(backend="loky") if forced else contextlib.nullcontext()
            ):
                search.fit(X, y)

        return run

    with threadpool_limits(limits=1):
        times = interleaved(
            {
                "GIL search n_jobs=1": gil(1),
                "GIL search n_jobs=2 (auto)": gil(2),
                "GIL search n_jobs=2, workers forced": gil(2, True),
                "GIL search n_jobs=2, batch_size=20": gil(2, batch_size=20),
            },
            repeats=args.repeats,
        )
    print("  GIL-bound search c: 3 maps of batch_size=8 against one map")
    print_times(times)


def case_gil_timeline(args, verdicts):
    """Where the GIL-bound search's time goes: each batch's map, and the rest."""
    header("gil-timeline", "c''. GIL-bound search (case c), timed batch by batch")
    X, y, _ = make_nirs_regression(200, 300, random_state=0)
    maps = []
    plain_map = BudgetedParallel.map

    def timed_map(self, func, arg_tuples, **kwargs):
        start = time.perf_counter()
        out = plain_map(self, func, arg_tuples, **kwargs)
        maps.append((len(arg_tuples), time.perf_counter() - start))
        return out

    warm_loky()
    BudgetedParallel.map = timed_map
    try:
        with threadpool_limits(limits=1):
            for _ in range(args.repeats or 3):
                for n_jobs in (1, 2):
                    maps.clear()
                    forget_costs()
                    search = OptunaSearchCV(
                        gil_pipeline(), GIL_SPACE, n_trials=20, cv=5,
                        n_jobs=n_jobs, random_state=0,
                    )  # fmt: skip
                    start = time.perf_counter()
                    search.fit(X, y)
                    total = time.perf_counter() - start
                    plan = search.parallel_plan_
                    batches = ", ".join(f"{n} tasks {s:.3f} s" for n, s in maps)
                    print(
                        f"  n_jobs={n_jobs}: {total:.3f} s; batches: {batches}; "
                        f"outside them {total - sum(s for _, s in maps):.3f} s; "
                        f"task seconds: caller {plan['caller_seconds']:.3f}, "
                        f"workers {plan['worker_seconds']:.3f}"
                    )
    finally:
        BudgetedParallel.map = plain_map


RUNNERS = {
    "branches": case_branches,
    "branches-large": lambda args, verdicts: case_branches(args, verdicts, True),
    "search": case_search,
    "gil": case_gil,
    "cold": case_cold,
    "stacking": case_stacking,
    "warm": case_warm,
    "fresh": case_fresh,
    "union": case_union,
    "threading": case_threading,
    "nested": case_nested,
    "probes": case_probes,
    "gil-timeline": case_gil_timeline,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few runs")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=CASES,
        default=[c for c in CASES if c not in ("probes", "gil-timeline")],
        help="cases to run (default: all but the probes)",
    )
    args = parser.parse_args()
    args.repeats_given = args.repeats is not None
    verdicts = start("bench_dispatch", args, 2)
    for name in CASES:
        if name in args.only:
            RUNNERS[name](args, verdicts)
    verdicts.print()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
