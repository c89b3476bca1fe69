"""Tests of the skl-nirs command line."""

import copy
import csv
import re
import subprocess
import sys

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from skl_nirs import _cli
from skl_nirs._cli import main
from skl_nirs.datasets import make_nirs_classification, make_nirs_regression

FAST = ["--n-trials", "4", "--cv", "3", "--n-jobs", "1"]


def _write_csv(path, X, wavelengths, *, y=None, ids=True, target="target"):
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        header = (["id"] if ids else []) + ([target] if y is not None else [])
        writer.writerow(header + [repr(w) for w in wavelengths.tolist()])
        for i, spectrum in enumerate(X.tolist()):
            row = [f"S{i:03d}"] if ids else []
            if y is not None:
                row.append(str(y[i]))
            writer.writerow(row + [repr(value) for value in spectrum])
    return path


@pytest.fixture(scope="module")
def regression_data():
    return make_nirs_regression(n_samples=60, n_wavelengths=80, random_state=0)


@pytest.fixture
def regression_csv(tmp_path, regression_data):
    X, y, wavelengths = regression_data
    return _write_csv(tmp_path / "spectra.csv", X, wavelengths, y=y.tolist())


@pytest.fixture(scope="module")
def fitted_model(tmp_path_factory, regression_data):
    """A regression model fitted by ``skl-nirs fit``, and its folder."""
    folder = tmp_path_factory.mktemp("fitted")
    X, y, wavelengths = regression_data
    spectra = _write_csv(folder / "spectra.csv", X, wavelengths, y=y.tolist())
    model = folder / "model.joblib"
    status = main(["fit", str(spectra), "--target", "target", "--out", str(model)])
    assert status == 0
    return model


def test_demo_writes_model_and_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status = main(
        ["demo", "--n-samples", "80", *FAST, "--out", str(tmp_path / "demo"), "-q"]
    )
    out, err = capsys.readouterr()
    assert status == 0
    assert err == ""  # --quiet
    assert (tmp_path / "demo" / _cli.DEMO_MODEL).is_file()
    assert (tmp_path / "demo" / _cli.DEMO_REPORT).stat().st_size > 10_000
    # the leaderboard: one row per branch of the 3 x 2 x 2 grid, sorted by RMSE
    rows = [line.split() for line in out.splitlines() if line[:4].strip().isdigit()]
    assert len(rows) == 12
    rmse = [float(row[2]) for row in rows]
    assert rmse == sorted(rmse)
    assert {row[1] for row in rows} >= {"none_raw_pls", "snv_sg1_ridge", "msc_raw_pls"}
    assert "tuned with 4 Optuna trials" in out
    assert "branch comparison:" in out and "search:" in out
    model = joblib.load(tmp_path / "demo" / _cli.DEMO_MODEL)
    X, _, _ = make_nirs_regression(n_samples=5, random_state=1)
    assert model.predict(X).shape == (5,)


