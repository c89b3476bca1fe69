"""The options of ``skl-nirs``."""

import argparse


def _integer(low):
    def parse(value):
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if number < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}: {value!r}")
        return number

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


def _common(parser):
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no status lines on stderr"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show every warning (by default each distinct one once, with a "
        "count) and the traceback of errors",
    )


def _modelling(parser):
    group = parser.add_argument_group("modelling")
    group.add_argument(
        "--n-trials",
        type=_integer(1),
        default=6,
        metavar="N",
        help="settings of each candidate's main parameter tried (PLS components, "
        "ridge alpha) (default: %(default)s)",
    )
    group.add_argument(
        "--max-components",
        type=_integer(1),
        default=20,
        metavar="N",
        help="largest number of PLS components tried (default: %(default)s)",
    )
    group.add_argument(
        "--cv",
        type=_integer(2),
        default=5,
        metavar="K",
        help="folds of the comparison (default: %(default)s)",
    )
    group.add_argument(
        "--outer-cv",
        type=_integer(2),
        default=3,
        metavar="K",
        help="outer folds of the nested CV estimating the error on new data "
        "(default: %(default)s)",
    )
    group.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        metavar="N",
        help="parallel jobs, -1 for all cores (default: %(default)s)",
    )
    group.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of the folds (default: %(default)s)",
    )
    group.add_argument(
        "--summary",
        metavar="SUMMARY.json",
        help="also write the scores and the pipeline as JSON",
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skl-nirs",
        description="Compare, estimate and apply near-infrared spectroscopy "
        "pipelines (scatter correction x derivative x model).",
    )
    from skl_nirs import __version__

    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="the whole workflow on synthetic spectra")
    demo.add_argument(
        "--out",
        default=".",
        metavar="DIR",
        help="folder of the model and report (default: current)",
    )
    demo.add_argument(
        "--n-samples",
        type=_integer(30),
        default=200,
        metavar="N",
        help="synthetic spectra to fit (default: %(default)s)",
    )
    _modelling(demo)
    _common(demo)

    fit = commands.add_parser(
        "fit",
        help="compare candidates on a CSV file and save the chosen model",
        description="Columns whose header is a number are the spectrum; --target "
        "names the reference values; other columns are ignored.",
    )
    fit.add_argument("spectra", metavar="SPECTRA.csv")
    fit.add_argument("--target", required=True, metavar="COLUMN")
    fit.add_argument(
        "--task",
        choices=["auto", "regression", "classification"],
        default="auto",
        help="auto: regression for numbers, classification for labels",
    )
    fit.add_argument(
        "--out",
        default="model.skops",
        metavar="MODEL.skops",
        help="the model, saved with skops (default: %(default)s)",
    )
    fit.add_argument(
        "--report",
        metavar="REPORT.png",
        help="also save a report figure (needs matplotlib)",
    )
    fit.add_argument(
        "--test", metavar="TEST.csv", help="also score the final model on these spectra"
    )
    fit.add_argument(
        "--range",
        action="append",
        type=_window,
        metavar="START:STOP",
        help="keep the wavelengths in this window (repeat for several)",
    )
    fit.add_argument(
        "--unit",
        choices=["nm", "cm-1", "none"],
        default="nm",
        help="unit of the wavelength axis of the report (default: nm)",
    )
    fit.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR")
    _modelling(fit)
    _common(fit)

    predict = commands.add_parser(
        "predict",
        help="predict with a saved model",
        description="The file may hold more wavelengths than the model needs; "
        "they are matched by value. A column outside_domain flags the spectra "
        "outside the calibration.",
    )
    predict.add_argument("model", metavar="MODEL.skops")
    predict.add_argument("spectra", metavar="SPECTRA.csv")
    predict.add_argument(
        "--out",
        default="predictions.csv",
        metavar="OUT.csv",
        help="'-' for stdout (default: %(default)s)",
    )
    predict.add_argument(
        "--id-column", metavar="COLUMN", help="copy this column to the output"
    )
    predict.add_argument(
        "--proba", action="store_true", help="also write class probabilities"
    )
    predict.add_argument(
        "--trust",
        action="store_true",
        help="load a pickle/joblib model, or a skops file with other types: "
        "loading a pickle runs code from the file",
    )
    predict.add_argument("--delimiter", type=_delimiter, default=",", metavar="CHAR")
    _common(predict)
    return parser
