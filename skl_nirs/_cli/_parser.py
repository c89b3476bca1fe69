"""The options of ``skl-nirs``."""

import argparse


def _integer(low):
    def parse(value):
        if not value.lstrip("-").isdigit() or int(value) < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}: {value!r}")
        return int(value)

    return parse


def _window(value):
    """``START:STOP`` in wavelength units, either side may be empty."""
    try:
        start, stop = (
            float(part) if part.strip() else None for part in value.split(":")
        )
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START:STOP, got {value!r}"
        ) from None
    return start, stop


def _delimiter(value):
    value = "\t" if value in ("tab", "\\t") else value
    if len(value) != 1:
        raise argparse.ArgumentTypeError(f"a single character or 'tab': {value!r}")
    return value


_COMMON = [
    ("-q", "--quiet", dict(action="store_true", help="no status lines on stderr")),
    ("-v", "--verbose", dict(action="store_true", help="every warning (default: "
     "each distinct one once, with a count) and the traceback of errors")),
]  # fmt: skip
_MODELLING = [
    ("--n-trials", dict(type=_integer(1), default=6, metavar="N", help="settings of "
     "each candidate's main parameter (PLS components, ridge alpha) (default: 6)")),
    ("--max-components", dict(type=_integer(1), default=20, metavar="N",
     help="most PLS components tried (default: 20)")),
    ("--cv", dict(type=_integer(2), default=5, metavar="K",
     help="folds of the comparison (default: 5)")),
    ("--outer-cv", dict(type=_integer(2), default=3, metavar="K", help="outer folds "
     "of the nested CV estimating the error on new data (default: 3)")),
    ("--n-jobs", dict(type=int, default=-1, metavar="N",
     help="parallel jobs, -1 for all cores (default: -1)")),
    ("--random-state", dict(type=int, default=0, metavar="SEED",
     help="seed of the folds (default: 0)")),
    ("--summary", dict(metavar="SUMMARY.json",
     help="also write the scores and the pipeline as JSON")),
]  # fmt: skip
_COMMANDS = {
    "demo": ("the whole workflow on synthetic spectra", [
        ("--out", dict(default=".", metavar="DIR",
         help="folder of the model and the report (default: the current one)")),
        ("--n-samples", dict(type=_integer(30), default=200, metavar="N",
         help="synthetic spectra to fit; 100 more are the test set (default: 200)")),
        *_MODELLING, *_COMMON]),
    "fit": ("compare candidates on a CSV file, save the chosen model", [
        ("spectra", dict(metavar="SPECTRA.csv", help="a header row, one row per "
         "sample; columns whose header is a number are the spectrum")),
        ("--target", dict(required=True, metavar="COLUMN")),
        ("--task", dict(choices=["auto", "regression", "classification"],
         default="auto", help="auto: regression for numbers, else classification")),
        ("--out", dict(default="model.skops", metavar="MODEL.skops",
         help="the model, saved with skops (default: model.skops)")),
        ("--report", dict(metavar="REPORT.png", help="a report figure (matplotlib)")),
        ("--test", dict(metavar="TEST.csv", help="score the final model on a file")),
        ("--range", dict(action="append", type=_window, metavar="START:STOP",
         help="keep the wavelengths of this window (repeat for several)")),
        ("--unit", dict(choices=["nm", "cm-1", "none"], default="nm",
         help="unit of the wavelengths, for the report (default: nm)")),
        ("--delimiter", dict(type=_delimiter, default=",", metavar="CHAR")),
        *_MODELLING, *_COMMON]),
    "predict": ("predict with a saved model", [
        ("model", dict(metavar="MODEL.skops")),
        ("spectra", dict(metavar="SPECTRA.csv", help="may hold more wavelengths "
         "than the model needs: they are matched by value")),
        ("--out", dict(default="predictions.csv", metavar="OUT.csv",
         help="'-' for stdout; a column outside_domain flags the spectra outside "
         "the calibration (default: predictions.csv)")),
        ("--id-column", dict(metavar="COLUMN", help="copy this column to --out")),
        ("--proba", dict(action="store_true", help="also write class probabilities")),
        ("--trust", dict(action="store_true", help="also load a pickle / joblib "
         "file, or a skops file with other types: loading a pickle runs its code")),
        ("--delimiter", dict(type=_delimiter, default=",", metavar="CHAR")),
        *_COMMON]),
}  # fmt: skip


def build_parser():
    from skl_nirs import __version__

    parser = argparse.ArgumentParser(
        prog="skl-nirs",
        description="Compare, estimate and apply near-infrared spectroscopy "
        "pipelines (scatter correction x derivative x model).",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (description, options) in _COMMANDS.items():
        command = commands.add_parser(name, help=description, description=description)
        for *flags, kwargs in options:
            command.add_argument(*flags, **kwargs)
    return parser
