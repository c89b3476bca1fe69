"""scikit-learn's estimator checks over every public skl_nirs estimator."""

import pytest
from joblib import parallel_backend
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skl_nirs.compose import ParallelBranches
from skl_nirs.model_selection import OptunaSearchCV
from skl_nirs.outliers import ApplicabilityDomain
from skl_nirs.preprocessing import (
    ExtendedMultiplicativeScatterCorrection,
    ReflectanceToAbsorbance,
    SavitzkyGolay,
)
from skl_nirs.utils.discovery import all_estimators


def _branches_instances():
    transformer = dict(
        branches=[
            ("scale", StandardScaler()),
            ("minmax", MinMaxScaler()),
            ("raw", "passthrough"),
        ]
    )
    regressor = dict(
        branches=[
            ("ridge", Ridge()),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
            ("scale", StandardScaler()),
        ],
        final_estimator=Ridge(),
        cv=3,
    )
    classifier = dict(
        branches=[
            ("logistic", LogisticRegression()),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ],
        final_estimator=LogisticRegression(),
        cv=3,
    )
    return [
        ParallelBranches(**params, n_jobs=n_jobs)
        for params in (transformer, regressor, classifier)
        for n_jobs in (None, 2)
    ]


def _search_instances():
    return [
        OptunaSearchCV(Ridge(), {"alpha": ("float_log", 1e-3, 1e2)}, n_trials=3, cv=3),
        OptunaSearchCV(
            LogisticRegression(),
            {"C": ("float_log", 1e-2, 1e2), "fit_intercept": [True, False]},
            n_trials=3,
            cv=3,
        ),
    ]


# Constructor arguments for the estimators that cannot be built without any
# (meta-estimators) and for those whose defaults reject scikit-learn's check data
# (2-3 wavelengths, zeros in "positive" data); a list of instances per estimator.
TEST_INSTANCES = {
    # scikit-learn's check data must hold outliers at the limits' confidence
    "ApplicabilityDomain": [ApplicabilityDomain(confidence=0.9)],
    "ExtendedMultiplicativeScatterCorrection": [
        ExtendedMultiplicativeScatterCorrection(order=0)
    ],
    "ReflectanceToAbsorbance": [ReflectanceToAbsorbance(min_reflectance=1e-6)],
    "SavitzkyGolay": [
        SavitzkyGolay(window_length=5, polyorder=2, mode="nearest"),
        SavitzkyGolay(window_length=5, polyorder=3, deriv=1, mode="mirror"),
    ],
    "OptunaSearchCV": _search_instances(),
    "ParallelBranches": _branches_instances(),
}


def _instances():
    for name, cls in all_estimators():
        yield from TEST_INSTANCES.get(name, None) or [cls()]


ESTIMATORS = list(_instances())


def test_all_estimators_are_found():
    names = {name for name, _ in all_estimators()}
    assert {"StandardNormalVariate", "SavitzkyGolay"} <= names


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    if getattr(estimator, "n_jobs", None) == 2:
        # Threads keep CI fast; under loky, the tiny check data would be run
        # in the caller anyway (cheap work).
        with parallel_backend("threading"):
            check(estimator)
    else:
        check(estimator)


@pytest.mark.parametrize("name", sorted(TEST_INSTANCES))
def test_instances_table_names_exist(name):
    assert name in dict(all_estimators())
