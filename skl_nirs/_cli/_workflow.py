"""The modelling of ``skl-nirs fit`` and ``demo``: compare, estimate, refit.

Candidates are scatter correction x derivative x model pipelines
(``make_branch_grid``), each at ``--n-trials`` values of its model's main
parameter (PLS components, ridge alpha). One ``OptunaSearchCV`` over the choice
of candidate (``refit=False``) scores them all on the same folds; it stops at the
first perfect candidate. The error of the whole procedure on new data is
estimated by nested cross-validation: the same search is run again inside each
outer training fold and scored on the outer test fold.
"""

import time
import warnings

import numpy as np
import optuna
from sklearn.base import clone
from sklearn.metrics import accuracy_score, root_mean_squared_error
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from skl_nirs.model_selection import OptunaSearchCV

from . import CommandError
from ._console import Progress, one_line


class StopWhenPerfect(optuna.samplers.BruteForceSampler):
    """Every candidate once, in random order; stop at a perfect score."""

    def __init__(self, perfect, seed=0):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            super().__init__(seed=seed)
        self.perfect = perfect

    def after_trial(self, study, trial, state, values):
        super().after_trial(study, trial, state, values)
        if values and values[0] >= self.perfect:
            study.stop()  # (OptunaSearchCV ends the search as for a grid)


def candidates(task, n_features, max_components, n_values):
    """``{id(pipeline): (name, setting, pipeline)}``: every branch at each value
    of its model's main parameter."""
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.linear_model import Ridge, RidgeClassifier

    from skl_nirs.compose import make_branch_grid
    from skl_nirs.cross_decomposition import PLSDiscriminantAnalysis
    from skl_nirs.preprocessing import (
        MultiplicativeScatterCorrection,
        SavitzkyGolay,
        StandardNormalVariate,
    )

    if task == "regression":
        models = {"pls": PLSRegression(), "ridge": Ridge()}
    else:
        models = {"plsda": PLSDiscriminantAnalysis(), "ridge": RidgeClassifier()}
    derivatives = {"raw": "passthrough"}
    if n_features >= 5:
        window = min(11, n_features - (1 - n_features % 2))
        derivatives["sg1"] = SavitzkyGolay(window, 2, deriv=1)
    scatter = {
        "none": "passthrough",
        "snv": StandardNormalVariate(),
        "msc": MultiplicativeScatterCorrection(),
    }
    components = np.geomspace(1, max_components, n_values).round().astype(int)
    values = {
        "n_components": np.unique(components).tolist(),
        "alpha": np.logspace(-6, 2, n_values).tolist(),
    }
    branches = make_branch_grid(scatter=scatter, derivative=derivatives, model=models)
    found = {}
    for name, branch in branches:
        parameter = "alpha" if name.endswith("ridge") else "n_components"
        for value in values[parameter]:
            pipeline = clone(branch).set_params(**{f"model__{parameter}": value})
            found[id(pipeline)] = (name, f"{parameter}={value:.3g}", pipeline)
    return found


def make_cv(task, n_splits, random_state):
    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits, shuffle=True, random_state=random_state)


def make_search(task, pipelines, args, *, refit, progress):
    """The comparison: one OptunaSearchCV over the choice of candidate."""
    return OptunaSearchCV(
        Pipeline([("candidate", pipelines[0])]),
        {"candidate": pipelines},
        n_trials=len(pipelines),
        scoring="neg_root_mean_squared_error" if task == "regression" else "accuracy",
        refit=refit,
        cv=make_cv(task, args.cv, args.random_state),
        n_jobs=args.n_jobs,
        batch_size=16,
        sampler=StopWhenPerfect(1.0 if task == "classification" else 0.0),
        callbacks=[progress],
    )


def score(task, y_true, y_pred):
    if task == "regression":
        return root_mean_squared_error(y_true, y_pred.astype(np.float64))
    return accuracy_score(y_true, y_pred)


def leaderboard(search, found, sign):
    """Best score and setting of each candidate, best first."""
    results = search.cv_results_
    best = {}
    for params, value in zip(results["params"], results["mean_test_score"]):
        name, setting, _ = found[id(params["candidate"])]
        if np.isfinite(value) and value > best.get(name, (-np.inf,))[0]:
            best[name] = (value, setting)
    rows = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    return [
        {"candidate": name, "selection_score": sign * value, "setting": setting}
        for name, (value, setting) in rows
    ]


def compare_and_fit(X, y, task, args, console):
    """Select, estimate and refit.

    Returns the ``--summary`` record, the dict saved as the model, and the
    out-of-fold predictions of the whole procedure.
    """
    start = time.perf_counter()
    n_inner = len(y) * (args.outer_cv - 1) // args.outer_cv * (args.cv - 1) // args.cv
    max_components = min(args.max_components, X.shape[1], max(1, n_inner - 1))
    found = candidates(task, X.shape[1], max_components, args.n_trials)
    pipelines = [pipeline for _, _, pipeline in found.values()]
    console.note(
        f"comparing {len(pipelines)} pipelines ({args.cv}-fold CV), then estimating "
        f"the error on new data ({args.outer_cv}-fold nested CV) ..."
    )
    sign = -1.0 if task == "regression" else 1.0
    outer = make_cv(task, args.outer_cv, args.random_state + 1)
    progress = Progress("comparing, then nested CV", (1 + args.outer_cv) * len(found))
    with warnings.catch_warnings(), progress.bar:
        # the candidates' warnings: shown once by the final fit
        if not args.verbose:
            warnings.simplefilter("ignore")
        search = make_search(task, pipelines, args, refit=False, progress=progress)
        scores = search.fit(X, y).cv_results_["mean_test_score"]
        if not np.isfinite(scores).any():
            raise CommandError("every candidate failed (--verbose shows why).")
        nested = make_search(task, pipelines, args, refit=True, progress=progress)
        predictions = cross_val_predict(nested, X, y, cv=outer)
    folds = [score(task, y[test], predictions[test]) for _, test in outer.split(X, y)]
    bundle = final_model(search.best_params_["candidate"], X, y, task, args)
    summary = {
        "metric": "rmse" if task == "regression" else "accuracy",
        "selection_score": sign * search.best_score_,
        "estimate": float(np.mean(folds)),
        "estimate_sd": float(np.std(folds)),
        "estimate_method": (
            f"nested cross-validation: the whole selection repeated in each of "
            f"{args.outer_cv} outer folds ({args.cv}-fold CV inside), scored on "
            "the outer test fold; mean over the outer folds"
        ),
        "pipeline": one_line(repr(bundle["model"])),
        "candidates_failed": int(np.sum(~np.isfinite(scores))),
        "leaderboard": leaderboard(search, found, sign),
        "seconds": round(time.perf_counter() - start, 2),
    }
    return summary, bundle, predictions


def final_model(best, X, y, task, args):
    """The chosen candidate refitted on all of ``X``, with its applicability
    domain and, for classes without ``predict_proba``, calibrated probabilities."""
    from sklearn.calibration import CalibratedClassifierCV

    from skl_nirs.outliers import ApplicabilityDomain

    model = clone(best).fit(X, y)
    bundle = {
        "model": model,
        "domain": ApplicabilityDomain().fit(model[:-1].transform(X)),
    }
    if task == "classification" and not hasattr(model, "predict_proba"):
        cv = make_cv(task, args.cv, args.random_state)
        calibrated = CalibratedClassifierCV(clone(best), cv=cv, ensemble=False)
        bundle["proba"] = calibrated.fit(X, y)
    return bundle
