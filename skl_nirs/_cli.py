"""The ``skl-nirs`` command line: compare, tune, save and apply NIRS pipelines.

``skl-nirs demo`` runs the whole workflow on synthetic spectra, ``skl-nirs fit``
on a CSV file of spectra, and ``skl-nirs predict`` applies a saved model. The
commands only assemble the package's public estimators: ``make_branch_grid``
builds the candidate pipelines, one ``ParallelBranches`` fit scores them all
out of fold, ``OptunaSearchCV`` tunes the best one, ``joblib`` saves it.
"""

import argparse
import csv
import math
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

PROG = "skl-nirs"

# Output file names of ``skl-nirs demo``, inside --out.
DEMO_MODEL = "skl_nirs_demo_model.joblib"
DEMO_REPORT = "skl_nirs_demo_report.png"


class _CommandError(Exception):
    """A problem the user can fix (bad file, bad option value): exit status 1."""


# -- messages and progress ----------------------------------------------------


def _one_line(text):
    return " ".join(str(text).split())


def _note(args, message):
    """A progress or status line on stderr, unless --quiet."""
    if not args.quiet:
        print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line (``warnings.showwarning`` replacement)."""
    first = str(message).strip().splitlines()[0] if str(message).strip() else ""
    print(f"{PROG}: warning: {category.__name__}: {first}", file=sys.stderr)


class _ProgressBar:
    """A text progress bar on stderr, and an Optuna callback.

    Called as ``bar(study, frozen_trial)`` after each trial of an
    :class:`~skl_nirs.model_selection.OptunaSearchCV` (its ``callbacks``). On a
    terminal the bar is redrawn in place; otherwise (a log file, a pipe) a
    single line is written when it finishes.
    """

    def __init__(self, label, total, *, enabled=True, best=None, width=28):
        self.label = label
        self.total = total
        self.enabled = enabled
        self.best = best
        self.width = width
        self.count = 0
        self.closed = False

    def __call__(self, study, trial):
        self.count += 1
        self._draw(study, final=self.count >= self.total)

    def _draw(self, study, final):
        if not self.enabled or self.closed:
            return
        stream = sys.stderr  # looked up at each call: the bar stays picklable
        filled = min(self.width, round(self.width * self.count / max(self.total, 1)))
        text = (
            f"{PROG}: {self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{self.count}/{self.total}"
        )
        if self.best is not None and study is not None:
            text += f"  {self.best(study)}"
        if final:
            self.closed = True
        if stream.isatty():
            # "\033[K" clears what a longer previous bar left on the line
            stream.write("\r" + text + "\033[K" + ("\n" if final else ""))
        elif final:
            stream.write(text + "\n")
        stream.flush()

    def close(self, study=None):
        """End the bar (when the search stopped before ``total`` trials)."""
        self._draw(study, final=True)


# -- files --------------------------------------------------------------------


def _delimiter(value):
    if value in ("tab", "\\t"):
        return "\t"
    if len(value) != 1:
        raise argparse.ArgumentTypeError(
            f"must be a single character or 'tab', got {value!r}"
        )
    return value


def _file_problem(exc):
    """The message of a file error, without Python's errno prefix."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return _one_line(exc)


def _data_error(path, exc):
    """A one-line error naming the file (once)."""
    message = _file_problem(exc)
    if repr(str(path)) not in message:
        message = f"{path}: {message}"
    return _CommandError(message)


_READ_ERRORS = (OSError, UnicodeDecodeError, ValueError, csv.Error)


def _check_finite(path, X, wavelengths):
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        row, column = bad[0]
        raise _CommandError(
            f"{path}: {len(bad)} missing (nan) or infinite spectrum values, the "
            f"first in data row {row + 1}, column {wavelengths[column]:g}."
        )


def _load_training_csv(path, target, delimiter):
    from skl_nirs.datasets import load_spectra_csv

    try:
        X, y, wavelengths = load_spectra_csv(path, target=target, delimiter=delimiter)
    except _READ_ERRORS as exc:
        raise _data_error(path, exc) from exc
    _check_finite(path, X, wavelengths)
    return X, y, wavelengths


