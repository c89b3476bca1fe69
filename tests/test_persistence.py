"""Saved models load in a fresh process and predict identically."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

from skl_nirs import ParallelBranches
from skl_nirs._cli import main
from skl_nirs._cli._files import load_model
from skl_nirs.datasets import make_nirs_regression
from skl_nirs.preprocessing import (
    MultiplicativeScatterCorrection,
    SavitzkyGolay,
    StandardNormalVariate,
)

TRUSTED_PREFIXES = ("sklearn.", "skl_nirs.", "numpy.")


@pytest.fixture(scope="module")
def data():
    X, y, wavelengths = make_nirs_regression(80, 100, random_state=0)
    return X, y, wavelengths


def _stack():
    return ParallelBranches(
        [
            ("snv_pls", make_pipeline(StandardNormalVariate(), PLSRegression(5))),
            (
                "msc_sg_ridge",
                make_pipeline(
                    MultiplicativeScatterCorrection(), SavitzkyGolay(), Ridge()
                ),
            ),
        ],
        final_estimator=Ridge(),
        cv=3,
    )


_LOAD_CLI_MODEL = """
import numpy as np
import skops.io as sio

types = sio.get_untrusted_types(file={path!r})
assert all(t.startswith(("sklearn.", "skl_nirs.", "numpy.", "scipy.")) for t in types)
model = sio.load({path!r}, trusted=types)["model"]
np.save({out!r}, model.predict(np.load({X!r})))
"""


def _predict_in_fresh_process(model_path, X, tmp_path):
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "pred.npy"
    code = _LOAD_CLI_MODEL.format(
        path=str(model_path), out=str(out), X=str(tmp_path / "X.npy")
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    return np.load(out)


def test_model_saved_by_the_command_line_loads_in_a_fresh_process(tmp_path, data):
    X, y, wavelengths = data
    spectra = tmp_path / "spectra.csv"
    header = "target," + ",".join(repr(w) for w in wavelengths.tolist())
    rows = [",".join(map(repr, [t, *x])) for t, x in zip(y.tolist(), X.tolist())]
    spectra.write_text("\n".join([header, *rows]) + "\n")
    model_path = tmp_path / "model.skops"
    argv = ["fit", str(spectra), "--target", "target", "--out", str(model_path)]
    assert main([*argv, "--n-trials", "3", "--cv", "3", "--quiet"]) == 0
    in_process = load_model(model_path)["model"].predict(X)
    assert_array_equal(_predict_in_fresh_process(model_path, X, tmp_path), in_process)


def test_skops_round_trip_trusts_only_sklearn_skl_nirs_and_numpy(tmp_path, data):
    sio = pytest.importorskip("skops.io")
    X, y, _ = data
    model = _stack().fit(X, y)
    sio.dump(model, tmp_path / "model.skops")
    untrusted = sio.get_untrusted_types(file=tmp_path / "model.skops")
    assert untrusted and all(name.startswith(TRUSTED_PREFIXES) for name in untrusted)
    assert any(name.startswith("skl_nirs.") for name in untrusted)
    loaded = sio.load(tmp_path / "model.skops", trusted=untrusted)
    assert_array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(tmp_path / "model.skops")
