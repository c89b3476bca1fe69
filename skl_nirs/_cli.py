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
import os
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


class _PipeSafe:
    """A ``sys.stdout`` or ``sys.stderr`` that survives a closed pipe.

    ``skl-nirs fit ... | head -1`` closes the pipe while the work goes on: the
    next write raises ``BrokenPipeError``. The wrapper swallows it and sends the
    rest of the output to ``os.devnull``, so that the model and the report are
    still saved. Other attributes (``isatty``, ``fileno``, ``encoding``) are the
    wrapped stream's.
    """

    def __init__(self, stream):
        self._stream = stream
        self._devnull = None

    def _broken(self):
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        if fd is not None:
            # the file descriptor itself goes to devnull, so that the last flush
            # of the interpreter at exit does not fail either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        else:
            self._devnull = self._stream = open(os.devnull, "w")

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._broken()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._broken()
            self._stream.flush()

    def close_devnull(self):
        if self._devnull is not None:
            self._devnull.close()

    def __getattr__(self, name):
        if name in ("_stream", "_devnull"):  # not set yet (copy, pickle)
            raise AttributeError(name)
        return getattr(self._stream, name)


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


def _number(name):
    """A column header as a wavelength (a finite float), None if it is none.

    The rule of :func:`~skl_nirs.datasets.load_spectra_csv`.
    """
    try:
        value = float(name)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _csv_rows(path, delimiter):
    """The header, the data rows and their line numbers in the file.

    Blank lines are skipped and line numbers counted as
    :func:`~skl_nirs.datasets.load_spectra_csv` does, so that data row ``i``
    (0-based, the row ``i`` of ``X``) is on line ``lines[i]`` of the file.
    """
    with open(path, newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        rows, lines = [], []
        for row in reader:
            if row:
                rows.append(row)
                lines.append(reader.line_num)
    header = [name.strip() for name in rows[0]]
    return header, rows[1:], lines[1:]


def _read_header(path, delimiter):
    """The header row of a CSV file, stripped; None if it cannot be read."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:
            header = next(row for row in csv.reader(file, delimiter=delimiter) if row)
    except (*_READ_ERRORS, StopIteration):
        return None
    return [name.strip() for name in header]


def _cell(path, delimiter, row, column):
    """Where data row ``row`` (0-based) and header ``column`` are in the file.

    Returns ``"Line 7, column 'protein'"`` and the text of the cell, or, if the
    file cannot be mapped again, ``"data row 6, column 'protein'"`` and None.
    """
    try:
        header, rows, lines = _csv_rows(path, delimiter)
        index = header.index(column)
        return f"Line {lines[row]}, column {column!r}", rows[row][index].strip()
    except (*_READ_ERRORS, IndexError):
        return f"data row {row + 1}, column {column!r}", None


def _check_finite(path, X, wavelengths, *, delimiter, target=None):
    """Fail on nan or infinite spectrum values, naming the first one's file line."""
    bad = np.argwhere(~np.isfinite(X))
    if not bad.size:
        return
    row, column = bad[0]
    header = _read_header(path, delimiter) or []
    # the header of the column: the number the loader read as this wavelength
    name = next(
        (
            name
            for name in header
            if name != target and _number(name) == wavelengths[column]
        ),
        f"{wavelengths[column]:g}",
    )
    where, text = _cell(path, delimiter, row, name)
    value = "" if text is None else f" ({text!r})"
    total = f"; {len(bad)} missing or infinite values in all" if len(bad) > 1 else ""
    raise _CommandError(f"{path}: {where}: not a finite number{value}{total}.")


def _list_names(names, limit=8):
    """``a, b, c`` for a few names, the first ``limit`` and a count for many."""
    shown = [name if name else "''" for name in names[:limit]]
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(shown) + more


def _note_ignored(args, path, header, used):
    """List on stderr the columns that are neither wavelengths nor ``used``."""
    if header is None:
        return
    ignored = [name for name in header if name not in used and _number(name) is None]
    if not ignored:
        return
    s = "s" if len(ignored) > 1 else ""
    hint = ""
    if any(name[:1].isdigit() for name in ignored):
        hint = " (a wavelength header must be a plain number, e.g. 1215.02)"
    _note(
        args, f"{path}: ignoring {len(ignored)} column{s}: {_list_names(ignored)}{hint}"
    )


def _load_training_csv(path, target, delimiter):
    from skl_nirs.datasets import load_spectra_csv

    try:
        X, y, wavelengths = load_spectra_csv(path, target=target, delimiter=delimiter)
    except _READ_ERRORS as exc:
        raise _data_error(path, exc) from exc
    _check_finite(path, X, wavelengths, delimiter=delimiter, target=target)
    return X, y, wavelengths


def _read_spectra(path, *, delimiter=",", id_column=None):
    """Spectra of a CSV file with or without a target, and its sample ids.

    The layout is the one of :func:`~skl_nirs.datasets.load_spectra_csv`; the
    ``id_column`` (by default a column named ``id``, any case) is kept.

    Returns
    -------
    X : ndarray of shape (n_samples, n_wavelengths)
    wavelengths : ndarray of shape (n_wavelengths,)
    header : list of str
    id_name : str or None
    ids : list of str or None
    """
    from skl_nirs.datasets import load_spectra_csv

    X, _, wavelengths = load_spectra_csv(path, delimiter=delimiter)
    header, rows, _ = _csv_rows(path, delimiter)
    if id_column is None:
        id_name = next((name for name in header if name.lower() == "id"), None)
    elif id_column in header:
        id_name = id_column
    else:
        raise ValueError(f"Id column {id_column!r} not found in the header.")
    if id_name is None:
        return X, wavelengths, header, None, None
    index = header.index(id_name)
    return X, wavelengths, header, id_name, [row[index] for row in rows]


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
    if task == "classification":  # classifier branches predict encoded labels
        predictions = np.unique(y)[predictions.astype(int)]
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


def _no_preprocessing(preprocessing):
    """Whether the preprocessing steps of a pipeline all are passthrough."""
    return all(
        step is None or (isinstance(step, str) and step == "passthrough")
        for _, step in preprocessing.steps
    )


def _log_axis_in_plain_numbers(ax):
    """Plain tick labels (0.5, 1, 2) on a log y axis, not 5×10⁻¹.

    Over less than a factor 10 the axis stays linear: a log axis would have a
    single labelled tick or none.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    values = np.concatenate(
        [np.asarray(line.get_ydata(), dtype=np.float64) for line in ax.lines]
        + [np.asarray(c.get_offsets())[:, 1] for c in ax.collections]
    )
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0 or values.max() < 10 * values.min():
        return
    # limits on ticks 1, 2, 5 x 10^k, so that the best values, at the bottom,
    # have a labelled tick below them
    ticks = np.outer(10.0 ** np.arange(-30, 31), [1.0, 2.0, 5.0]).ravel()
    below = ticks[ticks <= values.min() / 1.02]
    above = ticks[ticks >= values.max() * 1.02]
    low = below.max() if below.size else values.min() / 1.1
    high = above.min() if above.size else values.max() * 1.1
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _report_figure(path, *, X, y, wavelengths, task, rows, search, cv, scores, title):
    """Save the report figure: spectra, preprocessing, predictions, leaderboard,
    search history.

    ``scores`` is the text of the tuned model's cross-validated scores printed
    on stdout (means over folds): the predictions panel shows the same.
    """
    from matplotlib.figure import Figure
    from sklearn.base import clone
    from sklearn.metrics import ConfusionMatrixDisplay, PredictionErrorDisplay
    from sklearn.model_selection import cross_val_predict

    from skl_nirs.plotting import (
        BranchComparisonDisplay,
        SearchHistoryDisplay,
        SpectraDisplay,
    )

    metric, _ = _metric(task)
    figure = Figure(figsize=(14, 9), layout="constrained")
    grid = figure.add_gridspec(2, 3)
    best = search.best_estimator_
    if _no_preprocessing(best[:-1]):
        ax = figure.add_subplot(grid[0, :2])
        SpectraDisplay.from_spectra(
            X, wavelengths, unit="nm", title="Spectra (preprocessing: none)", ax=ax
        )
    else:
        ax = figure.add_subplot(grid[0, 0])
        SpectraDisplay.from_spectra(X, wavelengths, unit="nm", title="Spectra", ax=ax)
        SpectraDisplay.from_estimator(
            best[:-1], X, wavelengths, unit="nm", ax=figure.add_subplot(grid[0, 1])
        )
    predictions_ax = figure.add_subplot(grid[0, 2])
    leaderboard_ax = figure.add_subplot(grid[1, :2])
    history_ax = figure.add_subplot(grid[1, 2])

    y_pred = cross_val_predict(clone(best), X, y, cv=cv)
    if task == "regression":
        PredictionErrorDisplay.from_predictions(
            y, np.ravel(y_pred), kind="actual_vs_predicted", ax=predictions_ax
        )
    else:
        ConfusionMatrixDisplay.from_predictions(
            y, y_pred, ax=predictions_ax, colorbar=False
        )
    # the scores of stdout (means over the folds), not the pooled RMSE of all
    # out-of-fold predictions, which differs a little
    predictions_ax.set_title(
        f"Tuned model, out-of-fold predictions\n{scores}, mean over folds"
    )
    BranchComparisonDisplay(
        [row["branch"] for row in rows],
        [row["score"] for row in rows],
        errors=[row["fold_sd"] for row in rows],
        score_name=f"{metric} (± sd over folds)",
    ).plot(ax=leaderboard_ax)
    leaderboard_ax.set_title("Branches, before tuning")
    SearchHistoryDisplay.from_estimator(
        search, negate_score=task == "regression", score_name=metric, ax=history_ax
    )
    if task == "regression":  # errors of poor candidates dwarf the good ones
        _log_axis_in_plain_numbers(history_ax)
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
    model = _save_wavelengths(search.best_estimator_, X, wavelengths)
    metric, _ = _metric(task)
    print(
        f"Best branch {leader['branch']} tuned with {len(search.study_.trials)} "
        f"Optuna trials: {tuned}; before tuning {metric} "
        f"{_format_score(task, leader['score'])}"
    )
    print(f"  parameters: {_format_params(search.best_params_)}")
    print(f"  pipeline:   {_one_line(repr(search.best_estimator_))}")
    # the RangeCut records the wavelengths, for skl-nirs predict to check
    print(
        f"  saved as:   Pipeline([('wavelengths', RangeCut({len(wavelengths)} "
        f"wavelengths, {_nm(wavelengths.min())}-{_nm(wavelengths.max())} nm)), "
        "('model', pipeline)])"
    )
    print("Parallel plans:")
    print(f"  branch comparison: {format_plan(union.parallel_plan_)}")
    print(f"  search:            {format_plan(search.parallel_plan_)}")

    joblib.dump(model, model_path)
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
                scores=tuned,
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
    header = _read_header(args.spectra, args.delimiter)
    if header is not None:  # a sample id column is expected: not worth a note
        ids = {name for name in header if name.lower() == "id"}
        _note_ignored(args, args.spectra, header, {args.target, *ids})
    task = _check_target(args, y)
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


# In auto mode, a target whose values are numbers but for a few typos ("n/a",
# "12,5") is a regression target with errors, not class labels.
_NUMERIC_SHARE = 0.9


def _check_target(args, y):
    """The task (--task, or guessed from the target) after checking the target."""
    task = args.task
    if y.dtype == object:
        bad = [index for index, value in enumerate(y) if _not_a_number(value)]
        share = 1 - len(bad) / len(y)
        if task == "regression" or (task == "auto" and share >= _NUMERIC_SHARE):
            where, _ = _cell(args.spectra, args.delimiter, bad[0], args.target)
            count = (
                f"{len(y) - len(bad)} of {len(y)} values are numbers"
                if task == "auto"
                else f"{len(bad)} of {len(y)} values are not numbers"
            )
            raise _CommandError(
                f"{args.spectra}: {where}: target value {y[bad[0]]!r} is not a "
                f"number ({count}); fix the file, or use --task classification "
                "if the target holds class labels."
            )
        return "classification"
    if task == "classification":
        return task
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        where, text = _cell(args.spectra, args.delimiter, bad[0], args.target)
        value = "" if text is None else f" ({text!r})"
        raise _CommandError(
            f"{args.spectra}: {where}: target value is not a finite number{value}."
        )
    return "regression"


def _run_predict(args):
    if args.out != "-":
        _check_writable(args.out, "--out")
    model = _load_model(args)
    try:
        X, wavelengths, header, id_name, ids = _read_spectra(
            args.spectra, delimiter=args.delimiter, id_column=args.id_column
        )
    except _READ_ERRORS as exc:
        raise _data_error(args.spectra, exc) from exc
    _check_finite(args.spectra, X, wavelengths, delimiter=args.delimiter)
    _note_ignored(args, args.spectra, header, {id_name})
    model_wavelengths = _model_wavelengths(model)
    if model_wavelengths is not None:
        X = _match_wavelengths(args, X, wavelengths, model_wavelengths)
    else:
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


def _load_model(args):
    """The model saved in ``args.model``, with one-line errors."""
    import joblib

    try:
        model = joblib.load(args.model)
    except OSError as exc:  # no such file, a folder, no permission
        raise _CommandError(
            f"{args.model}: cannot load a model: {_file_problem(exc)}"
        ) from exc
    except Exception as exc:
        name = getattr(exc, "name", None) if isinstance(exc, ImportError) else None
        if name and all(part.isidentifier() for part in name.split(".")):
            # a model needing a package that is not installed here
            raise _CommandError(
                f"{args.model}: cannot load the model: it needs the module "
                f"{name!r}, which is not installed."
            ) from exc
        # anything else that is not a pickle: a CSV file, an image, a truncated
        # file fails with whatever unpickling it as a pickle raised
        detail = f" ({type(exc).__name__}: {_one_line(exc)})" if args.verbose else ""
        raise _CommandError(
            f"{args.model}: not a model file saved by {PROG} fit or joblib.dump"
            f"{detail}."
        ) from exc
    if not hasattr(model, "predict"):
        raise _CommandError(
            f"{args.model}: holds a {type(model).__name__}, not a model with predict."
        )
    return model


def _save_wavelengths(pipeline, X, wavelengths):
    """The saved model: ``pipeline`` after a RangeCut that records the wavelengths.

    The RangeCut keeps every wavelength; ``skl-nirs predict`` reads its
    ``wavelengths`` to check (and reorder) the columns of new spectra.
    """
    from sklearn.pipeline import Pipeline

    from skl_nirs.preprocessing import RangeCut

    cut = RangeCut(
        start=float(wavelengths.min()),
        stop=float(wavelengths.max()),
        by="wavelength",
        wavelengths=np.asarray(wavelengths, dtype=np.float64),
    ).fit(X)
    # both steps are fitted: the Pipeline predicts without being fitted again
    return Pipeline([("wavelengths", cut), ("model", pipeline)])


def _model_wavelengths(model):
    """The wavelengths a model saved by ``skl-nirs fit`` was fitted on, or None."""
    from sklearn.pipeline import Pipeline

    from skl_nirs.preprocessing import RangeCut

    if not isinstance(model, Pipeline) or not model.steps:
        return None
    first = model.steps[0][1]
    if not isinstance(first, RangeCut) or first.wavelengths is None:
        return None
    return np.asarray(first.wavelengths, dtype=np.float64).ravel()


def _nm(value):
    """A wavelength as the shortest text that reads back the same."""
    return np.format_float_positional(value, trim="-")


def _some_wavelengths(values, what):
    """``1017.17 nm missing`` or ``30 wavelengths missing (1500, 1502, ... nm)``."""
    if len(values) == 1:
        return f"{_nm(values[0])} nm {what}"
    shown = ", ".join(_nm(value) for value in values[:3])
    more = ", ..." if len(values) > 3 else ""
    return f"{len(values)} wavelengths {what} ({shown}{more} nm)"


def _match_wavelengths(args, X, wavelengths, expected):
    """The columns of ``X`` in the order of the model's wavelengths ``expected``.

    Fails with one line when the file has other wavelengths than the model.
    """
    if np.array_equal(wavelengths, expected):
        return X
    in_file, in_model = set(wavelengths.tolist()), set(expected.tolist())
    missing = [w for w in expected.tolist() if w not in in_file]
    unexpected = [w for w in wavelengths.tolist() if w not in in_model]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(_some_wavelengths(missing, "missing"))
        if unexpected:
            parts.append(_some_wavelengths(unexpected, "unexpected"))
        raise _CommandError(
            f"{args.spectra}: wavelengths differ from the model's: "
            f"{', '.join(parts)}; the model {args.model} was fitted on "
            f"{len(expected)} wavelengths from {_nm(expected.min())} to "
            f"{_nm(expected.max())} nm."
        )
    # the same wavelengths, in another order (loaded files have no duplicates)
    position = {w: index for index, w in enumerate(wavelengths.tolist())}
    _note(
        args,
        f"{args.spectra}: the wavelength columns are in another order than the "
        "model's; reordered them.",
    )
    return X[:, [position[w] for w in expected.tolist()]]


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
    # not required: main() reports a missing command, and the unknown options
    # of a command with the command's own usage (parse_known_args)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

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
        help="auto: regression when the target values are numbers, "
        "classification when they are labels; a target of numbers but for a few "
        "(under 10%%) is an error naming the first one (default: %(default)s)",
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
        "you trust). The file may lack the target column. Its wavelength columns "
        f"must be the ones the model was fitted on, in any order (for models saved "
        f"by '{PROG} fit'; other models only check their number).",
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
    parser.set_defaults(subparsers={"demo": demo, "fit": fit, "predict": predict})
    return parser


def _parse(parser, argv):
    """Parsed arguments; usage errors exit (SystemExit) with the right usage."""
    args, unknown = parser.parse_known_args(argv)
    # the parser of the command, if any, reports its unknown options
    command_parser = args.subparsers.get(args.command, parser)
    if unknown:
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.error(
            "the following arguments are required: COMMAND (demo, fit or predict)"
        )
    return args


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
    # output to a closed pipe (skl-nirs fit ... | head -1) must not stop the work
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = (
        stream if stream is None else _PipeSafe(stream) for stream in streams
    )
    try:
        return _main(argv)
    finally:
        for wrapper in (sys.stdout, sys.stderr):
            if isinstance(wrapper, _PipeSafe):
                wrapper.flush()
                wrapper.close_devnull()
        sys.stdout, sys.stderr = streams


def _main(argv):
    parser = _build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    from skl_nirs.utils._parallel import terminate_on_sigterm

    try:
        with warnings.catch_warnings(), terminate_on_sigterm():
            if not args.verbose:
                warnings.showwarning = _show_warning
            return args.run(args)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:  # SIGTERM: the workers were shut down
        print(f"{PROG}: terminated", file=sys.stderr)
        return exc.code
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
