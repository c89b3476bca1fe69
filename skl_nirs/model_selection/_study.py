"""The Optuna study behind OptunaSearchCV: opening it, what it records, its trials.

A study in a shared storage may be used by several processes, resumed later or
opened by mistake by another search. The search records on the study
(``study.user_attrs``) everything that must be the same for two trials to be
compared — the search space, the estimator, the data and cv splits, the scoring
— and refuses a study recorded with another setup before running any trial.
Each trial it runs carries a tag of that setup and of the process running it,
so that trials from elsewhere (plain Optuna, another search) are refused rather
than adopted, and trials still running in a live process are counted.
"""

import functools
import hashlib
import json
import re
import threading
import time
import uuid
from contextlib import suppress

import joblib
import numpy as np
from sklearn import config_context

from skl_nirs.utils._compat import study_creation_races

# Trial user attributes in which the search keeps what it needs to rebuild
# cv_results_ from a (possibly shared, possibly resumed) study.
_FOLDS = "skl_nirs:folds"
_REUSED = "skl_nirs:reused_from"
# Set on each trial when it is asked: {"setup": tag, "process": id}
_RUN = "skl_nirs:run"
# Study user attributes: the recorded setup, and each process's last heartbeat
_SETUP = "skl_nirs:"
_ALIVE = "skl_nirs:alive:"
# A process records a heartbeat every _HEARTBEAT seconds while it searches; a
# RUNNING trial whose process has not done so for _STALE_AFTER seconds (it was
# killed) no longer counts towards n_trials.
_HEARTBEAT = 10.0
_STALE_AFTER = 60.0
# Seconds between looks at the study while other processes finish its last trials
_POLL = 0.5
_PRIMITIVES = (type(None), bool, int, float, str)
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


# -- stable descriptions -------------------------------------------------------


def _qualname(kind):
    return f"{kind.__module__}.{kind.__qualname__}"


