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
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array

from skl_nirs.utils._compat import _check_method_params, _safe_indexing
from skl_nirs.utils._parallel import capped_n_jobs


class BranchTask(NamedTuple):
    """One fit of a branch: on a fold (``train``, ``test``) or on all rows."""

    name: str
    estimator: object  # the branch's estimator, cloned by the task
    y: object
    params: dict  # fit parameters for all rows (indexed for a fold)
    train: object = None  # None: all rows
    test: object = None
    method: str = None  # output asked for: on a fold, the predictions' method;
    # on all rows, "transform" to keep the transform output, else None


class BranchResult(NamedTuple):
    """What a task gives back; ``BranchResult(error)`` for a failed task."""

    error: Exception = None  # the branch failed (on_error="warn"), or its worker died
    output: object = None  # fold predictions, or the transform output
    fitted: object = None  # the branch fitted on all rows
    classes: object = None  # a fold's classes_, to align its columns
    seconds: float = 0.0


def with_branch_name(exc, name):
    """A copy of ``exc``, same type, whose message starts with the branch name."""
    message = exc.args[0] if exc.args and isinstance(exc.args[0], str) else exc
    try:
        renamed = copy.copy(exc)
        renamed.args = (f"Branch {name!r} failed: {message}", *exc.args[1:])
    except Exception:  # an exception type that cannot be copied: keep it as is
        return exc
    return renamed.with_traceback(exc.__traceback__)


def fit_branch_task(X, task, on_error):
    """Fit one branch on all rows or on one fold (a joblib task)."""
    start = time.perf_counter()
    estimator = clone(task.estimator)
    try:
        with capped_n_jobs(estimator):
            if task.train is None and task.method == "transform":
                output = estimator.fit_transform(X, task.y, **task.params)
                result = BranchResult(output=output, fitted=estimator)
            elif task.train is None:
                estimator.fit(X, task.y, **task.params)
                result = BranchResult(fitted=estimator)
            else:
                params = _check_method_params(X, task.params, indices=task.train)
                y_train = _safe_indexing(task.y, task.train)
                estimator.fit(_safe_indexing(X, task.train), y_train, **params)
                output = getattr(estimator, task.method)(_safe_indexing(X, task.test))
                classes = getattr(estimator, "classes_", None)
                result = BranchResult(output=output, classes=classes)
    except Exception as exc:
        if on_error == "raise":
            raise with_branch_name(exc, task.name) from None
        result = BranchResult(exc)
    return result._replace(seconds=time.perf_counter() - start)


def branch_output(X, name, estimator, method, owner_pid):
    """Output of a fitted branch on new rows, as a 2-D block (a joblib task).

    In another process than the owner's, the branch is a private copy whose
    ``n_jobs`` can be capped to the worker's share; a branch shared with the
    caller (threads, sequential) is left untouched.
    """
    private = os.getpid() != owner_pid
    try:
        with capped_n_jobs(estimator) if private else nullcontext():
            output = getattr(estimator, method)(X)
    except Exception as exc:
        raise with_branch_name(exc, name) from None
    return output if method == "transform" else prediction_block(output, method)


# -- targets ---------------------------------------------------------------------


class Targets(NamedTuple):
    """What the branches and the final estimator learn (see :func:`targets`)."""

    classes: object  # classifier branches (and cv's stratification)
    values: object  # regressor branches
    final: object  # the final estimator
    labels: object = None  # the class labels, when encoded (a list per output)
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
    y, text = (y, None) if classifier else _as_numbers(y)
    if text is not None and (final_estimator is not None or not classifiers):
        raise ValueError(
            f"y holds values that are not numbers, such as {text!r}: ParallelBranches "
            "without a classifier as final_estimator or branch, or with a regressor "
            "as final_estimator, needs a numeric y. For class labels use a "
            "classifier (e.g. PLSDiscriminantAnalysis for PLS-DA)."
        )
    if not classifier and not classifiers:
        return Targets(y, y, y)
    labels, codes = _encode(y)
    if not classifier and text is None:
        return Targets(codes, y, y, labels)
    dummies = _dummies(codes, labels)
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
    return Targets(codes, dummies, y, labels, dummies=True)


