"""What ``fit`` prints, the JSON summary and the report figure (Displays)."""

import json

import numpy as np

from ._console import one_line


def summary(result):
    """The ``--summary`` record."""
    return {
        "metric": result.metric,
        "selection_score": result.selection_score,
        "estimate": result.estimate,
        "estimate_sd": result.estimate_sd,
        "estimate_method": result.estimate_method,
        **({} if result.test_score is None else {"test_score": result.test_score}),
        "pipeline": one_line(repr(result.bundle["model"])),
        "candidates_evaluated": result.n_evaluated,
        "candidates_failed": result.n_failed,
        "leaderboard": [
            {"candidate": name, "selection_score": value, "setting": setting}
            for name, value, setting in result.leaderboard
        ],
        "seconds": round(result.seconds, 2),
    }


def write_summary(file, result):
    json.dump(summary(result), file, indent=2)
    file.write("\n")


def print_report(result, *, n_samples, n_wavelengths, test_name=None):
    """The results, on stdout."""
    metric = {"rmse": "RMSE", "accuracy": "accuracy"}[result.metric]
    width = max(len(name) for name, _, _ in result.leaderboard)
    print(
        f"Compared {len(result.leaderboard)} candidates on {n_samples} spectra x "
        f"{n_wavelengths} wavelengths ({result.n_evaluated} settings scored"
        + (f", {result.n_failed} failed" if result.n_failed else "")
        + f"; CV {metric} of each at its best setting):"
    )
    for rank, (name, value, setting) in enumerate(result.leaderboard, start=1):
        print(f"{rank:>4}  {name:<{width}}  {value:>9.4g}  {setting}")
    print(f"Chosen: {one_line(repr(result.bundle['model']))}")
    print(
        f"  selection score (CV {metric} the choice was made on; optimistic): "
        f"{result.selection_score:.4g}"
    )
    print(
        f"  estimate on new data (nested CV of the whole selection):      "
        f"{result.estimate:.4g} ± {result.estimate_sd:.2g}"
    )
    if result.test_score is not None:
        print(f"  test {metric} on {test_name}: {result.test_score:.4g}")


def report_figure(file, result, X, y, wavelengths, *, unit, title):
    """Spectra, preprocessed spectra, honest predictions, the comparison."""
    from matplotlib.figure import Figure
    from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay

    from skl_nirs.plotting import BranchComparisonDisplay, SpectraDisplay

    figure = Figure(figsize=(14, 9), layout="constrained")
    grid = figure.add_gridspec(2, 3)
    model = result.bundle["model"]
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
    if result.metric == "rmse":
        PredictionErrorDisplay.from_predictions(
            y, np.ravel(result.predictions), kind="actual_vs_predicted", ax=ax
        )
    else:
        ConfusionMatrixDisplay.from_predictions(
            y, result.predictions, ax=ax, colorbar=False
        )
    ax.set_title(f"Nested CV predictions\n{result.metric} {result.estimate:.4g}")
    ax = figure.add_subplot(grid[1, :])
    BranchComparisonDisplay(
        [name for name, _, _ in result.leaderboard],
        [value for _, value, _ in result.leaderboard],
        score_name=f"CV {result.metric} at the best setting (selection score)",
    ).plot(ax=ax)
    figure.suptitle(title)
    figure.savefig(file, format="png", dpi=100)
