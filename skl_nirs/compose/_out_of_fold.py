"""The work of ParallelBranches done in workers, and the out-of-fold assembly.

A branch is fitted by tasks: one per fold of ``cv`` for a predictor branch
(its out-of-fold output), and one on all rows (the branch used on new data).
The functions here run in joblib workers; the rest puts their results together.
"""

import copy
import os
import time
import warnings
from contextlib import nullcontext
from typing import NamedTuple

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array

from skl_nirs.utils._compat import _check_method_params
from skl_nirs.utils._parallel import capped_n_jobs


class BranchTask(NamedTuple):
    """One fit of a branch: on a fold (``train``, ``test``) or on all rows."""

    name: str
    estimator: object  # a clone, fitted by the task
    y: object
    params: dict  # fit parameters for all rows (indexed for a fold)
    train: object = None  # None: all rows
    test: object = None
    method: str = None  # output asked for: on a fold, the predictions' method;
    # on all rows, "transform" to keep the transform output, else None


class BranchResult(NamedTuple):
    """What a task gives back."""

    output: object = None  # fold predictions, or the transform output
    fitted: object = None  # the branch fitted on all rows
    classes: object = None  # a fold's classes_, to align its columns
    seconds: float = 0.0
    error: Exception = None  # the branch failed (on_error="warn")


def with_branch_name(exc, name):
    """A copy of ``exc``, same type, whose message starts with the branch name."""
    prefix = f"Branch {name!r} failed"
    try:
        renamed = copy.copy(exc)
        if exc.args and isinstance(exc.args[0], str):
            renamed.args = (f"{prefix}: {exc.args[0]}", *exc.args[1:])
        else:
            renamed.args = (f"{prefix}: {exc}", *exc.args[1:])
    except Exception:  # an exception type that cannot be copied: keep it as is
        return exc
    return renamed.with_traceback(exc.__traceback__)


def fit_branch_task(X, task, on_error):
    """Fit one branch on all rows or on one fold (a joblib task)."""
    start = time.perf_counter()
    estimator = task.estimator
    try:
        with capped_n_jobs(estimator):
            if task.train is None:
                if task.method == "transform":
                    output = estimator.fit_transform(X, task.y, **task.params)
                    return BranchResult(output, estimator, None, _since(start))
                estimator.fit(X, task.y, **task.params)
                return BranchResult(None, estimator, None, _since(start))
            y_train = None if task.y is None else _safe_indexing(task.y, task.train)
            params = _check_method_params(X, task.params, indices=task.train)
            estimator.fit(_safe_indexing(X, task.train), y_train, **params)
            output = getattr(estimator, task.method)(_safe_indexing(X, task.test))
            classes = getattr(estimator, "classes_", None)
            return BranchResult(output, None, classes, _since(start))
    except Exception as exc:
        if on_error == "raise":
            raise with_branch_name(exc, task.name) from None
        return BranchResult(seconds=_since(start), error=exc)


def lost_branch_task(error):
    """The result of a task whose worker died, under ``on_error="warn"``."""
    return BranchResult(error=error)


def branch_output(X, name, estimator, method, owner_pid):
    """Output of a fitted branch on new rows (a joblib task).

    In another process than the owner's, the branch is a private copy whose
    ``n_jobs`` can be capped to the worker's share; a branch shared with the
    caller (threads, sequential) is left untouched.
    """
    private = os.getpid() != owner_pid
    try:
        with capped_n_jobs(estimator) if private else nullcontext():
            return getattr(estimator, method)(X)
    except Exception as exc:
        raise with_branch_name(exc, name) from None


def _since(start):
    return time.perf_counter() - start


# -- targets ---------------------------------------------------------------------


class Targets(NamedTuple):
    """What the branches and the final estimator learn (see :func:`targets`)."""

    classes: object  # classifier branches (and cv's stratification)
    values: object  # regressor branches
    final: object  # the final estimator
    codes: object = None  # the LabelCodes of the labels, when encoded
    dummies: bool = False  # whether ``values`` is the dummy matrix of the classes


