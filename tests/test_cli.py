"""End-to-end tests of the ``skl-nirs`` command line, through the executable."""

import csv
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from skl_nirs._cli import main
from skl_nirs.datasets import make_nirs_classification, make_nirs_regression

FAST = ["--n-jobs", "1", "--n-trials", "2", "--cv", "3", "--outer-cv", "2"]
EXE = shutil.which("skl-nirs") or pytest.fail("the skl-nirs executable is not on PATH")


def run(*args, **kwargs):
    return subprocess.run(
        [EXE, *map(str, args)], capture_output=True, text=True, timeout=300, **kwargs
    )


def write_csv(path, X, wavelengths, y=None, *, ids=False):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        header = (["id"] if ids else []) + (["target"] if y is not None else [])
        writer.writerow(header + [repr(w) for w in np.asarray(wavelengths).tolist()])
        for i, spectrum in enumerate(np.asarray(X).tolist()):
            row = ([f"S{i}"] if ids else []) + ([y[i]] if y is not None else [])
            writer.writerow(row + [repr(value) for value in spectrum])
    return path


def read_csv(path_or_text):
    text = (
        path_or_text.read_text() if hasattr(path_or_text, "read_text") else path_or_text
    )
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def data():
    return make_nirs_regression(n_samples=60, n_wavelengths=80, random_state=0)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory, data):
    """A folder with spectra.csv and model.skops fitted on 1100-2000 nm."""
    folder = tmp_path_factory.mktemp("fitted")
    X, y, wavelengths = data
    write_csv(folder / "spectra.csv", X, wavelengths, y.tolist())
    result = run(
        "fit", folder / "spectra.csv", "--target", "target", "--range", "1100:2000",
        "--out", folder / "model.skops", "--summary", folder / "summary.json",
        "--test", folder / "spectra.csv", *FAST,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return folder


def test_version_and_usage_errors(capsys):
    assert main(["--version"]) == 0
    assert main(["fit"]) == 2  # no file, no --target
    assert main(["fit", "x.csv", "--target", "t", "--range", "a:b"]) == 2


def test_summary_keys_and_range(fitted, data):
    summary = json.loads((fitted / "summary.json").read_text())
    assert {
        "metric", "selection_score", "estimate", "estimate_method", "test_score",
        "pipeline", "seconds",
    } <= set(summary)  # fmt: skip
    assert summary["metric"] == "rmse"
    assert "nested" in summary["estimate_method"]
    assert "Pipeline" in summary["pipeline"]
    import skops.io

    bundle = skops.io.load(
        fitted / "model.skops",
        trusted=skops.io.get_untrusted_types(file=fitted / "model.skops"),
    )
    wavelengths = data[2]
    kept = wavelengths[(wavelengths >= 1100) & (wavelengths <= 2000)]
    np.testing.assert_array_equal(bundle["wavelengths"], kept)


def test_estimate_is_honest_where_selection_overfits(tmp_path):
    # a target unrelated to the spectra: the best of 24 candidates looks better
    # than chance on the folds it was chosen on, not on new data
    X, _, wavelengths = make_nirs_regression(
        n_samples=48, n_wavelengths=40, random_state=1
    )
    y = np.random.default_rng(0).normal(size=48)
    write_csv(tmp_path / "noise.csv", X, wavelengths, y.tolist())
    result = run(
        "fit", tmp_path / "noise.csv", "--target", "target", "--out",
        tmp_path / "m.skops", "--summary", tmp_path / "s.json", *FAST,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["estimate"] > summary["selection_score"] * 1.05
    assert "selection score" in result.stdout and "nested CV" in result.stdout


def test_predict_wider_file_and_domain_flags(fitted, data, tmp_path):
    X, _, wavelengths = data
    band = np.exp(-(((np.arange(X.shape[1]) - 40) / 3) ** 2))
    new = np.vstack([X[:6], np.ones(X.shape[1]), X[0] + 0.5 * band])
    # more wavelengths than the model needs (the full range, reversed order)
    write_csv(tmp_path / "new.csv", new[:, ::-1], wavelengths[::-1], ids=True)
    result = run(
        "predict", fitted / "model.skops", tmp_path / "new.csv", "--id-column", "id",
        "--out", "-",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = read_csv(result.stdout)
    assert [row["id"] for row in rows] == [f"S{i}" for i in range(8)]
    assert [row["outside_domain"] for row in rows] == ["0"] * 6 + ["1", "1"]
    assert "2 of 8 spectra are outside the calibration" in result.stderr
    # a wavelength the model needs is missing: refused, naming it
    write_csv(tmp_path / "cut.csv", X[:, 20:], wavelengths[20:])
    result = run("predict", fitted / "model.skops", tmp_path / "cut.csv")
    assert result.returncode == 1 and "missing 14 model wavelengths" in result.stderr
    assert result.stderr.rstrip().endswith(", ....")  # 5 shown, not the whole list


def test_proba(tmp_path):
    X, y, wavelengths = make_nirs_classification(
        n_samples=60, n_wavelengths=50, random_state=0
    )
    labels = [f"grade_{v}" for v in y]
    write_csv(tmp_path / "c.csv", X, wavelengths, labels)
    result = run(
        "fit", tmp_path / "c.csv", "--target", "target", "--out",
        tmp_path / "c.skops", "--summary", tmp_path / "s.json", *FAST,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "s.json").read_text())["metric"] == "accuracy"
    result = run(
        "predict", tmp_path / "c.skops", tmp_path / "c.csv", "--proba",
        "--out", tmp_path / "p.csv",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = read_csv(tmp_path / "p.csv")
    columns = [f"proba_grade_{v}" for v in np.unique(y)]
    total = [sum(float(row[c]) for c in columns) for row in rows]
    np.testing.assert_allclose(total, 1.0)
    assert {row["prediction"] for row in rows} <= set(labels)


def test_file_size_limit_during_save_keeps_earlier_model(fitted, tmp_path):
    model = tmp_path / "model.skops"
    shutil.copyfile(fitted / "model.skops", model)
    before = model.read_bytes()
    command = (
        f"ulimit -f 1; exec {EXE} fit {fitted / 'spectra.csv'} --target target "
        f"--out {model} {' '.join(FAST)}"
    )
    result = subprocess.run(["bash", "-c", command], capture_output=True, timeout=300)
    assert result.returncode != 0
    assert model.read_bytes() == before


def test_output_equal_to_an_input_is_refused(fitted, tmp_path):
    spectra = tmp_path / "spectra.csv"
    shutil.copyfile(fitted / "spectra.csv", spectra)
    before = spectra.read_bytes()
    result = run("fit", spectra, "--target", "target", "--out", spectra, *FAST)
    assert result.returncode == 1 and "input" in result.stderr
    assert spectra.read_bytes() == before
    model = fitted / "model.skops"
    before = model.read_bytes()
    result = run("predict", model, spectra, "--out", model)
    assert result.returncode == 1 and model.read_bytes() == before
    # an output folder that does not exist, or where no file can be created
    # (/proc): refused before any work, an earlier model left as it was
    result = run("fit", spectra, "--target", "target", "--out", tmp_path / "no/m")
    assert result.returncode == 1 and "cannot write" in result.stderr
    if os.path.isdir("/proc/self"):
        result = run(
            "fit", spectra, "--target", "target", "--out", model,
            "--summary", "/proc/summary.json", *FAST,
        )  # fmt: skip
        assert result.returncode == 1 and "--summary" in result.stderr
        assert "cannot write" in result.stderr and model.read_bytes() == before
    # an output given twice
    result = run(
        "fit", spectra, "--target", "target", "--out", tmp_path / "m.skops",
        "--summary", tmp_path / "m.skops",
    )  # fmt: skip
    assert result.returncode == 1 and "another output" in result.stderr


def test_outputs_through_links_and_into_devices(fitted, tmp_path):
    target = tmp_path / "predictions.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = run(
        "predict", fitted / "model.skops", fitted / "spectra.csv", "--out", link
    )
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and read_csv(target)[0]["prediction"]  # written through
    # a device (as root, os.replace would turn /dev/null into a file): refused
    result = run(
        "predict", fitted / "model.skops", fitted / "spectra.csv", "--out", os.devnull
    )
    assert result.returncode == 1 and "cannot write there" in result.stderr
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_crafted_pickle_does_not_run_without_trust(fitted, tmp_path):
    marker = tmp_path / "marker"
    evil = tmp_path / "evil.joblib"
    evil.write_bytes(pickle.dumps(_Payload(marker)))
    result = run("predict", evil, fitted / "spectra.csv", "--out", tmp_path / "p.csv")
    assert result.returncode == 1 and "--trust" in result.stderr
    assert not marker.exists()
    result = run("predict", evil, fitted / "spectra.csv", "--trust", "--out", "-")
    assert "runs code" in result.stderr and marker.exists()  # as the user asked


def test_a_trusted_model_without_wavelengths_is_used_with_a_warning(data, tmp_path):
    import joblib
    from sklearn.linear_model import Ridge

    X, y, wavelengths = data
    joblib.dump(Ridge().fit(X, y), tmp_path / "ridge.joblib")  # fitted on an array
    spectra = write_csv(tmp_path / "spectra.csv", X, wavelengths, y.tolist())
    result = run("predict", tmp_path / "ridge.joblib", spectra, "--trust", "--out", "-")
    assert result.returncode == 0, result.stderr
    assert "does not record its wavelengths" in result.stderr
    assert len(read_csv(result.stdout)) == len(y)


def test_warnings_once_with_a_count(data, tmp_path):
    X, y, wavelengths = data
    X = X.copy()
    X[:3] = 0.5  # three dead spectra: every scatter correction of every fit warns
    write_csv(tmp_path / "dead.csv", X, wavelengths, y.tolist())
    args = ["fit", tmp_path / "dead.csv", "--target", "target"]
    args += ["--out", tmp_path / "m.skops", *FAST]
    quiet = run(*args)
    assert quiet.returncode == 0, quiet.stderr
    shown = [line for line in quiet.stderr.splitlines() if "have no spread" in line]
    assert shown and len(shown) == len(set(shown))  # each distinct warning once
    assert "repeated" in quiet.stderr  # with a count
    verbose = run(*args, "--verbose")
    assert verbose.stderr.count("have no spread") > len(shown)
    # --verbose also says where the comparison's fits ran, and why
    plan = "comparison: sequential (n_jobs=1); inner n_jobs <= "
    assert plan in verbose.stderr and plan not in quiet.stderr


def test_constant_target_is_refused(data, tmp_path):
    X, y, wavelengths = data
    write_csv(tmp_path / "const.csv", X, wavelengths, [1.0] * len(y))
    out = tmp_path / "m.skops"
    result = run("fit", tmp_path / "const.csv", "--target", "target", "--out", out)
    assert result.returncode == 1 and "every value is 1.0" in result.stderr
    assert not out.exists()


def test_closed_pipe(fitted):
    command = f"{EXE} predict {fitted / 'model.skops'} {fitted / 'spectra.csv'} --out -"
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command} | head -1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.startswith("prediction")
    assert "Traceback" not in result.stderr and "Exception" not in result.stderr


def test_sigterm_leaves_no_worker(tmp_path):
    psutil = pytest.importorskip("psutil")
    # costly enough that the search starts worker processes within seconds
    X, y, wavelengths = make_nirs_regression(
        n_samples=1500, n_wavelengths=700, random_state=0
    )
    write_csv(tmp_path / "big.csv", X, wavelengths, y.tolist())
    process = subprocess.Popen(
        [EXE, "fit", tmp_path / "big.csv", "--target", "target", "--n-jobs", "2",
         "--out", tmp_path / "m.skops"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    parent = psutil.Process(process.pid)
    deadline, workers = time.monotonic() + 120, []
    while not workers and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
        workers = [
            child
            for child in parent.children(recursive=True)
            if "loky" in " ".join(child.cmdline())
        ]
    assert workers, "the fit started no worker process"
    time.sleep(1)  # the workers run tasks
    children = parent.children(recursive=True)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 143
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive


def test_demo_in_process(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status = main(["demo", "--n-samples", "40", *FAST, "--out", str(tmp_path), "-q"])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "estimate on new data" in out and "test RMSE" in out
    assert (tmp_path / "skl_nirs_demo_model.skops").is_file()
    assert (tmp_path / "skl_nirs_demo_report.png").stat().st_size > 10_000


def test_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "skl_nirs", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.startswith("skl-nirs")