def _read_spectra(path, *, delimiter=",", id_column=None):
    """Spectra of a CSV file with or without a target, and its sample ids.

    The layout is the one of :func:`~skl_nirs.datasets.load_spectra_csv`; the
    ``id_column`` (by default a column named ``id``, any case) is kept.

    Returns
    -------
    X : ndarray of shape (n_samples, n_wavelengths)
    wavelengths : ndarray of shape (n_wavelengths,)
    id_name : str or None
    ids : list of str or None
    """
    from skl_nirs.datasets import load_spectra_csv

    X, _, wavelengths = load_spectra_csv(path, delimiter=delimiter)
    with open(path, newline="", encoding="utf-8-sig") as file:
        rows = [row for row in csv.reader(file, delimiter=delimiter) if row]
    header = [name.strip() for name in rows[0]]
    if id_column is None:
        id_name = next((name for name in header if name.lower() == "id"), None)
    elif id_column in header:
        id_name = id_column
    else:
        raise ValueError(f"Id column {id_column!r} not found in the header.")
    if id_name is None:
        return X, wavelengths, None, None
    index = header.index(id_name)
    return X, wavelengths, id_name, [row[index] for row in rows[1:]]


def _check_writable(path, what):
    """Fail early, before the long work, if ``path`` cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise _CommandError(f"{what} {path}: is a directory, give a file name.")
    if not path.parent.is_dir():
        raise _CommandError(f"{what} {path}: the folder {path.parent} does not exist.")


# -- the candidate pipelines --------------------------------------------------


def _largest_odd(value):
    return value if value % 2 else value - 1


def _candidates(task, n_features, n_train):
    """Candidate branches and the search space of each.

    Scatter correction {none, SNV, MSC} x derivative {none, Savitzky-Golay
    first derivative} x model ({PLS, Ridge} for regression, {PCA-LDA,
    RidgeClassifier} for classification), as ``make_branch_grid`` Pipelines
    with steps ``scatter``, ``derivative`` and ``model``.

    Returns
    -------
    branches : list of (str, Pipeline)
    spaces : dict of str to dict
        The ``param_distributions`` of each branch, for ``OptunaSearchCV``.
    """
    from sklearn.cross_decomposition import PLSRegression
    from sklearn.decomposition import PCA
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import Ridge, RidgeClassifier
    from sklearn.pipeline import Pipeline

    from skl_nirs.compose import make_branch_grid
    from skl_nirs.preprocessing import (
        MultiplicativeScatterCorrection,
        SavitzkyGolay,
        StandardNormalVariate,
    )

    max_components = max(1, min(25, n_features, n_train - 1))
    components = min(10, max_components)
    if task == "regression":
        models = {
            "pls": PLSRegression(n_components=components),
            "ridge": Ridge(alpha=1e-3),
        }
        model_spaces = {
            "pls": {"model__n_components": ("int", 1, max_components)},
            "ridge": {"model__alpha": ("float_log", 1e-6, 1e3)},
        }
    else:
        models = {
            "pcalda": Pipeline(
                [
                    ("pca", PCA(n_components=components)),
                    ("lda", LinearDiscriminantAnalysis()),
                ]
            ),
            "ridge": RidgeClassifier(alpha=1e-3),
        }
        model_spaces = {
            "pcalda": {"model__pca__n_components": ("int", 1, max_components)},
            "ridge": {"model__alpha": ("float_log", 1e-6, 1e3)},
        }
    derivatives = {"raw": "passthrough"}
    derivative_spaces = {"raw": {}}
    if n_features >= 11:  # the default Savitzky-Golay window must fit
        derivatives["sg1"] = SavitzkyGolay(11, 2, deriv=1)
        derivative_spaces["sg1"] = {
            "derivative__window_length": (
                "int",
                5,
                _largest_odd(min(31, n_features)),
                2,
            )
        }
    branches = make_branch_grid(
        scatter={
            "none": "passthrough",
            "snv": StandardNormalVariate(),
            "msc": MultiplicativeScatterCorrection(),
        },
        derivative=derivatives,
        model=models,
    )
    spaces = {}
    for name, _ in branches:
        _, derivative, model = name.split("_")
        spaces[name] = {**derivative_spaces[derivative], **model_spaces[model]}
    return branches, spaces


def _make_cv(task, n_splits, random_state):
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = StratifiedKFold if task == "classification" else KFold
    return splitter(n_splits, shuffle=True, random_state=random_state)


def _check_cv(task, y, n_splits):
    if len(y) < n_splits:
        raise _CommandError(
            f"--cv {n_splits}: only {len(y)} samples; use --cv {max(2, len(y))} or "
            "fewer."
        )
    if task != "classification":
        return
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        raise _CommandError(
            f"classification needs at least 2 classes; the target has only "
            f"{classes[0]!r}."
        )
    smallest = int(np.argmin(counts))
    if counts[smallest] < 2:
        raise _CommandError(
            f"class {classes[smallest]!r} has a single sample: it cannot be "
            "cross-validated."
        )
    if counts[smallest] < n_splits:
        raise _CommandError(
            f"--cv {n_splits}: class {classes[smallest]!r} has only "
            f"{counts[smallest]} samples; use --cv {counts[smallest]} or fewer."
        )


# -- compare, tune, report ----------------------------------------------------


def _metric(task):
    """Name of the leaderboard metric, and whether lower is better."""
    return ("CV RMSE", True) if task == "regression" else ("CV accuracy", False)


def _format_score(task, value):
    return f"{value:.4g}" if task == "regression" else f"{value:.3f}"


def _compare(args, X, y, task, branches, cv):
    """Score every branch out of fold with one ParallelBranches fit."""
    from sklearn.metrics import accuracy_score, r2_score, root_mean_squared_error

    from skl_nirs.compose import ParallelBranches

    splits = list(cv.split(X, y))
    _note(
        args,
        f"comparing {len(branches)} branches: {len(splits)}-fold CV, "
        f"{len(branches) * (len(splits) + 1)} fits ...",
    )
    start = time.perf_counter()
    union = ParallelBranches(
        branches,
        cv=cv,
        stack_method="predict",
        n_jobs=args.n_jobs,
        on_error="warn",
    )
    predictions = union.fit_transform(X, y)
    _note(args, f"compared the branches in {time.perf_counter() - start:.1f} s")
    columns = {
        feature.split("__")[0]: predictions[:, index]
        for index, feature in enumerate(union.get_feature_names_out())
    }
    # Scores are means over the folds, as in cross_val_score and OptunaSearchCV,
    # so that the leaderboard and the search agree on the same candidate.
    if task == "regression":
        first, second = root_mean_squared_error, r2_score
    else:
        first, second = accuracy_score, None
    rows = []
    for name, pipeline in branches:
        if name not in columns:
            continue
        y_pred = columns[name]
        if task == "regression":
            y_pred = y_pred.astype(np.float64)
        scores = [first(y[test], y_pred[test]) for _, test in splits]
        rows.append(
            {
                "branch": name,
                "pipeline": pipeline,
                "score": float(np.mean(scores)),
                "fold_sd": float(np.std(scores)),
                "second": None
                if second is None
                else float(np.mean([second(y[t], y_pred[t]) for _, t in splits])),
                "fit_time": union.branch_fit_times_[name],
            }
        )
    lower_is_better = _metric(task)[1]
    rows.sort(key=lambda row: row["score"] if lower_is_better else -row["score"])
    return union, rows


def _print_leaderboard(rows, task, failed):
    metric, _ = _metric(task)
    width = max([len("branch"), *(len(row["branch"]) for row in rows)])
    if task == "regression":
        print(f"rank  {'branch':<{width}}  {metric:>8}  {'± sd':>7}  {'R²':>7}  fit s")
    else:
        print(f"rank  {'branch':<{width}}  {metric:>11}  {'± sd':>7}  fit s")
    for rank, row in enumerate(rows, start=1):
        if task == "regression":
            print(
                f"{rank:>4}  {row['branch']:<{width}}  {row['score']:>8.4g}  "
                f"{row['fold_sd']:>7.3g}  {row['second']:>7.4f}  "
                f"{row['fit_time']:>5.2f}"
            )
        else:
            print(
                f"{rank:>4}  {row['branch']:<{width}}  {row['score']:>11.3f}  "
                f"{row['fold_sd']:>7.3f}  {row['fit_time']:>5.2f}"
            )
    for name, message in failed.items():
        print(f"   -  {name:<{width}}  failed: {_one_line(message)}")


def _scoring(task):
    if task == "regression":
        return {"rmse": "neg_root_mean_squared_error", "r2": "r2"}, "rmse"
    return {"accuracy": "accuracy", "balanced_accuracy": "balanced_accuracy"}, (
        "accuracy"
    )


def _tune(args, X, y, task, row, space, cv):
    """Tune the parameters of one branch with OptunaSearchCV."""
    from sklearn.base import clone

    from skl_nirs.model_selection import OptunaSearchCV

    scoring, refit = _scoring(task)
    sign = -1.0 if task == "regression" else 1.0
    metric, _ = _metric(task)

    def best(study):
        try:
            return f"best {metric} {_format_score(task, sign * study.best_value)}"
        except ValueError:
            return ""

    bar = _ProgressBar(
        f"tuning {row['branch']}", args.n_trials, enabled=not args.quiet, best=best
    )
    names = ", ".join(space)
    _note(args, f"tuning {row['branch']} ({names}): {args.n_trials} Optuna trials ...")
    pipeline = clone(row["pipeline"])
    search = OptunaSearchCV(
        pipeline,
        space,
        n_trials=args.n_trials,
        scoring=scoring,
        refit=refit,
        cv=cv,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        callbacks=[bar],
        **_study_starting_from(pipeline, space),
    )
    start = time.perf_counter()
    search.fit(X, y)
    bar.close(search.study_)
    _note(args, f"tuned in {time.perf_counter() - start:.1f} s")
    return search


def _study_starting_from(pipeline, space):
    """Storage and study name of a new in-memory study whose first trial is the
    pipeline's own parameters: tuning never ends worse than the leaderboard."""
    import optuna

    storage = optuna.storages.InMemoryStorage()
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            storage=storage, study_name="skl-nirs", direction="maximize"
        )
    finally:
        optuna.logging.set_verbosity(verbosity)
    params = pipeline.get_params()
    study.enqueue_trial({key: params[key] for key in space})
    return {"storage": storage, "study_name": study.study_name}


