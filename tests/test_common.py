"""scikit-learn's estimator checks over every public skl_nirs estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skl_nirs.utils.discovery import all_estimators

# Constructor arguments for the estimators that cannot be built without any
# (meta-estimators); each entry is a list of instances, one per configuration.
TEST_INSTANCES = {}


def _instances():
    for name, cls in all_estimators():
        yield from TEST_INSTANCES.get(name, None) or [cls()]


ESTIMATORS = list(_instances())


def test_all_estimators_are_found():
    names = {name for name, _ in all_estimators()}
    assert {"StandardNormalVariate", "SavitzkyGolay"} <= names


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", sorted(TEST_INSTANCES))
def test_instances_table_names_exist(name):
    assert name in dict(all_estimators())
