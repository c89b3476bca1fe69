"""The commands: ``demo``, ``fit`` and ``predict``."""

import csv
import sys
from pathlib import Path

import numpy as np

from ._files import (
    CommandError,
    check_outputs,
    load_model,
    read_spectra,
    save_model,
    select_wavelengths,
    write_atomically,
)

DEMO_MODEL = "skl_nirs_demo_model.skops"
DEMO_REPORT = "skl_nirs_demo_report.png"


def _window_mask(wavelengths, windows):
    """Columns inside any ``--range`` window (RangeCut checks the bounds)."""
    from skl_nirs.feature_selection import RangeCut

    mask = np.zeros(len(wavelengths), dtype=bool)
    dummy = np.zeros((1, len(wavelengths)))
    for start, stop in windows:
        try:
            cut = RangeCut(start, stop, by="wavelength", wavelengths=wavelengths)
            mask |= cut.fit(dummy).get_support()
        except ValueError as exc:
            raise CommandError(f"--range {start}:{stop}: {exc}") from exc
    return mask


def _task(args, y):
    """--task, or regression for numbers and classification for labels."""
    if y.dtype.kind == "f":
        return args.task if args.task != "auto" else "regression"
    numbers = sum(_is_number(value) for value in y)
    if args.task == "regression" or (args.task == "auto" and numbers >= 0.9 * len(y)):
        bad = next(value for value in y if not _is_number(value))
        raise CommandError(
            f"--target {args.target}: {bad!r} is not a number ({numbers} of {len(y)} "
            "values are); fix the file, or pass --task classification."
        )
    return "classification"


def _is_number(value):
    try:
        float(value)
    except ValueError:
        return False
    return True


def _check_sizes(task, y, args):
    if task == "classification":
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise CommandError(f"--target {args.target}: a single class.")
        if counts.min() < max(args.cv, args.outer_cv):
            raise CommandError(
                f"class {classes[counts.argmin()]!r} has {counts.min()} samples: too "
                f"few for --cv {args.cv} and --outer-cv {args.outer_cv}."
            )
    elif len(y) < 3 * args.cv * args.outer_cv:
        raise CommandError(f"only {len(y)} samples: too few for nested CV.")


def _model(args, X, y, wavelengths, task, console, *, test=None, title):
    """Compare, estimate, save; then print (a closed stdout loses nothing)."""
    from ._report import print_report, report_figure, write_summary
    from ._workflow import compare_and_fit, score

    _check_sizes(task, y, args)
    result = compare_and_fit(X, y, task, args, console)
    model = result.bundle["model"]
    result.bundle["wavelengths"] = wavelengths
    if test is not None:
        result.test_score = score(task, test[1], model.predict(test[0]))
    save_model(args.out, result.bundle)
    if args.report is not None:
        unit = None if args.unit == "none" else args.unit
        write_atomically(
            args.report,
            lambda file: report_figure(
                file, result, X, y, wavelengths, unit=unit, title=title
            ),
        )
    if args.summary is not None:
        write_atomically(
            args.summary,
            lambda file: write_summary(file, result),
            binary=False,
        )
    print_report(
        result,
        n_samples=len(y),
        n_wavelengths=len(wavelengths),
        test_name=None if test is None else test[2],
    )
    saved = [args.out, args.report, args.summary]
    print("Saved " + ", ".join(str(path) for path in saved if path is not None))
    return 0


def run_fit(args, console):
    check_outputs(
        {"--out": args.out, "--report": args.report, "--summary": args.summary},
        [args.spectra, args.test],
    )
    X, y, wavelengths, _ = read_spectra(
        args.spectra, target=args.target, delimiter=args.delimiter
    )
    if args.range:
        mask = _window_mask(wavelengths, args.range)
        X, wavelengths = X[:, mask], wavelengths[mask]
    task = _task(args, y)
    console.note(
        f"{args.spectra}: {len(y)} spectra x {len(wavelengths)} wavelengths, "
        f"{task} of {args.target!r}"
    )
    test = None
    if args.test is not None:
        Xt, yt, wt, _ = read_spectra(
            args.test, target=args.target, delimiter=args.delimiter
        )
        test = (select_wavelengths(Xt, wt, wavelengths, args.test), yt, args.test)
    title = f"skl-nirs fit: {Path(args.spectra).name}, target {args.target!r}"
    return _model(args, X, y, wavelengths, task, console, test=test, title=title)


def run_demo(args, console):
    from skl_nirs.datasets import make_nirs_regression

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    args.out, args.report = out / DEMO_MODEL, out / DEMO_REPORT
    check_outputs({"--out": args.out, "--summary": args.summary}, [])
    X, y, wavelengths = make_nirs_regression(
        n_samples=args.n_samples + 100, random_state=args.random_state
    )
    console.note(
        f"synthetic NIR spectra: {args.n_samples} to fit, 100 to test, "
        f"{X.shape[1]} wavelengths, target: analyte content (%)"
    )
    args.unit, test = "nm", (X[-100:], y[-100:], "100 synthetic test spectra")
    return _model(
        args,
        X[:-100],
        y[:-100],
        wavelengths,
        "regression",
        console,
        test=test,
        title="skl-nirs demo: synthetic NIR spectra",
    )


def run_predict(args, console):
    check_outputs({"--out": args.out}, [args.model, args.spectra])
    bundle = load_model(args.model, trust=args.trust)
    model = bundle["model"]
    if not hasattr(model, "predict"):
        raise CommandError(f"{args.model}: holds no model with predict.")
    X, _, wavelengths, ids = read_spectra(
        args.spectra, id_column=args.id_column, delimiter=args.delimiter
    )
    needed = bundle.get("wavelengths")
    if needed is None and hasattr(model, "feature_names_in_"):
        needed = np.asarray(model.feature_names_in_, dtype=np.float64)
    if needed is not None:
        X = select_wavelengths(X, wavelengths, needed, args.spectra)
    elif X.shape[1] != getattr(model, "n_features_in_", X.shape[1]):
        raise CommandError(
            f"{args.spectra}: {X.shape[1]} wavelengths, the model needs "
            f"{model.n_features_in_}."
        )
    columns = {"prediction": model.predict(X)}
    if args.proba:
        proba = bundle.get("proba", model)
        if not hasattr(proba, "predict_proba"):
            raise CommandError(f"{args.model}: the model gives no probabilities.")
        for label, values in zip(proba.classes_, proba.predict_proba(X).T):
            columns[f"proba_{label}"] = values
    if "domain" in bundle:
        outside = bundle["domain"].predict(model[:-1].transform(X)) == -1
        columns["outside_domain"] = outside.astype(int)
        if outside.any():
            console.note(
                f"{outside.sum()} of {len(X)} spectra are outside the calibration "
                "(flat, or Hotelling T² / Q residual beyond the 99% limit): "
                "column outside_domain is 1"
            )
    rows = np.column_stack([np.asarray(v, dtype=object) for v in columns.values()])
    header = ([args.id_column] if ids is not None else []) + list(columns)
    if ids is not None:
        rows = np.column_stack([np.asarray(ids, dtype=object), rows])

    def write(file):
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows.tolist())

    if args.out == "-":
        write(sys.stdout)
    else:
        write_atomically(args.out, write, binary=False)
        console.note(f"wrote {len(X)} predictions to {args.out}")
    return 0