def targets(y, estimators, final_estimator):
    """What classifier branches, regressor branches and the final estimator learn.

    Classifier branches learn the labels encoded as ``0 .. n_classes - 1``, so
    that their predictions are numbers whatever the labels (as in
    StackingClassifier). Regressor branches that learn class labels -- with a
    final classifier, or text labels next to a classifier branch -- learn the
    dummy (one-hot) matrix, as PLS-DA is defined: codes would invent an order
    between the classes. Otherwise ``y`` must be numeric.
    """
    if y is None:
        return Targets(None, None, None)
    classifier = final_estimator is not None and is_classifier(final_estimator)
    classifiers = [name for name, est in estimators if is_classifier(est)]
    if classifier:
        check_classification_targets(y)
    y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
    if classifiers and not classifier:
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise ValueError(f"Branches {classifiers} are classifiers: {exc}") from None
    text = _is_text(y)
    _check_numeric(y, text, classifier, classifiers, final_estimator)
    if not text and not classifier and y.dtype.kind in "OUS":
        y = y.astype(np.float64)  # numbers written as text: "12.5"
    if not classifier and not classifiers:
        return Targets(y, y, y)
    codes = LabelCodes(y)
    if not classifier and not text:
        return Targets(codes.transform(y), y, y, codes)
    dummies = codes.dummies(codes.transform(y))
    single = [
        name
        for name, est in estimators
        if is_regressor(est) and not get_tags(est).target_tags.multi_output
    ]
    if dummies.ndim == 2 and single:
        raise ValueError(
            f"Branches {single} are regressors of one output: they cannot learn "
            "the class labels as PLS-DA does, one 0/1 column per class "
            f"({dummies.shape[1]} columns). Use a classifier, or wrap them in "
            "sklearn.multioutput.MultiOutputRegressor."
        )
    return Targets(codes.transform(y), dummies, y, codes, dummies=True)


def _check_numeric(y, text, classifier, classifiers, final_estimator):
    if not text or classifier:
        return
    if not classifiers:
        raise ValueError(
            f"y holds values that are not numbers, such as {_first_text(y)!r}: "
            "ParallelBranches without a classifier as final_estimator or branch "
            "needs a numeric y. For class labels use a classifier (e.g. "
            "PLSDiscriminantAnalysis for PLS-DA)."
        )
    if final_estimator is not None:
        raise ValueError(
            f"y holds values that are not numbers, such as {_first_text(y)!r}: "
            f"the final_estimator {type(final_estimator).__name__} is a regressor "
            "and needs a numeric y."
        )


def _is_text(y):
    """Whether ``y`` holds labels that are not numbers (strings or objects that
    do not convert to floats)."""
    if y.dtype.kind not in "OUS":
        return False
    try:
        y.astype(np.float64)
    except (TypeError, ValueError):
        return True
    return False


def _first_text(y):
    """The first value of ``y`` that is not a number, as a str."""
    for value in np.ravel(y):
        try:
            float(value)
        except (TypeError, ValueError):
            return str(value)
    return str(np.ravel(y)[0])


class LabelCodes:
    """Class labels as codes ``0 .. n_classes - 1``, column by column for 2-D y."""

    def __init__(self, y):
        self.multi_output = y.ndim == 2 and y.shape[1] > 1  # (n, 1): warn, ravel
        columns = y.T if self.multi_output else [y]
        self.encoders = [LabelEncoder().fit(column) for column in columns]

    @property
    def classes_(self):
        classes = [encoder.classes_ for encoder in self.encoders]
        return classes if self.multi_output else classes[0]

    def transform(self, y):
        y = np.asarray(y)
        columns = y.T if self.multi_output else [y]
        out = [e.transform(col) for e, col in zip(self.encoders, columns)]
        return np.column_stack(out) if self.multi_output else out[0]

    def dummies(self, codes):
        """One 0/1 column per class (of each output); one column for two classes."""
        columns = codes.T if self.multi_output else [codes]
        blocks = []
        for column, encoder in zip(columns, self.encoders):
            dummy = np.eye(len(encoder.classes_))[column]
            blocks.append(dummy[:, 1:] if dummy.shape[1] == 2 else dummy)
        if self.multi_output:
            return np.hstack(blocks)
        return blocks[0].ravel() if blocks[0].shape[1] == 1 else blocks[0]