def _as_numbers(y):
    """``(y, None)`` when every value of ``y`` is a number, numbers written as
    text (``"12.5"``) converted to float64; else ``(y, value)``, with its first
    value that is not a number, as a str."""
    if y.dtype.kind not in "OUS":
        return y, None
    for value in np.ravel(y):
        try:
            float(value)
        except (TypeError, ValueError):
            return y, str(value)
    return y.astype(np.float64), None


def _encode(y):
    """The class labels of ``y`` and its codes ``0 .. n_classes - 1``; for
    multi-output ``y``, a list of labels and a column of codes per output."""
    if y.ndim == 2 and y.shape[1] > 1:
        labels, codes = zip(*[_encode(column) for column in y.T])
        return list(labels), np.column_stack(codes)
    encoder = LabelEncoder()
    codes = encoder.fit_transform(y)  # y of shape (n, 1): warns and ravels
    return encoder.classes_, codes


def _dummies(codes, labels):
    """One 0/1 column per class (of each output); one column for two classes."""
    if isinstance(labels, list):  # multi-output
        return np.column_stack([_dummies(*pair) for pair in zip(codes.T, labels)])
    dummies = np.eye(len(labels))[codes]
    return dummies[:, -1] if len(labels) <= 2 else dummies


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


def out_of_fold(name, folds, n_samples, method, labels):
    """The out-of-fold predictions of a branch: its folds' ``(test, output,
    classes)`` put together, one column per class of the whole ``y``."""
    stacked = None
    for test, output, classes in folds:
        if labels is not None and classes is not None:
            output = _all_classes(name, output, classes, labels, method)
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


def _all_classes(name, output, classes, labels, method):
    """A fold's predictions with one column per class of the whole ``y``.

    A training fold that lacks a class gives fewer columns: they are placed
    under their classes (codes ``0 .. n_classes - 1``) and the missing ones set
    to 0, as :func:`~sklearn.model_selection.cross_val_predict` does; for
    multi-output ``y``, output by output. Decision functions cannot be placed
    (one-vs-one columns are pairs of classes).
    """
    if isinstance(labels, list):  # multi-output
        if not isinstance(output, list):  # predict: one column per output
            return output
        return [
            _all_classes(name, *per_output, method)
            for per_output in zip(output, classes, labels)
        ]
    n_classes = len(labels)
    if method == "predict" or len(classes) == n_classes:
        return output
    lacking = (
        f"Branch {name!r}: a training fold of cv has {len(classes)} of the "
        f"{n_classes} classes"
    )
    if method != "predict_proba":
        raise ValueError(
            f"{lacking}, and the columns of stack_method={method!r} cannot be "
            "matched across folds; use a stratified cv or stack_method='predict_proba'."
        )
    warnings.warn(
        f"{lacking}; its probabilities of the missing classes are set to 0. Use a "
        "stratified cv.",
        RuntimeWarning,
        stacklevel=2,
    )
    output = np.asarray(output)
    full = np.zeros((output.shape[0], n_classes), dtype=output.dtype)
    full[:, classes] = output
    return full


def prediction_names(estimator, method, width, labels, dummies):
    """Names of a predictor branch's output columns (without the branch name).

    One per class (``"predict_proba_<class>"``) when the columns are per class
    -- a classifier's probabilities or decisions, a regressor's outputs on the
    dummy matrix of the classes -- else numbered, or ``method`` for one column.
    """
    per_class = method != "predict" or (dummies and not is_classifier(estimator))
    if per_class and isinstance(labels, np.ndarray):  # single-output labels
        if width in (len(labels), len(labels) - 1):  # binary: one kept
            return [f"{method}_{label}" for label in list(labels)[-width:]]
    if width == 1:
        return [method]
    return [f"{method}{i}" for i in range(width)]