def _tuned_scores(search, task):
    """The best candidate's cross-validated scores, as printable text."""
    index = search.best_index_
    results = search.cv_results_
    if task == "regression":
        rmse = -results["mean_test_rmse"][index]
        r2 = results["mean_test_r2"][index]
        return rmse, f"CV RMSE {rmse:.4g} (R² {r2:.4f})"
    accuracy = results["mean_test_accuracy"][index]
    balanced = results["mean_test_balanced_accuracy"][index]
    return accuracy, f"CV accuracy {accuracy:.3f} (balanced {balanced:.3f})"


def _format_params(params):
    def value(v):
        return f"{v:.4g}" if isinstance(v, float) else repr(v)

    return ", ".join(f"{key}={value(v)}" for key, v in params.items())


def _report_figure(path, *, X, y, wavelengths, task, rows, search, cv, title):
    """Save the report figure: spectra, preprocessing, predictions, leaderboard,
    search history."""
    from matplotlib.figure import Figure
    from sklearn.base import clone
    from sklearn.metrics import ConfusionMatrixDisplay
    from sklearn.model_selection import cross_val_predict

    from skl_nirs.plotting import (
        plot_leaderboard,
        plot_predictions,
        plot_search_history,
        plot_spectra,
    )

    metric, _ = _metric(task)
    figure = Figure(figsize=(14, 9), layout="constrained")
    grid = figure.add_gridspec(2, 3)
    spectra_axes = [figure.add_subplot(grid[0, 0]), figure.add_subplot(grid[0, 1])]
    predictions_ax = figure.add_subplot(grid[0, 2])
    leaderboard_ax = figure.add_subplot(grid[1, :2])
    history_ax = figure.add_subplot(grid[1, 2])

    best = search.best_estimator_
    plot_spectra(X, wavelengths, transformer=best[:-1], ax=spectra_axes)
    y_pred = cross_val_predict(clone(best), X, y, cv=cv)
    if task == "regression":
        plot_predictions(y, y_pred, ax=predictions_ax)
        predictions_ax.set_title(
            f"Tuned model, out of fold\n{predictions_ax.get_title()}"
        )
    else:
        ConfusionMatrixDisplay.from_predictions(
            y, y_pred, ax=predictions_ax, colorbar=False
        )
        predictions_ax.set_title("Tuned model, out of fold")
    plot_leaderboard(
        [row["branch"] for row in rows],
        [row["score"] for row in rows],
        [row["fold_sd"] for row in rows],
        ax=leaderboard_ax,
        xlabel=f"{metric} (± sd over folds)",
    )
    leaderboard_ax.set_title("Branches, before tuning")
    plot_search_history(
        search, negate=task == "regression", ylabel=metric, ax=history_ax
    )
    if task == "regression":  # errors of poor candidates dwarf the good ones
        history_ax.set_yscale("log")
    history_ax.set_title(f"Tuning {rows[0]['branch']}")
    figure.suptitle(title)
    figure.savefig(path, dpi=100)