# -- out-of-fold assembly ----------------------------------------------------------


def prediction_block(output, method):
    """Predictions as a 2-D block; of two collinear probability columns, one."""
    if isinstance(output, list):  # multi-output predict_proba
        return np.hstack([np.asarray(out)[:, 1:] for out in output])
    output = np.asarray(output)
    if output.ndim == 1:
        return output.reshape(-1, 1)
    if method == "predict_proba" and output.shape[1] == 2:
        return output[:, 1:]
    return output


def out_of_fold(name, folds, n_samples, method, codes):
    """The out-of-fold predictions of a branch: its folds' ``(test, output,
    classes)`` put together, one column per class of the whole ``y``."""
    stacked = None
    for test, output, classes in folds:
        if codes is not None and classes is not None:
            output = _fold_by_class(name, output, classes, method, codes)
        output = prediction_block(output, method)
        if stacked is None:
            stacked = np.empty((n_samples, output.shape[1]), dtype=output.dtype)
        elif output.shape[1] != stacked.shape[1]:
            raise ValueError(
                f"Branch {name!r}: the folds of cv give predictions of different "
                "widths (a class missing from a training fold?); use a "
                "stratified cv."
            )
        stacked[test] = output
    return stacked


def _fold_by_class(name, output, classes, method, codes):
    """A fold's predictions with the columns of every class (per output)."""
    if not codes.multi_output:
        return _all_classes(name, output, classes, len(codes.classes_), method)
    if not isinstance(output, list):  # predict: one column per output
        return output
    return [
        _all_classes(name, out, fold_classes, len(all_classes), method)
        for out, fold_classes, all_classes in zip(output, classes, codes.classes_)
    ]


def _all_classes(name, output, classes, n_classes, method):
    """Fold probabilities with one column per class of the whole ``y``.

    A training fold that lacks a class gives fewer columns: they are placed
    under their classes (codes ``0 .. n_classes - 1``) and the missing ones set
    to 0, as :func:`~sklearn.model_selection.cross_val_predict` does. Decision
    functions cannot be placed (one-vs-one columns are pairs of classes).
    """
    if method == "predict" or len(classes) == n_classes:
        return output
    if method != "predict_proba":
        raise ValueError(
            f"Branch {name!r}: a training fold of cv has {len(classes)} of the "
            f"{n_classes} classes, and the columns of stack_method={method!r} "
            "cannot be matched across folds; use a stratified cv or "
            "stack_method='predict_proba'."
        )
    warnings.warn(
        f"Branch {name!r}: a training fold of cv has {len(classes)} of the "
        f"{n_classes} classes; its probabilities of the missing classes are set "
        "to 0. Use a stratified cv.",
        RuntimeWarning,
        stacklevel=2,
    )
    output = np.asarray(output)
    full = np.zeros((output.shape[0], n_classes), dtype=output.dtype)
    full[:, classes] = output
    return full


def prediction_names(estimator, method, width, codes, dummies):
    """Names of a predictor branch's output columns (without the branch name).

    One per class (``"predict_proba_<class>"``) when the columns are per class
    -- a classifier's probabilities or decisions, a regressor's outputs on the
    dummy matrix of the classes -- else numbered, or ``method`` for one column.
    """
    classes = getattr(estimator, "classes_", None) if codes is None else codes.classes_
    one_per_class = (
        isinstance(classes, np.ndarray)
        and classes.ndim == 1
        and width in (len(classes), len(classes) - 1)  # binary: one kept
    )
    if method == "predict" and not (dummies and not is_classifier(estimator)):
        one_per_class = False
    if one_per_class:
        return [f"{method}_{c}" for c in list(classes)[-width:]]
    if width == 1:
        return [method]
    return [f"{method}{i}" for i in range(width)]
