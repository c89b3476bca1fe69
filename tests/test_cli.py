"""Tests of the skl-nirs command line."""

import copy
import csv
import re
import subprocess
import sys

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.pipeline import Pipeline

from skl_nirs import _cli
from skl_nirs._cli import main
from skl_nirs.datasets import make_nirs_classification, make_nirs_regression
from skl_nirs.preprocessing import RangeCut

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
    X, _, wavelengths = make_nirs_regression(n_samples=5, random_state=1)
    assert model.predict(X).shape == (5,)
    assert isinstance(model[0], RangeCut)
    assert_array_equal(model[0].wavelengths, wavelengths)


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


def test_saved_model_records_its_wavelengths(fitted_model, regression_data):
    X, _, wavelengths = regression_data
    model = joblib.load(fitted_model)
    assert isinstance(model, Pipeline)
    assert [name for name, _ in model.steps] == ["wavelengths", "model"]
    cut, tuned = model[0], model[1]
    assert isinstance(cut, RangeCut) and cut.by == "wavelength"
    assert_array_equal(cut.wavelengths, wavelengths)
    assert cut.support_.all()
    # fitted steps: the Pipeline predicts as the tuned pipeline, without a refit
    assert_allclose(model.predict(X), tuned.predict(X), rtol=1e-12, atol=1e-12)


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
    assert (
        "\n  saved as:   Pipeline([('wavelengths', RangeCut(80 wavelengths, "
        "1000-2500 nm)), ('model', pipeline)])\n" in out
    )
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
    # the file line (header on line 1), as the loader's own errors
    assert err == (
        f"skl-nirs: error: {spectra}: Line 6, column "
        f"{repr(float(wavelengths[2]))!r}: not a finite number ('nan').\n"
    )