def describe(value):
    """A description of ``value`` that is the same in every process.

    Estimators are described by their class and parameters (recursively),
    containers element by element, other objects by their class and a hash of
    their content (``joblib.hash``: arrays, random states), or their ``repr``
    without memory addresses when they cannot be hashed.
    """
    if isinstance(value, _PRIMITIVES):
        return repr(value)
    if hasattr(value, "get_params") and not isinstance(value, type):
        params = sorted(value.get_params(deep=False).items())
        inner = ", ".join(f"{key}={describe(v)}" for key, v in params)
        return f"{_qualname(type(value))}({inner})"
    if isinstance(value, list | tuple):
        return f"{type(value).__name__}[{', '.join(map(describe, value))}]"
    if isinstance(value, dict):
        items = sorted((describe(k), describe(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        return _qualname(value)
    try:
        return f"{_qualname(type(value))}#{joblib.hash(value)}"
    except Exception:  # (an object pickle cannot save)
        return _ADDRESS.sub("", repr(value))


def _digest(text, n=16):
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def label(value, n=8):
    """A readable name for ``value`` that is the same in every process.

    The name under which Optuna stores a categorical choice, and (with
    ``n=16``) the estimator a study records. Its ``repr`` for a number,
    string, bool or ``None``; for any other object its short ``repr`` without
    memory addresses and ``n`` hex digits of a hash of its full description,
    e.g. ``'Ridge(alpha=1000) #1f0c5a2e'``: readable in
    ``study.trials_dataframe()``.
    """
    if isinstance(value, _PRIMITIVES):
        return repr(value)
    with config_context(print_changed_only=True):
        shown = re.sub(r"\s+", " ", _ADDRESS.sub("", repr(value)))
    return f"{shown} #{_digest(describe(value), n)}"


def scoring_id(scoring):
    """A description of ``scoring`` that is the same in every process."""
    if scoring is None or isinstance(scoring, str):
        return str(scoring)
    if isinstance(scoring, dict):
        return str({key: scoring_id(value) for key, value in sorted(scoring.items())})
    if isinstance(scoring, list | tuple | set):
        return str(sorted(scoring))
    if isinstance(scoring, functools.partial):
        options = (scoring.args, sorted(scoring.keywords.items()))
        return f"partial({scoring_id(scoring.func)}, {options!r})"
    if hasattr(scoring, "__qualname__"):  # a function
        return _qualname(scoring)
    # make_scorer(metric, options) for sklearn's scorers, without the addresses
    # of the objects that have no repr of their own
    return _ADDRESS.sub("", repr(scoring))


def data_id(X, y, splits, params):
    """The data a study is searched on: X, y, the cv splits and fit parameters."""
    arrays = {"X": X} if y is None else {"X": X, "y": y}
    parts = [f"{k} {np.shape(v)} #{joblib.hash(v)[:12]}" for k, v in arrays.items()]
    parts.append(f"cv splits #{joblib.hash([list(split) for split in splits])[:12]}")
    params = {key: value for key, value in params.items() if value}
    if params:
        parts.append(f"parameters {sorted(params)} #{joblib.hash(params)[:12]}")
    return ", ".join(parts)


# -- the recorded setup --------------------------------------------------------


def setup_tag(setup):
    """A short hash of a whole setup, carried by every trial run with it."""
    return _digest(json.dumps(setup, sort_keys=True))


def _space_difference(recorded, current):
    """The parameters whose distributions differ between two recorded spaces."""
    from optuna.distributions import json_to_distribution

    recorded, current = json.loads(recorded), json.loads(current)
    if len(recorded) != len(current):
        return f"{len(recorded)} sub-spaces", f"{len(current)} sub-spaces"

    def shown(description):  # (a scipy.stats distribution is recorded as text)
        if description is None or description.startswith("scipy.stats."):
            return description
        return json_to_distribution(description)

    for old, new in zip(recorded, current):
        keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
        if keys:
            return tuple({k: shown(space.get(k)) for k in keys} for space in (old, new))


def _refuse_differences(where, user_attrs, setup):
    """Refuse a setup unlike the one recorded; return the names not recorded."""
    missing = []
    for name, value in setup.items():
        old = user_attrs.get(_SETUP + name)
        if old is None:
            missing.append(name)
        elif old != value:
            if name == "param_distributions":
                old, value = _space_difference(old, value)
            raise ValueError(
                f"{where} was searched with {name}={old!r}, not {value!r}; use "
                "another study_name."
            )
    return missing


def check_setup(study, setup):
    """Record ``setup`` on ``study``, or refuse a study recorded with another.

    A study with trials and no recorded setup (created by plain Optuna or an
    older skl_nirs) is refused too: nothing tells that its trials are
    comparable. The setup is read again after it is written, so that of two
    processes starting together with different setups, one refuses (and
    ``check_trials`` refuses the trials of the other).
    """
    from optuna.study import StudyDirection

    where = f"Study {study.study_name!r} in storage"
    if len(study.directions) > 1:
        raise ValueError(
            f"{where} has {len(study.directions)} objectives; OptunaSearchCV "
            "maximises one score; use another study_name."
        )
    if study.direction != StudyDirection.MAXIMIZE:
        raise ValueError(
            f"{where} is set to {study.direction.name}; OptunaSearchCV maximises "
            "scikit-learn scores."
        )
    missing = _refuse_differences(where, study.user_attrs, setup)
    if not missing:
        return
    if any(t.state.is_finished() for t in study.get_trials(deepcopy=False)):
        raise ValueError(
            f"{where} holds trials but no recorded {', '.join(missing)} (it was run "
            "by plain Optuna or an older skl_nirs): its scores cannot be compared; "
            "use another study_name."
        )
    for name in missing:
        study.set_user_attr(_SETUP + name, setup[name])
    # another process may have written its own setup meanwhile
    _refuse_differences(where, study.user_attrs, setup)


# -- trials --------------------------------------------------------------------


def _is_done(trial):
    """Whether a trial counts towards ``n_trials``: finished, and not interrupted.

    A trial that failed without being evaluated (the search raised or was
    interrupted) is evaluated again by a resumed search.
    """
    from optuna.trial import TrialState

    if trial.state == TrialState.FAIL:
        return _FOLDS in trial.user_attrs or _REUSED in trial.user_attrs
    return trial.state in (TrialState.COMPLETE, TrialState.PRUNED)


def check_trials(study, trials, tag):
    """Refuse a study holding finished trials that another setup ran."""
    foreign = [
        t.number
        for t in trials
        if _is_done(t) and t.user_attrs.get(_RUN, {}).get("setup") != tag
    ]
    if foreign:
        shown = ", ".join(map(str, foreign[:5])) + (", ..." if len(foreign) > 5 else "")
        raise ValueError(
            f"Study {study.study_name!r} in storage holds {len(foreign)} trials "
            f"that this search did not run (trial {shown}): plain Optuna trials or "
            "trials of another search cannot be scored as its candidates; use "
            "another study_name."
        )


def count_trials(study, trials, process=None):
    """``(done, running)``: trials counting towards ``n_trials``.

    Running trials count while the process running them is alive: this
    ``process``, or one whose heartbeat (for a trial not yet tagged, its start)
    is recent.
    """
    from optuna.trial import TrialState

    now, heartbeats = time.time(), study.user_attrs  # (a copy)
    if process is not None:
        heartbeats[_ALIVE + process] = now
    done = running = 0
    for trial in trials:
        if trial.state == TrialState.RUNNING:
            owner = trial.user_attrs.get(_RUN, {}).get("process")
            seen = heartbeats.get(_ALIVE + str(owner), trial.datetime_start.timestamp())
            running += now - seen < _STALE_AFTER
        else:
            done += _is_done(trial)
    return done, running


def tag_trial(trial, tag, process):
    trial.set_user_attr(_RUN, {"setup": tag, "process": process})


class Heartbeat:
    """Record, every ``_HEARTBEAT`` seconds, that this process is alive.

    A context manager run around a search on a shared study: a thread writes
    the time on the study under this process's id (``self.process``).
    """

    def __init__(self, study):
        self.study = study
        self.process = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _beat(self):
        self.study.set_user_attr(_ALIVE + self.process, time.time())

    def _run(self):
        while not self._stop.wait(_HEARTBEAT):
            with suppress(Exception):  # (a storage briefly unavailable: try later)
                self._beat()

    def __enter__(self):
        self._beat()
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()


def evaluated_trials(trials):
    """The finished trials that evaluated a candidate, each candidate once.

    Two processes sharing a study may evaluate the same candidate at the same
    time; the first trial keeps it. A trial whose folds were recorded by a
    process killed before it told the outcome stays RUNNING and is left out.
    """
    evaluated = {}
    for trial in trials:
        if trial.state.is_finished() and _FOLDS in trial.user_attrs:
            evaluated.setdefault(trial_key(trial.params), trial)
    return list(evaluated.values())


def trial_key(optuna_params):
    return tuple(sorted(optuna_params.items()))


def open_study(storage, study_name, sampler, pruner):
    """Create or load a study maximising one value; retry creation races."""
    import optuna

    for attempt in range(4):
        try:
            return optuna.create_study(
                storage=storage,
                study_name=study_name,
                sampler=sampler,
                pruner=pruner,
                direction="maximize",
                load_if_exists=storage is not None,
            )
        except Exception as exc:
            # Processes starting together on a new RDB storage race to create
            # its tables (or the study); the losers find them on a retry.
            if isinstance(exc, study_creation_races()) and attempt < 3:
                time.sleep(0.2 * (attempt + 1))
                continue
            raise ValueError(
                f"storage={storage!r} could not be opened: {type(exc).__name__}: {exc}"
            ) from exc