def _have_matplotlib():
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _workflow(args, X, y, wavelengths, task, *, model_path, report_path, title):
    """Compare the candidate branches, tune the best, save model and report."""
    import joblib

    from skl_nirs.utils._parallel import format_plan

    cv = _make_cv(task, args.cv, args.random_state)
    n_train = len(y) - math.ceil(len(y) / args.cv)
    branches, spaces = _candidates(task, X.shape[1], n_train)

    union, rows = _compare(args, X, y, task, branches, cv)
    if not rows:
        raise _CommandError(
            "every branch failed: "
            + "; ".join(f"{n}: {m}" for n, m in union.branch_errors_.items())
        )
    print(
        f"Branch comparison: {len(branches)} branches, {args.cv}-fold CV on "
        f"{X.shape[0]} spectra x {X.shape[1]} wavelengths"
    )
    _print_leaderboard(rows, task, union.branch_errors_)
    print()

    leader = rows[0]
    search = _tune(args, X, y, task, leader, spaces[leader["branch"]], cv)
    _, tuned = _tuned_scores(search, task)
    metric, _ = _metric(task)
    print(
        f"Best branch {leader['branch']} tuned with {len(search.study_.trials)} "
        f"Optuna trials: {tuned}; before tuning {metric} "
        f"{_format_score(task, leader['score'])}"
    )
    print(f"  parameters: {_format_params(search.best_params_)}")
    print(f"  pipeline:   {_one_line(repr(search.best_estimator_))}")
    print("Parallel plans:")
    print(f"  branch comparison: {format_plan(union.parallel_plan_)}")
    print(f"  search:            {format_plan(search.parallel_plan_)}")

    joblib.dump(search.best_estimator_, model_path)
    print(f"Saved the model to {model_path}")
    if report_path is not None:
        if not _have_matplotlib():
            _note(
                args,
                "note: matplotlib is not installed; skipping the report figure "
                "(pip install matplotlib).",
            )
        else:
            _note(args, "drawing the report ...")
            _report_figure(
                report_path,
                X=X,
                y=y,
                wavelengths=wavelengths,
                task=task,
                rows=rows,
                search=search,
                cv=cv,
                title=title,
            )
            print(f"Saved the report to {report_path}")
    return 0


