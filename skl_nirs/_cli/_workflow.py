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
from dataclasses import dataclass

import numpy as np
import optuna
from sklearn.base import clone
from sklearn.metrics import accuracy_score, root_mean_squared_error
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from skl_nirs.model_selection import OptunaSearchCV

from ._console import Progress
from ._files import CommandError

MAIN_PARAMETER = {"pls": "n_components", "plsda": "n_components", "ridge": "alpha"}


class StopWhenPerfect(optuna.samplers.BaseSampler):
    """Every candidate once, in random order; stop at a perfect score."""

    def __init__(self, perfect, seed):
        self.perfect = perfect
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.sampler = optuna.samplers.BruteForceSampler(seed=seed)

    def infer_relative_search_space(self, study, trial):
        return self.sampler.infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self.sampler.sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, name, distribution):
        return self.sampler.sample_independent(study, trial, name, distribution)

    def after_trial(self, study, trial, state, values):
        self.sampler.after_trial(study, trial, state, values)
        if values and values[0] >= self.perfect:
            study.stop()  # (OptunaSearchCV ends the search as for a grid)


@dataclass
class Result:
    """What ``fit`` reports and saves."""

    metric: str
    selection_score: float
    estimate: float
    estimate_sd: float
    estimate_method: str
    predictions: np.ndarray  # out-of-fold predictions of the whole procedure
    leaderboard: list  # (candidate, score, setting), best first
    n_evaluated: int
    n_failed: int
    search: OptunaSearchCV
    bundle: dict  # the saved model
    test_score: float | None = None
    seconds: float = 0.0


def candidates(task, n_features, max_components, n_values):
    """``[(name, setting, pipeline)]``: every branch at each value of its main
    parameter."""
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
    branches = make_branch_grid(
        scatter={
            "none": "passthrough",
            "snv": StandardNormalVariate(),
            "msc": MultiplicativeScatterCorrection(),
        },
        derivative=derivatives,
        model=models,
    )
    values = {
        "n_components": np.unique(
            np.geomspace(1, max_components, n_values).round().astype(int)
        ).tolist(),
        "alpha": np.logspace(-6, 2, n_values).tolist(),
    }
    out = []
    for name, pipeline in branches:
        parameter = MAIN_PARAMETER[name.rsplit("_", 1)[1]]
        for value in values[parameter]:
            params = {f"model__{parameter}": value}
            setting = f"{parameter}={value:.3g}"
            out.append((name, setting, clone(pipeline).set_params(**params)))
    return out


def make_cv(task, n_splits, random_state):
    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits, shuffle=True, random_state=random_state)


def make_search(task, pipelines, args, *, refit, progress=None):
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
        sampler=StopWhenPerfect(1.0 if task == "classification" else 0.0, 0),
        callbacks=None if progress is None else [progress],
    )


def score(task, y_true, y_pred):
    if task == "regression":
        return root_mean_squared_error(y_true, y_pred.astype(np.float64))
    return accuracy_score(y_true, y_pred)


def leaderboard(search, names, sign):
    """Best score and setting of each candidate, best first; failures counted."""
    results = search.cv_results_
    best, failed = {}, 0
    for params, value in zip(results["params"], results["mean_test_score"]):
        if not np.isfinite(value):
            failed += 1
            continue
        name, setting = names[id(params["candidate"])]
        if name not in best or value > best[name][0]:
            best[name] = (value, setting)
    rows = sorted(best.items(), key=lambda item: -item[1][0])
    return [(name, sign * value, setting) for name, (value, setting) in rows], failed


def compare_and_fit(X, y, task, args, console):
    """Select, estimate and refit: the ``Result`` of ``fit`` (model unsaved)."""
    from skl_nirs.outliers import ApplicabilityDomain

    start = time.perf_counter()
    n_inner = len(y) * (args.outer_cv - 1) // args.outer_cv * (args.cv - 1) // args.cv
    max_components = min(args.max_components, X.shape[1], max(1, n_inner - 1))
    found = candidates(task, X.shape[1], max_components, args.n_trials)
    names = {id(pipeline): (name, setting) for name, setting, pipeline in found}
    pipelines = [pipeline for _, _, pipeline in found]
    n_branches = len({name for name, _, _ in found})
    console.note(
        f"comparing {n_branches} candidates at up to {args.n_trials} settings each "
        f"({len(pipelines)} pipelines, {args.cv}-fold CV) ..."
    )
    sign = -1.0 if task == "regression" else 1.0
    progress = Progress("comparing", len(pipelines))
    with console.quiet_workers():
        search = make_search(task, pipelines, args, refit=False, progress=progress)
        search.fit(X, y)
        progress.close()
        rows, failed = leaderboard(search, names, sign)
        if not rows:
            raise CommandError("every candidate failed (--verbose shows why).")
        console.note(
            f"estimating the error on new data: {args.outer_cv}-fold nested CV ..."
        )
        outer = make_cv(task, args.outer_cv, args.random_state + 1)
        progress = Progress("nested CV", args.outer_cv * len(pipelines))
        nested = make_search(task, pipelines, args, refit=True, progress=progress)
        predictions = cross_val_predict(nested, X, y, cv=outer)
        progress.close()
    folds = [score(task, y[test], predictions[test]) for _, test in outer.split(X, y)]
    best = search.best_params_["candidate"]
    model = clone(best).fit(X, y)
    bundle = {
        "model": model,
        "domain": ApplicabilityDomain().fit(model[:-1].transform(X)),
        "task": task,
    }
    if task == "classification" and not hasattr(model, "predict_proba"):
        from sklearn.calibration import CalibratedClassifierCV

        cv = make_cv(task, args.cv, args.random_state)
        bundle["proba"] = CalibratedClassifierCV(
            clone(best), cv=cv, ensemble=False
        ).fit(X, y)
    return Result(
        metric="rmse" if task == "regression" else "accuracy",
        selection_score=sign * search.best_score_,
        estimate=float(np.mean(folds)),
        estimate_sd=float(np.std(folds)),
        estimate_method=(
            f"nested cross-validation: the whole selection repeated in each of "
            f"{args.outer_cv} outer folds ({args.cv}-fold CV inside), scored on "
            "the outer test fold; mean over the outer folds"
        ),
        predictions=predictions,
        leaderboard=rows,
        n_evaluated=len(search.cv_results_["params"]),
        n_failed=failed,
        search=search,
        bundle=bundle,
        seconds=time.perf_counter() - start,
    )
