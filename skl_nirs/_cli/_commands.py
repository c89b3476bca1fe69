"""The commands: ``demo``, ``fit`` and ``predict``."""

import csv
import io
import json
import sys
import warnings
from pathlib import Path

import numpy as np

from skl_nirs.datasets import load_spectra_csv, make_nirs_regression
from skl_nirs.feature_selection import RangeCut

from ._console import CommandError
from ._files import check_outputs, load_model, write_atomically


def _select_wavelengths(X, wavelengths, needed, path):
    """The columns of ``X`` at the ``needed`` wavelengths, matched by value."""
    column = {w: i for i, w in enumerate(wavelengths.tolist())}
    needed = np.asarray(needed, dtype=np.float64).tolist()  # (names: "1100.0")
    absent = [f"{w:g}" for w in needed if w not in column]
    if absent:
        shown = ", ".join(absent[:5]) + (", ..." if len(absent) > 5 else "")
        raise CommandError(f"{path}: missing {len(absent)} model wavelengths: {shown}.")
    return X[:, [column[w] for w in needed]]


def _is_number(value):
    try:
        float(value)
    except ValueError:
        return False
    return True


def _task(args, y):
    """--task; ``auto``: regression for numbers, classification for labels."""
    if y.dtype.kind == "f":
        return "regression" if args.task == "auto" else args.task
    numbers = [_is_number(value) for value in y]
    if args.task == "regression" or (args.task == "auto" and np.mean(numbers) >= 0.9):
        raise CommandError(
            f"--target {args.target}: {y[numbers.index(False)]!r} is not a number "
            f"({sum(numbers)} of {len(y)} values are); fix the file, or pass "
            "--task classification."
        )
    return "classification"


def _fit(args, console, X, y, wavelengths, task, test, title):
    """Compare, estimate, save; then print (a closed stdout loses nothing).

    ``test`` is None or ``(X, y, name)``.
    """
    import skops.io

    from ._report import print_report, report_figure
    from ._workflow import METRICS, compare_and_fit

    summary, bundle, predictions = compare_and_fit(X, y, task, args, console)
    bundle["wavelengths"] = wavelengths
    if test is not None:
        summary["test_score"] = METRICS[task](test[1], bundle["model"].predict(test[0]))
    write_atomically(args.out, lambda file: skops.io.dump(bundle, file))
    if args.report is not None:
        figure = report_figure(summary, bundle, X, y, predictions, args.unit, title)
        write_atomically(args.report, lambda file: figure.savefig(file, format="png"))
    if args.summary is not None:
        text = json.dumps(summary, indent=2) + "\n"
        write_atomically(args.summary, lambda file: file.write(text.encode()))
    print_report(summary, test_name=None if test is None else test[2])
    saved = [args.out, args.report, args.summary]
    print("Saved " + ", ".join(str(path) for path in saved if path is not None))


def run_fit(args, console):
    outputs = {"--out": args.out, "--report": args.report, "--summary": args.summary}
    check_outputs(outputs, [args.spectra, args.test])
    options = dict(target=args.target, delimiter=args.delimiter)
    X, y, wavelengths = load_spectra_csv(args.spectra, **options)
    if args.range:  # the columns inside any window (RangeCut checks the bounds)
        mask = np.zeros(len(wavelengths), dtype=bool)
        for start, stop in args.range:
            cut = RangeCut(start, stop, by="wavelength", wavelengths=wavelengths)
            try:
                mask |= cut.fit(wavelengths[np.newaxis]).get_support()
            except ValueError as exc:
                raise CommandError(f"--range {start}:{stop}: {exc}") from exc
        X, wavelengths = X[:, mask], wavelengths[mask]
    task = _task(args, y)
    if len(np.unique(y)) < 2:
        raise CommandError(f"--target {args.target}: every value is {y[0]}.")
    shape = f"{len(y)} spectra x {len(wavelengths)} wavelengths"
    console.note(f"{args.spectra}: {shape}, {task} of {args.target!r}")
    test = None
    if args.test is not None:
        Xt, yt, wt = load_spectra_csv(args.test, **options)
        test = (_select_wavelengths(Xt, wt, wavelengths, args.test), yt, args.test)
    title = f"skl-nirs fit: {Path(args.spectra).name}, target {args.target!r}"
    _fit(args, console, X, y, wavelengths, task, test, title)


def run_demo(args, console):
    """``fit`` on synthetic spectra, with 100 more as the test set."""
    Path(args.out).mkdir(parents=True, exist_ok=True)
    args.report = Path(args.out, "skl_nirs_demo_report.png")
    args.out = Path(args.out, "skl_nirs_demo_model.skops")
    args.unit = "nm"
    check_outputs({"--out": args.out, "--summary": args.summary}, [])
    X, y, wavelengths = make_nirs_regression(
        n_samples=args.n_samples + 100, random_state=args.random_state
    )
    shape = f"{args.n_samples} to fit, 100 to test, {X.shape[1]} wavelengths"
    console.note(f"synthetic NIR spectra: {shape}, target: analyte content (%)")
    test = (X[-100:], y[-100:], "100 synthetic test spectra")
    title = "skl-nirs demo: synthetic NIR spectra"
    _fit(args, console, X[:-100], y[:-100], wavelengths, "regression", test, title)


def run_predict(args, console):
    check_outputs({"--out": args.out}, [args.model, args.spectra])
    bundle = load_model(args.model, trust=args.trust)
    model = bundle["model"]
    X, _, wavelengths, *ids = load_spectra_csv(
        args.spectra, id_column=args.id_column, delimiter=args.delimiter
    )
    # saved by fit, or the column names of a (trusted) model fitted on a DataFrame
    needed = bundle.get("wavelengths", getattr(model, "feature_names_in_", None))
    if needed is not None:
        X = _select_wavelengths(X, wavelengths, needed, args.spectra)
    else:
        message = f"{args.model} does not record its wavelengths: columns in file order"
        warnings.warn(message, UserWarning, stacklevel=2)
    columns = {args.id_column: ids[0]} if ids else {}
    columns["prediction"] = model.predict(X)
    if args.proba:
        proba = bundle.get("proba", model)  # (calibrated, for classes)
        if not hasattr(proba, "predict_proba"):
            raise CommandError(f"{args.model}: the model gives no probabilities.")
        for label, values in zip(proba.classes_, proba.predict_proba(X).T):
            columns[f"proba_{label}"] = values
    if "domain" in bundle:
        outside = bundle["domain"].predict(model[:-1].transform(X)) == -1
        columns["outside_domain"] = outside.astype(int)
        if outside.any():
            why = "flat, or Hotelling T² / Q residual beyond the 99% limit"
            console.note(
                f"{outside.sum()} of {len(X)} spectra are outside the calibration "
                f"({why}): column outside_domain is 1"
            )
    text = io.StringIO(newline="")
    csv.writer(text).writerows([list(columns), *zip(*columns.values())])
    if args.out == "-":
        sys.stdout.write(text.getvalue())
    else:
        write_atomically(args.out, lambda file: file.write(text.getvalue().encode()))
        console.note(f"wrote {len(X)} predictions to {args.out}")