# -- commands -----------------------------------------------------------------


def _run_demo(args):
    from skl_nirs.datasets import make_nirs_regression

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise _CommandError(f"--out {out}: is a file, not a folder.")
    out.mkdir(parents=True, exist_ok=True)
    X, y, wavelengths = make_nirs_regression(
        n_samples=args.n_samples, random_state=args.random_state
    )
    _check_cv("regression", y, args.cv)
    _note(
        args,
        f"synthetic NIR spectra: {X.shape[0]} samples x {X.shape[1]} wavelengths "
        f"({wavelengths[0]:.0f}-{wavelengths[-1]:.0f} nm), target: analyte content "
        "(%)",
    )
    return _workflow(
        args,
        X,
        y,
        wavelengths,
        "regression",
        model_path=out / DEMO_MODEL,
        report_path=out / DEMO_REPORT,
        title="skl-nirs demo: synthetic NIR spectra",
    )


def _run_fit(args):
    _check_writable(args.out, "--out")
    if args.report is not None:
        _check_writable(args.report, "--report")
    X, y, wavelengths = _load_training_csv(args.spectra, args.target, args.delimiter)
    task = args.task
    if task == "auto":
        task = "classification" if y.dtype == object else "regression"
    elif task == "regression" and y.dtype == object:
        example = next(v for v in y if _not_a_number(v))
        raise _CommandError(
            f"{args.spectra}: column {args.target!r} is not numeric (for example "
            f"{example!r}); use --task classification for class labels."
        )
    _check_cv(task, y, args.cv)
    _note(
        args,
        f"{args.spectra}: {X.shape[0]} samples x {X.shape[1]} wavelengths, "
        f"{task} of {args.target!r}"
        + (f" ({len(np.unique(y))} classes)" if task == "classification" else ""),
    )
    return _workflow(
        args,
        X,
        y,
        wavelengths,
        task,
        model_path=Path(args.out),
        report_path=None if args.report is None else Path(args.report),
        title=f"skl-nirs fit: {Path(args.spectra).name}, target {args.target!r}",
    )