def test_non_finite_values_name_the_file_line_past_blank_lines(
    tmp_path, regression_data, capsys
):
    X, _, wavelengths = regression_data
    X = X[:6].copy()
    X[3, 5] = np.inf
    X[4, 1] = np.nan
    spectra = _write_csv(tmp_path / "new.csv", X, wavelengths)
    lines = spectra.read_text().splitlines()
    lines[2:2] = ["", ""]  # blank lines 3 and 4, skipped by the loader
    spectra.write_text("\n".join(lines) + "\n")
    status = main(["fit", str(spectra), "--target", "id", "--out", "unused"])
    assert status == 1
    err = capsys.readouterr().err
    # data row 4 (X[3]) is on line 7: header, row 1, two blank lines, rows 2-4
    assert err == (
        f"skl-nirs: error: {spectra}: Line 7, column "
        f"{repr(float(wavelengths[5]))!r}: not a finite number ('inf'); 2 missing "
        "or infinite values in all.\n"
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
    assert err == (
        f"skl-nirs: error: {spectra}: Line 2, column 'target': target value "
        f"{labels[0]!r} is not a number (20 of 20 values are not numbers); fix the "
        "file, or use --task classification if the target holds class labels.\n"
    )


def test_a_typo_in_a_numeric_target_is_an_error_not_classification(
    tmp_path, regression_data, capsys
):
    X, y, wavelengths = regression_data
    target = [repr(value) for value in y.tolist()]
    target[5] = "n/a"  # data row 6, line 7 of the file
    spectra = _write_csv(tmp_path / "spectra.csv", X, wavelengths, y=target)
    args = ["fit", str(spectra), "--target", "target", "--out", "m.joblib"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err == (
        f"skl-nirs: error: {spectra}: Line 7, column 'target': target value 'n/a' "
        "is not a number (59 of 60 values are numbers); fix the file, or use "
        "--task classification if the target holds class labels.\n"
    )


def test_mostly_non_numeric_target_is_classification(tmp_path, capsys):
    X, y, wavelengths = make_nirs_classification(
        n_samples=30, n_wavelengths=30, random_state=0
    )
    labels = np.array(["1", "2"], dtype=object)[y]
    labels[:5] = "unknown"  # 25 of 30 numbers: below 90 %, class labels
    spectra = _write_csv(tmp_path / "s.csv", X, wavelengths, y=labels)
    args = ["fit", str(spectra), "--target", "target", "--out", "m.joblib"]
    assert main([*args, "--cv", "7"]) == 1  # the classes are counted: labels
    assert "--cv 7: class 'unknown' has only 5 samples" in capsys.readouterr().err


def test_non_finite_target_value(tmp_path, regression_data, capsys):
    X, y, wavelengths = regression_data
    target = [repr(value) for value in y.tolist()]
    target[2] = "nan"
    spectra = _write_csv(tmp_path / "spectra.csv", X, wavelengths, y=target)
    assert main(["fit", str(spectra), "--target", "target", "--out", "m"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"skl-nirs: error: {spectra}: Line 4, column 'target': target value is not "
        "a finite number ('nan').\n"
    )


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
    assert err.startswith(
        f"skl-nirs: error: {spectra}: wavelengths differ from the model's: "
        "78 wavelengths missing (1018.9873417721519, 1037.9746835443038, "
        "1056.9620253164558, ... nm), 48 wavelengths unexpected ("
    )
    assert err.endswith(
        f"; the model {fitted_model} was fitted on 80 wavelengths from 1000 to "
        "2500 nm.\n"
    )


def test_predict_with_one_wrong_wavelength(
    tmp_path, fitted_model, regression_data, capsys
):
    X, _, wavelengths = regression_data
    shifted = wavelengths.copy()
    shifted[3] = 1317.17  # the same number of columns: silently wrong before
    spectra = _write_csv(tmp_path / "spectra.csv", X[:4], shifted)
    assert main(["predict", str(fitted_model), str(spectra), "--out", "-"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"skl-nirs: error: {spectra}: wavelengths differ from the model's: "
        f"{float(wavelengths[3])!r} nm missing, 1317.17 nm unexpected; the model "
        f"{fitted_model} was fitted on 80 wavelengths from 1000 to 2500 nm.\n"
    )


def test_predict_reorders_the_wavelength_columns(
    tmp_path, fitted_model, regression_data, capsys
):
    X, _, wavelengths = regression_data
    order = np.random.default_rng(0).permutation(len(wavelengths))
    spectra = _write_csv(tmp_path / "new.csv", X[:6, order], wavelengths[order])
    out_csv = tmp_path / "predictions.csv"
    status = main(["predict", str(fitted_model), str(spectra), "--out", str(out_csv)])
    err = capsys.readouterr().err
    assert status == 0, err
    assert (
        f"skl-nirs: {spectra}: the wavelength columns are in another order than "
        "the model's; reordered them.\n" in err
    )
    with open(out_csv, newline="") as file:
        predictions = [float(row["prediction"]) for row in csv.DictReader(file)]
    expected = np.ravel(joblib.load(fitted_model).predict(X[:6]))
    assert_allclose(predictions, expected, rtol=1e-12, atol=1e-12)


def test_predict_checks_the_columns_of_a_plain_model(tmp_path, regression_data, capsys):
    from sklearn.linear_model import Ridge

    X, y, wavelengths = regression_data
    model = tmp_path / "ridge.joblib"
    joblib.dump(Ridge().fit(X, y), model)  # no wavelengths: only the count
    spectra = _write_csv(tmp_path / "new.csv", X[:3, :50], wavelengths[:50])
    assert main(["predict", str(model), str(spectra)]) == 1
    assert capsys.readouterr().err == (
        f"skl-nirs: error: {spectra}: 50 wavelength columns, but the model "
        f"{model} was fitted on 80.\n"
    )
    spectra = _write_csv(tmp_path / "new.csv", X[:3], wavelengths)
    assert main(["predict", str(model), str(spectra), "--out", "-"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_predict_with_a_file_that_is_not_a_model(tmp_path, regression_csv, capsys):
    args = ["predict", str(regression_csv), str(regression_csv)]
    assert main(args) == 1
    assert capsys.readouterr().err == (
        f"skl-nirs: error: {regression_csv}: not a model file saved by skl-nirs fit "
        "or joblib.dump.\n"
    )
    assert main([*args, "--verbose"]) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith(
        f"skl-nirs: error: {regression_csv}: not a model file saved by skl-nirs fit "
        "or joblib.dump (ModuleNotFoundError: "
    )
    not_a_model = tmp_path / "numbers.joblib"
    joblib.dump([1, 2, 3], not_a_model)
    assert main(["predict", str(not_a_model), str(regression_csv)]) == 1
    assert capsys.readouterr().err == (
        f"skl-nirs: error: {not_a_model}: holds a list, not a model with predict.\n"
    )


def test_fit_lists_the_columns_it_ignores(tmp_path, regression_data, capsys):
    X, y, wavelengths = regression_data
    spectra = _write_csv(tmp_path / "spectra.csv", X, wavelengths, y=y.tolist())
    lines = [line + ",ok" for line in spectra.read_text().splitlines()]
    header = lines[0].split(",")
    header[10] = "1215.02nm"  # a mistyped wavelength
    header[-1] = "Comment"
    lines[0] = ",".join(header)
    spectra.write_text("\n".join(lines) + "\n")
    args = ["fit", str(spectra), "--target", "target", "--out", "m", "--cv", "99"]
    assert main(args) == 1  # stops at the --cv check, after loading
    err = capsys.readouterr().err
    # the sample id column is expected: not listed
    assert err.startswith(
        f"skl-nirs: {spectra}: ignoring 2 columns: 1215.02nm, Comment (a "
        "wavelength header must be a plain number, e.g. 1215.02)\n"
    )
    assert main([*args, "--quiet"]) == 1
    assert "ignoring" not in capsys.readouterr().err


def test_predict_lists_the_columns_it_ignores(
    tmp_path, fitted_model, regression_data, capsys
):
    X, y, wavelengths = regression_data
    spectra = _write_csv(tmp_path / "new.csv", X[:3], wavelengths, y=y[:3].tolist())
    # the id column is used (copied to the output); the target is not
    assert main(["predict", str(fitted_model), str(spectra), "--out", "-"]) == 0
    assert capsys.readouterr().err == (
        f"skl-nirs: {spectra}: ignoring 1 column: target\n"
    )


def test_list_names_is_truncated():
    names = [f"c{i}" for i in range(12)]
    assert _cli._list_names(names) == "c0, c1, c2, c3, c4, c5, c6, c7, ... (4 more)"
    assert _cli._list_names(["", "a"]) == "'', a"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["fit", "missing.csv", "--target", "y"], "missing.csv: No such file"),
        (
            ["predict", "missing.joblib", "x.csv"],
            "missing.joblib: cannot load a model: No such file",
        ),
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


@pytest.mark.parametrize(
    "argv, usage, message",
    [
        (
            ["fit", "s.csv", "--target", "y", "--n-trails", "5"],
            "usage: skl-nirs fit ",
            "skl-nirs fit: error: unrecognized arguments: --n-trails 5\n",
        ),
        (
            ["predict", "m.joblib", "s.csv", "--frobnicate"],
            "usage: skl-nirs predict ",
            "skl-nirs predict: error: unrecognized arguments: --frobnicate\n",
        ),
        (
            ["--frobnicate"],
            "usage: skl-nirs [-h]",
            "skl-nirs: error: unrecognized arguments: --frobnicate\n",
        ),
        (
            [],
            "usage: skl-nirs [-h]",
            "skl-nirs: error: the following arguments are required: COMMAND (demo, "
            "fit or predict)\n",
        ),
    ],
)
def test_unknown_options_are_reported_by_their_command(argv, usage, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    assert err.endswith(message)


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


class _ClosedPipe:
    """A stdout whose reader went away, as in ``skl-nirs ... | head -1``."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self):
        return False


def test_fit_into_a_closed_pipe_still_saves_the_model(
    tmp_path, regression_csv, capsys, monkeypatch
):
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    model = tmp_path / "model.joblib"
    args = ["fit", str(regression_csv), "--target", "target", "--out", str(model)]
    assert main([*args, *FAST]) == 0
    assert sys.stdout.__class__ is _ClosedPipe  # restored
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "Error" not in err and "error" not in err
    assert joblib.load(model).predict(np.zeros((1, 80))).shape == (1,)


def _run_into_closed_pipe(argv, cwd):
    """Run skl-nirs in a subprocess whose stdout reader has already gone."""
    process = subprocess.Popen(
        [sys.executable, "-m", "skl_nirs", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    process.stdout.close()  # as `| head -0`: every write to stdout fails
    err = process.stderr.read().decode()
    process.stderr.close()
    return process.wait(timeout=300), err


def test_closed_pipe_in_a_real_process(tmp_path, fitted_model, regression_csv):
    model = tmp_path / "model.joblib"
    argv = ["fit", str(regression_csv), "--target", "target", "--out", str(model)]
    status, err = _run_into_closed_pipe([*argv, *FAST, "-q"], tmp_path)
    assert (status, err) == (0, "")
    assert model.is_file()

    argv = ["predict", str(fitted_model), str(regression_csv), "--out", "-", "-q"]
    status, err = _run_into_closed_pipe(argv, tmp_path)
    assert (status, err) == (0, "")


def _capture_figures(monkeypatch):
    from matplotlib.figure import Figure

    figures = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: figures.append(self))
    return figures


def test_report_figure_agrees_with_stdout(
    tmp_path, regression_csv, capsys, monkeypatch
):
    pytest.importorskip("matplotlib")
    figures = _capture_figures(monkeypatch)
    args = ["fit", str(regression_csv), "--target", "target", "--report", "r.png"]
    assert main([*args, "--out", str(tmp_path / "m.joblib"), *FAST, "-q"]) == 0
    out = capsys.readouterr().out
    scores = re.search(r"CV RMSE [\d.]+ \(R² [\d.]+\)", out).group()
    (figure,) = figures
    titles = [ax.get_title() for ax in figure.axes]
    assert any(f"{scores}, mean over folds" in title for title in titles)
    assert not any("passthrough" in title for title in titles)
    assert figure.axes[0].get_xlabel() == "Wavelength (nm)"


def test_report_figure_without_preprocessing(monkeypatch):
    pytest.importorskip("matplotlib")
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.model_selection import KFold

    from skl_nirs.model_selection import OptunaSearchCV

    X, y, wavelengths = make_nirs_regression(
        n_samples=40, n_wavelengths=30, random_state=0
    )
    pipeline = Pipeline(
        [
            ("scatter", "passthrough"),
            ("derivative", "passthrough"),
            ("model", PLSRegression(2)),
        ]
    )
    cv = KFold(3, shuffle=True, random_state=0)
    search = OptunaSearchCV(
        pipeline,
        {"model__n_components": ("int", 1, 8)},
        n_trials=3,
        cv=cv,
        scoring={"rmse": "neg_root_mean_squared_error", "r2": "r2"},
        refit="rmse",
        random_state=0,
    ).fit(X, y)
    _, scores = _cli._tuned_scores(search, "regression")
    row = {"branch": "none_raw_pls", "score": 1.0, "fold_sd": 0.1}
    figures = _capture_figures(monkeypatch)
    _cli._report_figure(
        "unused.png",
        X=X,
        y=y,
        wavelengths=wavelengths,
        task="regression",
        rows=[row],
        search=search,
        cv=cv,
        scores=scores,
        title="test",
    )
    (figure,) = figures
    titles = [ax.get_title() for ax in figure.axes]
    assert len(figure.axes) == 4  # raw spectra only, across two cells
    assert titles[0] == "Spectra (preprocessing: none)"
    assert figure.axes[0].get_xlabel() == "Wavelength (nm)"


@pytest.mark.parametrize(
    "low, high, log", [(0.3, 3.0, True), (0.05, 40.0, True), (0.28, 0.31, False)]
)
def test_search_history_axis_in_plain_numbers(low, high, log):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.add_subplot()
    values = np.geomspace(high, low, 10)
    ax.scatter(np.arange(10), values)
    ax.step(np.arange(10), values)
    _cli._log_axis_in_plain_numbers(ax)
    figure.draw_without_rendering()
    assert ax.get_yscale() == ("log" if log else "linear")
    labels = [label.get_text() for label in ax.get_yticklabels()]
    bottom, top = ax.get_ylim()
    visible = [
        text
        for text, tick in zip(labels, ax.get_yticks())
        if text and bottom <= tick <= top
    ]
    assert len(visible) >= 2
    if log:  # a labelled tick below the best (smallest) error
        assert float(visible[0]) <= low
    for text in visible:
        float(text)  # a plain number: no 10^x, no ×
