"""The results on stdout and the report figure (Displays)."""

import numpy as np


def print_report(summary, test_name=None):
    """The results, on stdout."""
    metric = {"rmse": "RMSE", "accuracy": "accuracy"}[summary["metric"]]
    board = summary["leaderboard"]
    failed = summary["candidates_failed"]
    print(
        f"Compared {len(board)} candidates (CV {metric} of each at its best setting"
        + (f"; {failed} settings failed" if failed else "")
        + "):"
    )
    width = max(len(row["candidate"]) for row in board)
    for rank, row in enumerate(board, start=1):
        print(
            f"{rank:>4}  {row['candidate']:<{width}}  "
            f"{row['selection_score']:>9.4g}  {row['setting']}"
        )
    print(f"Chosen: {summary['pipeline']}")
    print(
        f"  selection score (CV {metric} the choice was made on; optimistic): "
        f"{summary['selection_score']:.4g}"
    )
    print(
        f"  estimate on new data (nested CV of the whole selection):      "
        f"{summary['estimate']:.4g} ± {summary['estimate_sd']:.2g}"
    )
    if "test_score" in summary:
        print(f"  test {metric} on {test_name}: {summary['test_score']:.4g}")


def report_figure(summary, model, X, y, predictions, wavelengths, unit, title):
    """Spectra, preprocessed spectra, honest predictions, the comparison."""
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay

    from skl_nirs.plotting import BranchComparisonDisplay, SpectraDisplay

    unit = None if unit == "none" else unit
    figure = Figure(figsize=(14, 9), dpi=100, layout="constrained")
    grid = figure.add_gridspec(2, 3)
    SpectraDisplay.from_spectra(
        X, wavelengths, unit=unit, title="Spectra", ax=figure.add_subplot(grid[0, 0])
    )
    SpectraDisplay.from_estimator(
        model[:-1],
        X,
        wavelengths,
        unit=unit,
        title="Preprocessed (chosen candidate)",
        ax=figure.add_subplot(grid[0, 1]),
    )
    ax = figure.add_subplot(grid[0, 2])
    if summary["metric"] == "rmse":
        PredictionErrorDisplay.from_predictions(
            y, np.ravel(predictions), kind="actual_vs_predicted", ax=ax
        )
    else:
        ConfusionMatrixDisplay.from_predictions(y, predictions, ax=ax, colorbar=False)
    ax.set_title(
        f"Nested CV predictions\n{summary['metric']} {summary['estimate']:.4g}"
    )
    BranchComparisonDisplay(
        [row["candidate"] for row in summary["leaderboard"]],
        [row["selection_score"] for row in summary["leaderboard"]],
        score_name=f"CV {summary['metric']} at the best setting (selection score)",
    ).plot(ax=figure.add_subplot(grid[1, :]))
    figure.suptitle(title)
    return figure