def _not_a_number(value):
    try:
        float(value)
    except ValueError:
        return True
    return False


def _run_predict(args):
    import joblib

    if args.out != "-":
        _check_writable(args.out, "--out")
    try:
        model = joblib.load(args.model)
    except Exception as exc:
        raise _CommandError(
            f"{args.model}: cannot load a model: {_file_problem(exc)}"
        ) from exc
    if not hasattr(model, "predict"):
        raise _CommandError(
            f"{args.model}: holds a {type(model).__name__}, not a model with predict."
        )
    try:
        X, wavelengths, id_name, ids = _read_spectra(
            args.spectra, delimiter=args.delimiter, id_column=args.id_column
        )
    except _READ_ERRORS as exc:
        raise _data_error(args.spectra, exc) from exc
    _check_finite(args.spectra, X, wavelengths)
    expected = getattr(model, "n_features_in_", X.shape[1])
    if expected != X.shape[1]:
        raise _CommandError(
            f"{args.spectra}: {X.shape[1]} wavelength columns, but the model "
            f"{args.model} was fitted on {expected}."
        )
    predictions = np.asarray(model.predict(X))
    if predictions.ndim == 2 and predictions.shape[1] == 1:
        predictions = predictions[:, 0]
    if predictions.ndim == 2:
        names = [f"prediction_{i}" for i in range(predictions.shape[1])]
    else:
        names = ["prediction"]
        predictions = predictions.reshape(-1, 1)

    def cell(value):
        return repr(float(value)) if isinstance(value, float | np.floating) else value

    header = ([id_name] if ids is not None else []) + names
    if args.out == "-":
        _write_predictions(sys.stdout, header, ids, predictions, cell)
    else:
        with open(args.out, "w", newline="", encoding="utf-8") as file:
            _write_predictions(file, header, ids, predictions, cell)
        _note(args, f"wrote {len(predictions)} predictions to {args.out}")
    return 0


def _write_predictions(file, header, ids, predictions, cell):
    writer = csv.writer(file)
    writer.writerow(header)
    for index, row in enumerate(predictions):
        prefix = [ids[index]] if ids is not None else []
        writer.writerow(prefix + [cell(value) for value in row])


# -- argument parsing ---------------------------------------------------------


def _positive_int(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return number


def _n_jobs(value):
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number == 0:
        raise argparse.ArgumentTypeError(
            f"must be a non-zero integer (-1 for all cores), got {value!r}"
        )
    return number


def _n_splits(value):
    number = _positive_int(value)
    if number < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value!r}")
    return number


