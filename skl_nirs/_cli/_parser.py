"""The options of ``skl-nirs``."""

import argparse


def _integer(low):
    def parse(value):
        if not value.lstrip("-").isdigit() or int(value) < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}: {value!r}")
        return int(value)

    return parse


def window(value):
    """``START:STOP`` in wavelength units, either side may be empty.

    (argparse reports a ValueError as "invalid window value".)
    """
    start, stop = value.split(":")
    return tuple(float(part) if part else None for part in (start, stop))


_DESCRIPTION = """Compare, estimate and apply near-infrared spectroscopy pipelines
(scatter correction x derivative x model)."""
_COMMON = [
    ("-q", "--quiet", dict(action="store_true", help="no status lines on stderr")),
    ("-v", "--verbose", dict(action="store_true", help="every warning (default: "
     "each distinct one once, with a count), the traceback of errors and where "
     "the fits ran")),
]  # fmt: skip
_CSV = ("--delimiter", dict(default=",", metavar="CHAR", help="default: ,"))
_MODELLING = [
    ("--n-trials", dict(type=_integer(1), default=6, metavar="N",
     help="settings of each candidate's main parameter (default: %(default)s)")),
    ("--max-components", dict(type=_integer(1), default=20, metavar="N",
     help="most PLS components tried (default: %(default)s)")),
    ("--cv", dict(type=_integer(2), default=5, metavar="K", help="folds of the "
     "comparison (default: %(default)s)")),
    ("--outer-cv", dict(type=_integer(2), default=3, metavar="K", help="outer folds "
     "of the nested CV estimating the error on new data (default: %(default)s)")),
    ("--n-jobs", dict(type=int, default=-1, metavar="N", help="-1: all "
     "cores (default: -1)")),
    ("--random-state", dict(type=int, default=0, metavar="SEED", help="seed of "
     "the folds (default: 0)")),
    ("--summary", dict(metavar="SUMMARY.json", help="write the scores as JSON")),
]  # fmt: skip
_COMMANDS = {
    "demo": ("the whole workflow on synthetic spectra", [
        ("--out", dict(default=".", metavar="DIR", help="output folder (default: .)")),
        ("--n-samples", dict(type=_integer(30), default=200, metavar="N",
         help="synthetic spectra to fit; 100 more are the test set (default: 200)")),
        *_MODELLING, *_COMMON]),
    "fit": ("compare candidates on a CSV file, save the chosen model", [
        ("spectra", dict(metavar="SPECTRA.csv", help="a header row, one row per "
         "sample; columns whose header is a number are the spectrum")),
        ("--target", dict(required=True, metavar="COLUMN")),
        ("--task", dict(choices=["auto", "regression", "classification"],
         default="auto", help="auto: regression for numbers, else classification")),
        ("--out", dict(default="model.skops", metavar="MODEL.skops", help="saved with "
         "skops (default: %(default)s)")),
        ("--report", dict(metavar="REPORT.png", help="a report figure (matplotlib)")),
        ("--test", dict(metavar="TEST.csv", help="score the final model on a file")),
        ("--range", dict(action="append", type=window, metavar="START:STOP",
         help="keep the wavelengths of this window (repeat for several)")),
        ("--unit", dict(choices=["nm", "cm-1", "none"], default="nm",
         help="of the wavelengths, for the report (default: nm)")),
        _CSV, *_MODELLING, *_COMMON]),
    "predict": ("predict with a saved model", [
        ("model", dict(metavar="MODEL.skops")),
        ("spectra", dict(metavar="SPECTRA.csv", help="may hold more wavelengths "
         "than the model needs: they are matched by value")),
        ("--out", dict(default="predictions.csv", metavar="OUT.csv", help="'-' for "
         "stdout; a column outside_domain flags spectra outside the calibration "
         "(default: %(default)s)")),
        ("--id-column", dict(metavar="COLUMN", help="copy this column to --out")),
        ("--proba", dict(action="store_true", help="also write class probabilities")),
        ("--trust", dict(action="store_true", help="also load a pickle / joblib "
         "file, or a skops file with other types: loading a pickle runs its code")),
        _CSV, *_COMMON]),
}  # fmt: skip


def build_parser():
    from skl_nirs import __version__

    parser = argparse.ArgumentParser(prog="skl-nirs", description=_DESCRIPTION)
    version = f"%(prog)s {__version__}"
    parser.add_argument("--version", action="version", version=version)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (description, options) in _COMMANDS.items():
        command = commands.add_parser(name, help=description, description=description)
        for *flags, kwargs in options:
            command.add_argument(*flags, **kwargs)
    return parser
