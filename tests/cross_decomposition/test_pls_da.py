"""PLSDiscriminantAnalysis against a hand-written one-hot PLS, labels, errors."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cross_decomposition import PLSRegression
from sklearn.ensemble import StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_predict, cross_val_score
from sklearn.pipeline import make_pipeline

from skl_nirs.cross_decomposition import PLSDiscriminantAnalysis
from skl_nirs.datasets import make_nirs_classification
from skl_nirs.preprocessing import StandardNormalVariate


@pytest.fixture(scope="module")
def four_classes():
    """SNV spectra of 4 overlapping classes (the case of issue 12, §1)."""
    X, y, wavelengths = make_nirs_classification(
        n_samples=300, n_classes=4, class_sep=0.5, random_state=0
    )
    return StandardNormalVariate().fit_transform(X), y, wavelengths


def _nipals_pls2(X, Y, n_components):
    """PLS2 written out: scaled data, SVD weights, regression deflation.

    Returns a function giving the fitted outputs of new spectra.
    """
    x_mean, y_mean = X.mean(axis=0), Y.mean(axis=0)
    x_std, y_std = X.std(axis=0, ddof=1), Y.std(axis=0, ddof=1)
    Xk, Yk = (X - x_mean) / x_std, (Y - y_mean) / y_std
    weights, x_loadings, y_loadings = [], [], []
    for _ in range(n_components):
        w = np.linalg.svd(Xk.T @ Yk, full_matrices=False)[0][:, 0]
        t = Xk @ w
        p, q = Xk.T @ t / (t @ t), Yk.T @ t / (t @ t)
        Xk, Yk = Xk - np.outer(t, p), Yk - np.outer(t, q)
        weights.append(w), x_loadings.append(p), y_loadings.append(q)
    W, P, Q = (np.column_stack(m) for m in (weights, x_loadings, y_loadings))
    coef = W @ np.linalg.solve(P.T @ W, Q.T) / x_std[:, None] * y_std
    return lambda X_new: (X_new - x_mean) @ coef + y_mean


@pytest.mark.parametrize("n_components", [1, 3, 8])
def test_matches_hand_written_one_hot_pls(four_classes, n_components):
    X, y, _ = four_classes
    train, test = np.arange(200), np.arange(200, 300)
    one_hot = np.eye(4)[y[train]]
    outputs = _nipals_pls2(X[train], one_hot, n_components)(X[test])

    model = PLSDiscriminantAnalysis(n_components, tol=1e-20, max_iter=10_000)
    model.fit(X[train], y[train])
    assert_allclose(model.decision_function(X[test]), outputs, atol=1e-8)
    assert_array_equal(model.predict(X[test]), np.argmax(outputs, axis=1))
    # and against scikit-learn's PLSRegression on the same dummy matrix
    pls = PLSRegression(n_components).fit(X[train], one_hot)
    assert_array_equal(model.predict(X[test]), pls.predict(X[test]).argmax(axis=1))


def test_cross_validated_accuracy_is_that_of_one_hot_pls(four_classes):
    X, y, _ = four_classes
    cv = KFold(5, shuffle=True, random_state=0)
    predicted = cross_val_predict(PLSDiscriminantAnalysis(2), X, y, cv=cv)
    reference = np.empty_like(y)
    for train, test in cv.split(X):
        pls = PLSRegression(2).fit(X[train], np.eye(4)[y[train]])
        reference[test] = pls.predict(X[test]).argmax(axis=1)
    assert_array_equal(predicted, reference)
    # well above the 0.25 of chance on these overlapping classes
    assert np.mean(predicted == y) > 0.35


@pytest.mark.parametrize(
    "names",
    [
        ["a", "b", "c", "d"],
        ["d", "a", "c", "b"],
        ["wheat", "barley", "rye", "oat"],
        [3, 0, 2, 1],
        [10.0, -1.0, 7.0, 2.0],
    ],
)
def test_results_do_not_depend_on_class_names(four_classes, names):
    X, y, _ = four_classes
    cv = KFold(5, shuffle=True, random_state=0)
    accuracy = cross_val_score(PLSDiscriminantAnalysis(2), X, y, cv=cv)
    labels = np.asarray(names, dtype=object if isinstance(names[0], str) else None)
    renamed = labels[y]
    assert_allclose(
        cross_val_score(PLSDiscriminantAnalysis(2), X, renamed, cv=cv), accuracy
    )
    model = PLSDiscriminantAnalysis(2).fit(X, renamed)
    reference = PLSDiscriminantAnalysis(2).fit(X, y)
    assert_array_equal(model.predict(X), labels[reference.predict(X)])
    # Outputs agree to NIPALS' convergence error (its power method starts from
    # the first dummy column, which the names reorder); exactly with a small tol.
    order = np.searchsorted(model.classes_, labels)  # column of each class of y
    scores = model.decision_function(X)[:, order]
    assert_allclose(scores, reference.decision_function(X), atol=1e-3)
    exact = PLSDiscriminantAnalysis(2, tol=1e-20, max_iter=10_000)
    assert_allclose(
        clone(exact).fit(X, renamed).decision_function(X)[:, order],
        clone(exact).fit(X, y).decision_function(X),
        atol=1e-9,
    )


def test_two_classes_one_column_is_two_columns(four_classes):
    X, y, _ = four_classes
    keep = y < 2
    X, labels = X[keep], np.array(["spring", "winter"])[y[keep]]
    model = PLSDiscriminantAnalysis(3).fit(X, labels)
    assert model.coef_.shape == (1, X.shape[1])
    scores = model.decision_function(X)
    assert scores.shape == (X.shape[0],)
    indicator = (labels == "winter").astype(float)
    assert_allclose(scores, PLSRegression(3).fit(X, indicator).predict(X) - 0.5)
    assert_array_equal(model.predict(X), np.where(scores > 0, "winter", "spring"))
    two_columns = PLSRegression(3).fit(X, np.column_stack([1 - indicator, indicator]))
    both = two_columns.predict(X)
    assert_allclose(both.sum(axis=1), 1.0)
    assert_array_equal(model.predict(X), model.classes_[both.argmax(axis=1)])


def test_fitted_attributes(four_classes):
    X, y, _ = four_classes
    model = PLSDiscriminantAnalysis(4, scale=False).fit(X, y)
    assert_array_equal(model.classes_, [0, 1, 2, 3])
    assert model.coef_.shape == (4, X.shape[1])
    assert model.intercept_.shape == (4,)
    assert len(model.n_iter_) == 4
    assert model.regressor_.n_components == 4 and not model.regressor_.scale
    assert_allclose(X @ model.coef_.T + model.intercept_, model.decision_function(X))
    binary = PLSDiscriminantAnalysis(2).fit(X[y < 2], y[y < 2])
    assert_allclose(
        X @ binary.coef_.ravel() + binary.intercept_, binary.decision_function(X)
    )


def test_no_predict_proba_but_calibration_gives_one(four_classes):
    X, y, _ = four_classes
    assert not hasattr(PLSDiscriminantAnalysis(), "predict_proba")
    calibrated = CalibratedClassifierCV(PLSDiscriminantAnalysis(2), cv=3).fit(X, y)
    proba = calibrated.predict_proba(X)
    assert proba.shape == (300, 4)
    assert_allclose(proba.sum(axis=1), 1.0)


def test_as_base_of_a_stacking_classifier(four_classes):
    X, y, _ = four_classes
    labels = np.array(["a", "b", "c", "d"])[y]
    stack = StackingClassifier(
        [("plsda", PLSDiscriminantAnalysis(2))], LogisticRegression(), cv=3
    ).fit(X, labels)
    assert stack.stack_method_ == ["decision_function"]
    assert set(stack.predict(X)) <= set("abcd")


def test_wavelengths_are_checked_at_predict(four_classes):
    X, y, wavelengths = four_classes
    frame = pd.DataFrame(X, columns=wavelengths)
    model = make_pipeline(PLSDiscriminantAnalysis(2)).fit(frame, y)
    assert_array_equal(model[-1].wavelengths_, wavelengths)
    assert_array_equal(model.predict(frame), model.predict(X))
    reversed_frame = frame[frame.columns[::-1]]
    message = r"X has the wavelengths seen in fit in another order: column 0 is 2500"
    with pytest.raises(ValueError, match=message):
        model.predict(reversed_frame)
    with pytest.raises(ValueError, match=message):
        model.decision_function(reversed_frame)


@pytest.mark.parametrize(
    "params, y, error, message",
    [
        (
            {},
            ["a"] * 10,
            ValueError,
            r"PLSDiscriminantAnalysis needs samples of at least 2 classes; got 1 "
            r"class: 'a'\.",
        ),
        (
            dict(n_components=6),
            [0, 1] * 5,
            ValueError,
            r"n_components=6 must be at most the number of features of X "
            r"\(n_features=5\)",
        ),
        ({}, np.linspace(0, 1, 10), ValueError, "Unknown label type"),
        (
            dict(n_components=0),
            [0, 1] * 5,
            ValueError,
            r"The 'n_components' parameter of PLSDiscriminantAnalysis must be",
        ),
        (
            dict(scale="yes"),
            [0, 1] * 5,
            ValueError,
            r"The 'scale' parameter of PLSDiscriminantAnalysis must be",
        ),
    ],
)
def test_errors(params, y, error, message):
    X = np.random.RandomState(0).rand(10, 5)
    with pytest.raises(error, match=message):
        PLSDiscriminantAnalysis(**params).fit(X, y)


def test_predict_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="This PLSDiscriminantAnalysis instance"):
        PLSDiscriminantAnalysis().predict(np.zeros((2, 3)))


def test_branch_and_final_estimator_of_parallel_branches(four_classes):
    from skl_nirs.compose import ParallelBranches

    X, y, _ = four_classes
    labels = np.array(["wheat", "barley", "rye", "oat"])[y]
    cv = KFold(5, shuffle=True, random_state=0)
    final = ParallelBranches(
        [("raw", "passthrough")], final_estimator=PLSDiscriminantAnalysis(2)
    )
    assert_allclose(
        cross_val_score(final, X, labels, cv=cv),
        cross_val_score(PLSDiscriminantAnalysis(2), X, labels, cv=cv),
    )
    branch = ParallelBranches(
        [("plsda", PLSDiscriminantAnalysis(2))],
        final_estimator=LogisticRegression(),
        cv=3,
    ).fit(X, labels)
    assert branch.stack_method_ == {"plsda": "decision_function"}
    assert set(branch.predict(X)) <= set(labels)