def test_fit_then_predict_matches_the_model_in_process(
    tmp_path, fitted_model, regression_data, capsys
):
    X, _, wavelengths = regression_data
    spectra = _write_csv(tmp_path / "new.csv", X[:10], wavelengths)  # no target
    out_csv = tmp_path / "predictions.csv"
    status = main(["predict", str(fitted_model), str(spectra), "--out", str(out_csv)])
    assert status == 0, capsys.readouterr().err
    with open(out_csv, newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["id", "prediction"]
    assert [row[0] for row in rows[1:]] == [f"S{i:03d}" for i in range(10)]
    expected = joblib.load(fitted_model).predict(X[:10])
    assert_array_equal([float(row[1]) for row in rows[1:]], np.ravel(expected))


def test_predict_to_stdout_without_id_column(
    tmp_path, fitted_model, regression_data, capsys
):
    X, y, wavelengths = regression_data
    spectra = _write_csv(tmp_path / "new.csv", X[:3], wavelengths, ids=False, y=y)
    assert main(["predict", str(fitted_model), str(spectra), "--out", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "prediction"
    assert len(lines) == 4


def test_fit_prints_leaderboard_progress_and_plans(tmp_path, regression_csv, capsys):
    model = tmp_path / "model.joblib"
    args = ["fit", str(regression_csv), "--target", "target", "--out", str(model)]
    assert main([*args, *FAST]) == 0
    out, err = capsys.readouterr()
    assert "CV RMSE" in out and "R²" in out and "fit s" in out
    assert "Parallel plans:" in out
    assert "4/4" in err and "[" in err  # the progress bar of the trials
    assert "comparing 12 branches" in err
    assert model.is_file()
    # the search starts from the leader's parameters: tuning never makes it worse
    top = next(line.split() for line in out.splitlines() if line.startswith("   1"))
    tuned = re.search(
        r"CV RMSE ([\d.]+) \(R² [\d.]+\); before tuning CV RMSE (\S+)", out
    )
    assert tuned.group(2) == top[2]
    assert float(tuned.group(1)) <= float(tuned.group(2))


def test_missing_spectrum_value(tmp_path, regression_data, capsys):
    X, y, wavelengths = regression_data
    X = X.copy()
    X[4, 2] = np.nan
    spectra = _write_csv(tmp_path / "s.csv", X, wavelengths, y=y.tolist())
    assert main(["fit", str(spectra), "--target", "target"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"skl-nirs: error: {spectra}: 1 missing (nan) or infinite spectrum values, "
        f"the first in data row 5, column {wavelengths[2]:g}.\n"
    )


def test_fit_report_skipped_without_matplotlib(
    tmp_path, regression_csv, capsys, monkeypatch
):
    monkeypatch.setattr(_cli, "_have_matplotlib", lambda: False)
    report = tmp_path / "report.png"
    args = ["fit", str(regression_csv), "--target", "target", "--report", str(report)]
    assert main([*args, "--out", str(tmp_path / "m.joblib"), *FAST]) == 0
    err = capsys.readouterr().err
    assert "matplotlib is not installed" in err
    assert not report.exists()


def test_fit_report_with_matplotlib(tmp_path, regression_csv):
    pytest.importorskip("matplotlib")
    report = tmp_path / "report.png"
    args = ["fit", str(regression_csv), "--target", "target", "--report", str(report)]
    assert main([*args, "--out", str(tmp_path / "m.joblib"), *FAST, "-q"]) == 0
    assert report.stat().st_size > 10_000


def test_fit_classification_with_string_labels(tmp_path, capsys):
    X, y, wavelengths = make_nirs_classification(
        n_samples=60, n_wavelengths=80, n_classes=3, random_state=0
    )
    labels = np.array(["barley", "oat", "wheat"], dtype=object)[y]
    spectra = _write_csv(
        tmp_path / "grain.csv", X, wavelengths, y=labels, target="grain"
    )
    model = tmp_path / "grain.joblib"
    args = ["fit", str(spectra), "--target", "grain", "--out", str(model), *FAST]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "classification of 'grain' (3 classes)" in err
    assert "CV accuracy" in out
    assert "pcalda" in out and "ridge" in out
    fitted = joblib.load(model)
    assert set(fitted.classes_) == {"barley", "oat", "wheat"}

    out_csv = tmp_path / "classes.csv"
    assert main(["predict", str(model), str(spectra), "--out", str(out_csv)]) == 0
    with open(out_csv, newline="") as file:
        rows = list(csv.DictReader(file))
    assert [row["prediction"] for row in rows] == list(fitted.predict(X))


def test_task_regression_on_labels_is_an_error(tmp_path, capsys):
    X, y, wavelengths = make_nirs_classification(
        n_samples=20, n_wavelengths=30, random_state=0
    )
    labels = np.array(["low", "high"], dtype=object)[y]
    spectra = _write_csv(tmp_path / "s.csv", X, wavelengths, y=labels)
    args = ["fit", str(spectra), "--target", "target", "--task", "regression"]
    assert main([*args, "--out", str(tmp_path / "m.joblib")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("skl-nirs: error: ")
    assert "'target' is not numeric" in err and "--task classification" in err


def test_bad_row_names_file_line_and_column(tmp_path, regression_csv, capsys):
    lines = regression_csv.read_text().splitlines()
    fields = lines[6].split(",")
    fields[5] = "abc"  # line 7 of the file, column of the 4th wavelength
    lines[6] = ",".join(fields)
    regression_csv.write_text("\n".join(lines) + "\n")
    column = lines[0].split(",")[5]

    status = main(["fit", str(regression_csv), "--target", "target"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1  # a single line
    assert err == (
        f"skl-nirs: error: {regression_csv}: Line 7, column {column!r}: "
        "'abc' is not a number.\n"
    )
    assert "Traceback" not in err

    assert main(["fit", str(regression_csv), "--target", "target", "-v"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_bad_row_in_predict(tmp_path, fitted_model, regression_data, capsys):
    X, _, wavelengths = regression_data
    spectra = _write_csv(tmp_path / "new.csv", X[:5], wavelengths)
    with open(spectra, "a") as file:
        file.write("S999,1.0,2.0\n")  # line 7: too few fields
    status = main(["predict", str(fitted_model), str(spectra)])
    err = capsys.readouterr().err
    assert status == 1
    assert err == (
        f"skl-nirs: error: {spectra}: Line 7: expected 81 fields as in the header, "
        "got 3.\n"
    )


def test_predict_with_other_wavelengths(tmp_path, fitted_model, capsys):
    X, _, wavelengths = make_nirs_regression(
        n_samples=5, n_wavelengths=50, random_state=0
    )
    spectra = _write_csv(tmp_path / "new.csv", X, wavelengths)
    assert main(["predict", str(fitted_model), str(spectra)]) == 1
    err = capsys.readouterr().err
    assert "50 wavelength columns, but the model" in err and "fitted on 80" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "missing.csv", "--target", "y"], "missing.csv: No such file"),
        (["predict", "missing.joblib", "x.csv"], "missing.joblib: cannot load"),
    ],
)
def test_missing_files(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"skl-nirs: error: {message}")
    assert err.count("\n") == 1


def test_missing_target_column(regression_csv, tmp_path, capsys):
    status = main(
        ["fit", str(regression_csv), "--target", "fat", "--out", str(tmp_path / "m")]
    )
    assert status == 1
    assert "Target column 'fat' not found" in capsys.readouterr().err


def test_too_many_folds_for_a_class(tmp_path, capsys):
    X, y, wavelengths = make_nirs_classification(
        n_samples=12, n_wavelengths=30, random_state=0
    )
    labels = np.where(np.arange(12) < 3, "rare", "common")
    spectra = _write_csv(tmp_path / "s.csv", X, wavelengths, y=labels)
    args = ["fit", str(spectra), "--target", "target", "--out", str(tmp_path / "m")]
    assert main([*args, "--cv", "5"]) == 1
    assert "--cv 5: class 'rare' has only 3 samples" in capsys.readouterr().err


def test_output_folder_must_exist(regression_csv, tmp_path, capsys):
    out = tmp_path / "nowhere" / "model.joblib"
    assert main(["fit", str(regression_csv), "--target", "target", "--out", str(out)])
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--no-such-option"],
        ["fit", "s.csv"],  # --target is required
        ["demo", "--n-trials", "0"],
        ["demo", "--cv", "1"],
        ["fit", "s.csv", "--target", "y", "--task", "ranking"],
        ["frobnicate"],
        [],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage: skl-nirs" in err and "error:" in err


@pytest.mark.parametrize("command", [[], ["demo"], ["fit"], ["predict"]])
def test_help(command, capsys):
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: skl-nirs {' '.join(command)}".rstrip())
    if command:
        assert "--quiet" in out and "--verbose" in out


def test_python_dash_m():
    result = subprocess.run(
        [sys.executable, "-m", "skl_nirs", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: skl-nirs")
    assert "demo" in result.stdout and "predict" in result.stdout


def test_progress_bar_survives_clone_and_counts(capsys):
    bar = _cli._ProgressBar("trials", 3)
    copied = copy.deepcopy(bar)  # sklearn.clone deep-copies the callbacks
    for _ in range(3):
        copied(None, None)
    bar.close()
    err = capsys.readouterr().err
    assert "3/3" in err and "0/3" in err
    assert err.count("\n") == 2
