"""The modelling of ``skl-nirs fit`` and ``demo``: compare, estimate, refit.

Candidates are scatter correction x derivative x model pipelines
(``make_branch_grid``), each at ``--n-trials`` values of its model's main
parameter (PLS components, ridge alpha). One ``OptunaSearchCV`` over the choice
of candidate (``refit=False``) scores them all on the same folds; it stops at the
first perfect candidate. The error of the whole procedure on new data is
estimated by nested cross-validation: the same search is run again inside each
outer training fold and scored on the outer test fold.
"""

import sys
import time
import warnings

import numpy as np
import optuna
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge, RidgeClassifier
from sklearn.metrics import accuracy_score, root_mean_squared_error
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from tqdm import tqdm

from skl_nirs import preprocessing
from skl_nirs.compose import make_branch_grid
from skl_nirs.cross_decomposition import PLSDiscriminantAnalysis
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.outliers import ApplicabilityDomain
from skl_nirs.utils._parallel import format_plan

from ._console import PROG, CommandError, one_line


class StopWhenPerfect(optuna.samplers.BruteForceSampler):
    """Every candidate once, in random order; stop at a perfect score.

    (Optuna warns that BruteForceSampler is experimental: ``--verbose`` shows it.)
    """

    def __init__(self, perfect):
        super().__init__(seed=0)
        self.perfect = perfect

    def after_trial(self, study, trial, state, values):
        super().after_trial(study, trial, state, values)
        if values and values[0] >= self.perfect:
            study.stop()  # (OptunaSearchCV ends the search as for a grid)


def candidates(task, n_features, max_components, n_values):
    """``{pipeline: (name, setting)}``: every branch at each value of its model's
    main parameter."""
    if task == "regression":
        models = {"pls": PLSRegression(), "ridge": Ridge()}
    else:
        models = {"plsda": PLSDiscriminantAnalysis(), "ridge": RidgeClassifier()}
    derivatives = {"raw": "passthrough"}
    if n_features >= 5:  # the widest odd window up to 11
        window = min(11, n_features - 1 + n_features % 2)
        derivatives["sg1"] = preprocessing.SavitzkyGolay(window, 2, deriv=1)
    scatter = {
        "none": "passthrough",
        "snv": preprocessing.StandardNormalVariate(),
        "msc": preprocessing.MultiplicativeScatterCorrection(),
    }
    components = np.geomspace(1, max_components, n_values).round().astype(int)
    values = {"n_components": np.unique(components).tolist()}
    values["alpha"] = np.logspace(-6, 2, n_values).tolist()
    branches = make_branch_grid(scatter=scatter, derivative=derivatives, model=models)
    found = {}
    for name, branch in branches:
        parameter = "alpha" if name.endswith("ridge") else "n_components"
        for value in values[parameter]:
            pipeline = clone(branch).set_params(**{f"model__{parameter}": value})
            found[pipeline] = (name, f"{parameter}={value:.3g}")
    return found


def make_cv(task, n_splits, random_state):
    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits, shuffle=True, random_state=random_state)


# the metric of each task, ``metric(y_true, y_pred)``
METRICS = {"regression": root_mean_squared_error, "classification": accuracy_score}


def leaderboard(search, found, sign):
    """Best score and setting of each candidate, best first."""
    results = search.cv_results_
    rows = {}
    for i in np.argsort(results["rank_test_score"], kind="stable"):
        name, setting = found[results["params"][i]["candidate"]]
        value = sign * results["mean_test_score"][i]
        if np.isfinite(value) and name not in rows:
            rows[name] = dict(candidate=name, selection_score=value, setting=setting)
    return list(rows.values())


def compare_and_fit(X, y, task, args, console):
    """Select, estimate and refit.

    Returns the ``--summary`` record, the dict saved as the model (the chosen
    candidate refitted on all of ``X``, its applicability domain and, for
    classes, calibrated probabilities), and the out-of-fold predictions of the
    whole procedure.
    """
    start = time.perf_counter()
    regression = task == "regression"
    n_inner = len(y) * (args.outer_cv - 1) // args.outer_cv * (args.cv - 1) // args.cv
    max_components = min(args.max_components, X.shape[1], max(1, n_inner - 1))
    found = candidates(task, X.shape[1], max_components, args.n_trials)
    pipelines = list(found)
    then = f"then estimating the error on new data ({args.outer_cv}-fold nested CV)"
    console.note(f"comparing {len(found)} pipelines ({args.cv}-fold CV), {then} ...")
    total = (1 + args.outer_cv) * len(found)
    bar = tqdm(desc=f"{PROG}: comparing, then nested CV", total=total, disable=None)
    outer = make_cv(task, args.outer_cv, args.random_state + 1)
    with warnings.catch_warnings(), bar:  # (no bar off a terminal)
        # the candidates' warnings: shown once by the final fit
        if not args.verbose:
            warnings.simplefilter("ignore")
        search = OptunaSearchCV(
            Pipeline([("candidate", pipelines[0])]),
            {"candidate": pipelines},
            n_trials=len(pipelines),
            scoring="neg_root_mean_squared_error" if regression else "accuracy",
            refit=False,
            cv=make_cv(task, args.cv, args.random_state),
            n_jobs=args.n_jobs,
            batch_size=16,
            sampler=StopWhenPerfect(0.0 if regression else 1.0),
            # an Optuna callback; a function, so that the copies of the search
            # (nested CV) share it and one bar counts the trials of all of them
            callbacks=[lambda study, trial: bar.update()],
        )
        scores = search.fit(X, y).cv_results_["mean_test_score"]
        if not np.isfinite(scores).any():
            raise CommandError("every candidate failed (--verbose shows why).")
        if args.verbose:  # where the fits ran, and why
            with tqdm.external_write_mode(file=sys.stderr):  # (beside the bar)
                console.note(f"comparison: {format_plan(search.parallel_plan_)}")
        nested = clone(search).set_params(refit=True)
        predictions = cross_val_predict(nested, X, y, cv=outer)
    folds = [METRICS[task](y[test], predictions[test]) for _, test in outer.split(X, y)]
    best = search.best_params_["candidate"]
    model = clone(best).fit(X, y)
    domain = ApplicabilityDomain().fit(model[:-1].transform(X))
    bundle = {"model": model, "domain": domain}
    if task == "classification":  # PLS-DA and RidgeClassifier have no predict_proba
        cv = make_cv(task, args.cv, args.random_state)
        calibrated = CalibratedClassifierCV(clone(best), cv=cv, ensemble=False)
        bundle["proba"] = calibrated.fit(X, y)
    sign = -1.0 if regression else 1.0
    summary = {
        "metric": "rmse" if regression else "accuracy",
        "selection_score": sign * search.best_score_,
        "estimate": float(np.mean(folds)),
        "estimate_sd": float(np.std(folds)),
        "estimate_method": (
            f"nested cross-validation: the selection ({args.cv}-fold CV) repeated in "
            f"{args.outer_cv} outer training folds, scored on their test folds (mean)"
        ),
        "pipeline": one_line(repr(bundle["model"])),
        "candidates_failed": int(np.sum(~np.isfinite(scores))),
        "leaderboard": leaderboard(search, found, sign),
        "seconds": round(time.perf_counter() - start, 2),
    }
    return summary, bundle, predictions
