import pickle
import warnings

import joblib
import pytest
import sklearn.exceptions
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

import skl_nirs
from skl_nirs.compose import ParallelBranches
from skl_nirs.exceptions import InconsistentVersionWarning
from skl_nirs.preprocessing import StandardNormalVariate
from skl_nirs.utils._versioning import VersionedPickleMixin
from skl_nirs.utils.discovery import all_estimators


def test_same_version_loads_silently(spectra, tmp_path):
    X, y = spectra
    model = make_pipeline(StandardNormalVariate(), Ridge()).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        joblib.load(tmp_path / "model.joblib")


def test_other_version_warns_with_both_versions(spectra, monkeypatch):
    X, _ = spectra
    model = ParallelBranches([("snv", StandardNormalVariate())]).fit(X)
    saved = pickle.dumps(model)
    saved_version = skl_nirs.__version__
    monkeypatch.setattr(skl_nirs, "__version__", "9.9.9")
    with pytest.warns(InconsistentVersionWarning) as record:
        pickle.loads(saved)
    texts = [str(w.message) for w in record]
    for name in ("ParallelBranches", "StandardNormalVariate"):
        expected = f"{name} saved with skl_nirs {saved_version} into skl_nirs 9.9.9"
        assert any(expected in text for text in texts), texts


@pytest.mark.parametrize("name, cls", all_estimators())
def test_every_estimator_records_its_version(name, cls):
    assert issubclass(cls, VersionedPickleMixin)


def test_one_sklearn_filter_covers_the_skl_nirs_warning(spectra, monkeypatch):
    X, _ = spectra
    saved = pickle.dumps(StandardNormalVariate().fit(X))
    monkeypatch.setattr(skl_nirs, "__version__", "9.9.9")
    with warnings.catch_warnings():
        warnings.simplefilter("error", sklearn.exceptions.InconsistentVersionWarning)
        with pytest.raises(InconsistentVersionWarning, match="into skl_nirs 9.9.9"):
            pickle.loads(saved)


def test_warning_keeps_the_attributes_of_sklearns():
    warning = InconsistentVersionWarning(
        estimator_name="RangeCut", current_version="0.2", saved_version="0.1"
    )
    assert isinstance(warning, sklearn.exceptions.InconsistentVersionWarning)
    assert (warning.estimator_name, warning.current_version) == ("RangeCut", "0.2")
    assert warning.saved_version == "0.1"
    assert warning.current_sklearn_version is None
    assert warning.original_sklearn_version is None
    assert str(warning).startswith("Loading RangeCut saved with skl_nirs 0.1 into")