def _build_parser():
    common = argparse.ArgumentParser(add_help=False)
    output = common.add_argument_group("output")
    output.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar nor status lines on stderr (results still go to stdout)",
    )
    output.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show the full traceback of errors and warnings",
    )

    modelling = argparse.ArgumentParser(add_help=False)
    search = modelling.add_argument_group("search")
    search.add_argument(
        "--n-trials",
        type=_positive_int,
        default=30,
        metavar="N",
        help="Optuna trials to tune the best branch (default: %(default)s)",
    )
    search.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=-1,
        metavar="N",
        help="parallel jobs, -1 for all cores (default: %(default)s)",
    )
    search.add_argument(
        "--cv",
        type=_n_splits,
        default=5,
        metavar="K",
        help="cross-validation folds, shuffled, stratified for classification "
        "(default: %(default)s)",
    )
    search.add_argument(
        "--random-state",
        type=int,
        default=0,
        metavar="SEED",
        help="seed of the folds and of the search (default: %(default)s)",
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Compare, tune and apply near-infrared spectroscopy pipelines "
        "(scatter correction x derivative x model) built from scikit-learn "
        "estimators.",
        epilog=f"Run '{PROG} COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        parents=[modelling, common],
        help="run the whole workflow on synthetic spectra",
        description="Compare candidate pipelines on synthetic NIR spectra with one "
        "ParallelBranches fit, tune the best with OptunaSearchCV, save the model "
        f"({DEMO_MODEL}) and a report figure ({DEMO_REPORT}, needs matplotlib).",
    )
    demo.add_argument(
        "--out",
        default=".",
        metavar="DIR",
        help="folder for the model and the report, created if needed "
        "(default: the current folder)",
    )
    demo.add_argument(
        "--n-samples",
        type=_positive_int,
        default=300,
        metavar="N",
        help="number of synthetic spectra (default: %(default)s)",
    )
    demo.set_defaults(run=_run_demo)

    fit = commands.add_parser(
        "fit",
        parents=[modelling, common],
        help="compare, tune and save a model for spectra in a CSV file",
        description="Compare candidate pipelines on the spectra of a CSV file "
        "(a header row, one row per sample, columns whose header is a number are "
        "wavelengths), tune the best one and save it with joblib.",
    )
    fit.add_argument("spectra", metavar="SPECTRA.csv", help="the training spectra")
    fit.add_argument(
        "--target", required=True, metavar="COLUMN", help="header of the target column"
    )
    fit.add_argument(
        "--task",
        choices=["auto", "regression", "classification"],
        default="auto",
        help="auto: classification when the target is not numeric, else "
        "regression (default: %(default)s)",
    )
    fit.add_argument(
        "--out",
        default="model.joblib",
        metavar="MODEL.joblib",
        help="where to save the tuned model (default: %(default)s)",
    )
    fit.add_argument(
        "--report",
        default=None,
        metavar="REPORT.png",
        help="also save a report figure (needs matplotlib)",
    )
    fit.add_argument(
        "--delimiter",
        type=_delimiter,
        default=",",
        metavar="CHAR",
        help="field separator of the CSV file, or 'tab' (default: ',')",
    )
    fit.set_defaults(run=_run_fit)

    predict = commands.add_parser(
        "predict",
        parents=[common],
        help="predict with a saved model",
        description="Predict the spectra of a CSV file with a model saved by "
        f"'{PROG} fit' (or any joblib-saved scikit-learn model; load only files "
        "you trust). The file may lack the target column.",
    )
    predict.add_argument("model", metavar="MODEL.joblib", help="the saved model")
    predict.add_argument("spectra", metavar="SPECTRA.csv", help="spectra to predict")
    predict.add_argument(
        "--out",
        default="predictions.csv",
        metavar="PREDICTIONS.csv",
        help="output CSV, one row per sample, '-' for stdout (default: %(default)s)",
    )
    predict.add_argument(
        "--id-column",
        default=None,
        metavar="COLUMN",
        help="column copied to the output to identify the samples (default: a "
        "column named 'id', if any)",
    )
    predict.add_argument(
        "--delimiter",
        type=_delimiter,
        default=",",
        metavar="CHAR",
        help="field separator of the CSV file, or 'tab' (default: ',')",
    )
    predict.set_defaults(run=_run_predict)
    return parser


def _version():
    from skl_nirs import __version__

    return f"{PROG} {__version__}"


def main(argv=None):
    """Run the ``skl-nirs`` command line.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments, without the program name; ``sys.argv[1:]`` if None.

    Returns
    -------
    status : int
        0 on success, 1 for an error in the data or during the work, 2 for a
        usage error (unknown option, bad option value).

    Examples
    --------
    >>> from skl_nirs._cli import main
    >>> main(["--version"])
    skl-nirs ...
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        with warnings.catch_warnings():
            if not args.verbose:
                warnings.showwarning = _show_warning
            return args.run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except _CommandError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # anything else: one line, the traceback on demand
        if args.verbose:
            traceback.print_exc()
        hint = "" if args.verbose else " (run with --verbose for the traceback)"
        print(
            f"{PROG}: error: {type(exc).__name__}: {_one_line(exc)}{hint}",
            file=sys.stderr,
        )
        return 1
