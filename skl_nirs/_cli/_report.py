"""The results on stdout and the report figure (Displays)."""

import numpy as np


def print_report(summary, test_name=None):
    """The results, on stdout."""
    metric = "RMSE" if summary["metric"] == "rmse" else "accuracy"
    board, failed = summary["leaderboard"], summary["candidates_failed"]
    compared = f"CV {metric} of each at its best setting"
    compared += f"; {failed} settings failed" if failed else ""
    print(f"Compared {len(board)} candidates ({compared}):")
    width = max(len(row["candidate"]) for row in board)
    for rank, row in enumerate(board, start=1):
        name, value = row["candidate"], row["selection_score"]
        print(f"{rank:>4}  {name:<{width}}  {value:>9.4g}  {row['setting']}")
    print(
        f"Chosen: {summary['pipeline']}\n"
        f"  selection score (CV {metric} the choice was made on; optimistic): "
        f"{summary['selection_score']:.4g}\n"
        f"  estimate on new data (nested CV of the whole selection):      "
        f"{summary['estimate']:.4g} ± {summary['estimate_sd']:.2g}"
    )
    if "test_score" in summary:
        print(f"  test {metric} on {test_name}: {summary['test_score']:.4g}")


def report_figure(summary, bundle, X, y, predictions, unit, title):
    """Spectra, preprocessed spectra, honest predictions, the comparison."""
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay

    from skl_nirs.plotting import BranchComparisonDisplay, SpectraDisplay

    figure = Figure(figsize=(14, 9), dpi=100, layout="constrained")
    figure.suptitle(title)
    axs = figure.subplot_mosaic([["raw", "preprocessed", "predicted"], ["bars"] * 3])
    wavelengths, unit = bundle["wavelengths"], None if unit == "none" else unit
    SpectraDisplay.from_spectra(
        X, wavelengths, unit=unit, ax=axs["raw"], title="Spectra"
    )
    SpectraDisplay.from_estimator(
        bundle["model"][:-1], X, wavelengths, unit=unit, ax=axs["preprocessed"]
    ).ax_.set_title("Preprocessed (chosen candidate)")
    ax = axs["predicted"]
    if summary["metric"] == "rmse":
        PredictionErrorDisplay.from_predictions(
            y, np.ravel(predictions), kind="actual_vs_predicted", ax=ax
        )
    else:
        ConfusionMatrixDisplay.from_predictions(y, predictions, ax=ax, colorbar=False)
    ax.set_title(
        f"Nested CV predictions\n{summary['metric']} {summary['estimate']:.4g}"
    )
    board = summary["leaderboard"]
    BranchComparisonDisplay(
        [row["candidate"] for row in board],
        [row["selection_score"] for row in board],
        score_name=f"CV {summary['metric']} at the best setting (selection score)",
    ).plot(ax=axs["bars"])
    return figure
