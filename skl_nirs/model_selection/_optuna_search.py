"""OptunaSearchCV: Optuna chooses the candidates, joblib workers evaluate them."""

import copy
import itertools
import logging
import math
import time
from contextlib import contextmanager, nullcontext, suppress
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, get_tags, indexable

from skl_nirs.model_selection import _study
from skl_nirs.model_selection._search_space import SearchSpace
from skl_nirs.model_selection._study import _FOLDS, _REUSED, trial_key
from skl_nirs.utils._compat import (
    BaseSearchCV,
    HasMethods,
    Interval,
    _check_method_params,
    _fit_and_score,
    _fit_context,
    _insert_error_scores,
    _MultimetricScorer,
    _warn_or_raise_about_fit_failures,
)
from skl_nirs.utils._parallel import (
    N_JOBS_CONSTRAINT,
    BudgetedParallel,
    _caller_share,
    _nbytes,
    capped_n_jobs,
    format_plan,
    work_key,
)
from skl_nirs.utils._versioning import VersionedPickleMixin


def _fit_and_score_candidate(estimator, X, y, parameters, train, test, kwargs):
    """Evaluate one candidate on one fold, in a worker.

    ``kwargs`` go to scikit-learn's ``_fit_and_score``, with ``callback_ctx``
    (this task's callback context) and ``caller`` when callbacks are set.
    """
    estimator = clone(estimator).set_params(**clone(parameters, safe=False))
    with capped_n_jobs(estimator):  # while fitting and scoring
        return _fit_and_score(
            estimator, X, y, train=train, test=test, parameters=None, **kwargs
        )


def _plain(value):
    """A fold result made JSON-friendly for Optuna storages."""
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    return value.item() if isinstance(value, np.generic) else value


@contextmanager
def _optuna_logging(verbose):
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.INFO if verbose > 1 else logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


class _NoCallbackContext:
    """scikit-learn's callback context where there is none (scikit-learn < 1.9).

    It takes the calls ``BaseSearchCV.fit`` makes on a context, does nothing
    and returns itself, so that the search makes them whatever the
    scikit-learn version.
    """

    def subcontext(self, **kwargs):
        return self

    call_on_fit_task_begin = call_on_fit_task_end = subcontext

    def propagate_callback_context(self, estimator):
        return nullcontext()


class OptunaSearchCV(VersionedPickleMixin, BaseSearchCV):
    """Hyper-parameter search in which Optuna chooses the candidates.

    A scikit-learn search built on :class:`~sklearn.model_selection.GridSearchCV`'s
    base class: ``cv_results_``, multi-metric ``scoring``, ``refit``,
    ``error_score``, the ``best_*`` attributes, the delegated ``predict`` /
    ``transform`` ... and metadata routing behave as in ``GridSearchCV``.

    Candidates are asked from Optuna in batches of ``batch_size`` in this process,
    each (candidate, fold) pair is fitted and scored as a joblib task (in loky
    processes once the work pays for them; an outer ``parallel_backend`` or
    ``parallel_config`` such as ``"dask"`` wins), and the mean test scores are
    told back to Optuna.

    Parameters
    ----------
    estimator : estimator object
        The estimator to tune, e.g. a Pipeline or a
        :class:`~skl_nirs.compose.ParallelBranches`.

    param_distributions : dict or list of dict
        The search space, ``{parameter: spec}``. A spec is

        - an Optuna distribution (``optuna.distributions.IntDistribution`` ...),
        - a frozen ``scipy.stats`` distribution, as in ``RandomizedSearchCV``:
          ``uniform``, ``loguniform`` (``reciprocal``) and ``randint`` are
          Optuna's ``FloatDistribution`` (``log=True`` for ``loguniform``) and
          ``IntDistribution``; any other is sampled through its inverse CDF,
          ``dist.ppf(u)`` for a quantile ``u`` in (0, 1) chosen by Optuna,
        - a compact tuple, a shorthand: ``("int", low, high)``,
          ``("int", low, high, step)``, ``("int_log", low, high)``,
          ``("float", low, high)``, ``("float", low, high, step)`` or
          ``("float_log", low, high)``,
        - a list of choices (categorical), which may hold estimators, whole
          branches, ``"drop"`` or ``None``. Optuna stores an object choice
          under a label made of its short ``repr`` and a hash of its
          parameters (``'Ridge(alpha=1000.0) #1f0c5a2e'``), never under its
          position in the list.

        Bounds must be finite numbers with ``low <= high``.

        A list of such dicts is searched like ``GridSearchCV``'s list of grids:
        each trial first chooses one of them.

    n_trials : int or None, default=10
        Number of finished trials the study must hold when ``fit`` returns,
        counting trials already in a shared or resumed study (see Notes).
        ``None`` runs until ``timeout``.

    timeout : float, default=None
        Stop asking new candidates after this many seconds.

    scoring : str, callable, list, tuple or dict, default=None
        As in ``GridSearchCV``. With several metrics, Optuna maximises the
        ``refit`` metric (the first metric if ``refit`` is a callable or False).

    refit : bool, str or callable, default=True
        As in ``GridSearchCV``.

    cv : int, cross-validation generator or iterable, default=None
        As in ``GridSearchCV``; the same splits are used for every trial.

    n_jobs : int, default=None
        Number of (candidate, fold) fits run in parallel, within the CPU budget.
        ``None`` means 1 unless in a :func:`joblib.parallel_config` context;
        ``-1`` means all processors. Where the fits run follows the work: the
        first ones start in the caller, timed, and the others go to workers as
        soon as they are estimated to take longer than the pool costs (see
        ``parallel_plan_``); an explicit ``parallel_config(backend=...)``
        forces workers. Results do not depend on it (up to the floating-point
        rounding of BLAS, whose thread count may differ).

    batch_size : int, default=8
        Candidates asked from Optuna at once (TPE's constant liar keeps them
        apart) and evaluated in parallel. Results depend on it, not on
        ``n_jobs``; raise it to keep many workers busy.

    sampler : optuna.samplers.BaseSampler, default=None
        A copy is used on each ``fit``. ``None`` is
        ``TPESampler(seed=random_state)``.

    pruner : optuna.pruners.BasePruner, default=None
        If given, the folds are evaluated one at a time and the running mean
        test score is reported after each, so that a hopeless candidate is
        pruned after its first folds. ``None`` evaluates every fold.

    storage : str or optuna.storages.BaseStorage, default=None
        Where the study lives. ``None`` is a fresh in-memory study on each
        ``fit``. An RDB URL (``"sqlite:///study.db"``,
        ``"postgresql://..."``) or a storage object such as
        ``optuna.storages.JournalStorage`` shares the study between processes and
        machines, and lets an interrupted search resume.

    study_name : str, default=None
        Name of the study in ``storage`` (required to share or resume one).

    random_state : int, RandomState instance or None, default=None
        Seeds the default sampler: the same seed gives the same trials. With a
        ``storage``, each batch's seed is mixed with the number of its first
        trial, so that processes sharing a study, and a resumed search, explore
        new candidates, while a search on a new study is still reproducible.

    error_score : "raise" or float, default=np.nan
        As in ``GridSearchCV``: ``"raise"`` raises the estimator's own
        exception; a number is recorded as the score of a failed fit, with a
        :class:`~sklearn.exceptions.FitFailedWarning`.

    return_train_score : bool, default=False
        Also compute and record training scores.

    verbose : int, default=0
        ``1`` prints the parallel plan and progress per batch; ``2`` adds
        Optuna's own log.

    callbacks : list of callable, default=None
        Optuna callbacks ``callback(study, frozen_trial)``, called after each
        trial is told (the name optuna-integration's ``OptunaSearchCV`` and
        ``study.optimize`` give them). scikit-learn's callbacks
        (:mod:`sklearn.callback`, scikit-learn >= 1.9) are set with
        :meth:`set_callbacks` instead, and called as ``GridSearchCV`` calls
        them (see Notes).

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in ``GridSearchCV``, one row per evaluated candidate: pruned trials
        and repeated candidates are left out (they are in ``study_``).

    best_estimator_ : estimator
        Refitted on the whole data with ``best_params_``; if ``refit=True``.

    best_score_ : float
        Mean cross-validated score of the best candidate.

    best_params_ : dict
        Parameters of the best candidate.

    best_index_ : int
        Index of the best candidate in ``cv_results_``.

    scorer_ : function or dict
        The scorer(s) used.

    n_splits_ : int
        Number of cross-validation splits.

    refit_time_ : float
        Seconds to refit the best estimator.

    multimetric_ : bool
        Whether several metrics were used.

    classes_ : ndarray of shape (n_classes,)
        Class labels, for classifiers.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``.

    study_ : optuna.Study
        The Optuna study. With a ``storage`` it is not pickled with the search
        (``None`` after loading): ``optuna.load_study`` finds it again.

    trials_ : list of optuna.trial.FrozenTrial
        The trials behind the rows of ``cv_results_``, in the same order.

    parallel_plan_ : dict
        How the (candidate, fold) fits were run: the budget (``backend``,
        ``n_workers``, ``inner_n_jobs``, ``blas_threads``, for ``n_tasks``, the
        fits of one batch), the fits run in the caller and in workers over the
        whole search with their measured seconds, the pool used, and the
        estimate and ``reason`` behind the decision that started it (see the
        parallelism guide).

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Exhaustive search over a grid.

    Notes
    -----
    Identical candidates are evaluated once: when the sampler proposes a
    candidate already scored in the study, its recorded score is told again.

    With a ``storage``, ``n_trials`` counts the finished trials of the whole
    study: a search interrupted after 30 of 50 trials runs 20 more when fitted
    again, and k processes each asked for 50 trials share them: each trial is
    asked only if the study's finished and running trials are fewer than
    ``n_trials``, so that the k processes run at most k - 1 extra trials. A
    process whose trials are still running elsewhere waits for them.

    The study records what its scores depend on: the search space (the labels
    of its choices included), the estimator (its parameters, recursively), the
    data (shape and ``joblib.hash`` of ``X`` and ``y``, of the cv splits and of
    the fit parameters), ``scoring``, ``error_score`` and
    ``return_train_score``. A search with another setup, a study holding
    trials the search did not run (plain Optuna trials, or trials of another
    setup) and a multi-objective study are refused before any trial. A cv
    splitter that shuffles must have a fixed ``random_state`` for a study to
    be resumed or shared.

    scikit-learn's callbacks (``search.set_callbacks(ProgressBar())``) see the
    tasks ``GridSearchCV`` shows them: the fit, a ``"search"`` task whose
    subtasks are the (candidate, fold) evaluations (at most ``n_trials``
    times the number of splits: repeated and pruned candidates have fewer),
    and the refit. An evaluation run in a worker process calls its hooks in
    that process, as in ``GridSearchCV``.

    A searching process records a heartbeat on the study every 10 seconds.
    Trials left running by a process killed (or cut off) for 60 seconds stay
    ``RUNNING`` in the storage and are no longer counted: the other processes
    run trials in their place.

    References
    ----------
    .. [1] T. Akiba, S. Sano, T. Yanase, T. Ohta and M. Koyama, "Optuna: A
       Next-generation Hyperparameter Optimization Framework", KDD 2019.

    Examples
    --------
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.model_selection import OptunaSearchCV
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> X, y, _ = make_nirs_regression(n_samples=100, random_state=0)
    >>> pipe = make_pipeline(StandardNormalVariate(), PLSRegression())
    >>> search = OptunaSearchCV(
    ...     pipe, {"plsregression__n_components": ("int", 1, 25)},
    ...     n_trials=12, cv=3, random_state=0)
    >>> search.fit(X, y).best_params_
    {'plsregression__n_components': 5}
    >>> search.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_jobs": N_JOBS_CONSTRAINT,
        "n_trials": [Interval(Integral, 1, None, closed="left"), None],
        "timeout": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "sampler": [HasMethods(["sample_relative", "sample_independent"]), None],
        "pruner": [HasMethods(["prune"]), None],
        "storage": [str, HasMethods(["create_new_study"]), None],
        "study_name": [str, None],
        "random_state": ["random_state"],
        "callbacks": [list, None],
    }
    _parameter_constraints.pop("pre_dispatch")

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_trials=10,
        timeout=None,
        scoring=None,
        refit=True,
        cv=None,
        n_jobs=None,
        batch_size=8,
        sampler=None,
        pruner=None,
        storage=None,
        study_name=None,
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        verbose=0,
        callbacks=None,
    ):
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.timeout = timeout
        self.scoring = scoring
        self.refit = refit
        self.cv = cv
        self.n_jobs = n_jobs
        self.batch_size = batch_size
        self.sampler = sampler
        self.pruner = pruner
        self.storage = storage
        self.study_name = study_name
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.verbose = verbose
        self.callbacks = callbacks

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        sub_tags = get_tags(self.estimator)
        tags.target_tags.multi_output = sub_tags.target_tags.multi_output
        tags.target_tags.required = sub_tags.target_tags.required
        # Trials are evaluated in joblib workers on NumPy data.
        tags.array_api_support = False
        return tags

    def __getstate__(self):
        state = super().__getstate__()
        if self.storage is not None and "study_" in state:
            # It holds a connection to the storage: loading the model elsewhere
            # must not need (or create) the database.
            state["study_"] = None
        return state

    # -- study -----------------------------------------------------------------

    def _objective_name(self, scorers):
        """The metric Optuna maximises: ``refit`` if it names one, else the first."""
        if isinstance(self.refit, str):
            return self.refit
        if isinstance(scorers, _MultimetricScorer):
            return next(iter(scorers._scorers))
        return "score"

    def _default_sampler(self, seed, first_trial=None):
        """TPE with the constant liar, seeded, or reseeded for a batch."""
        import optuna

        if seed is not None and first_trial is not None:
            seed = int(np.random.SeedSequence([seed, first_trial]).generate_state(1)[0])
        return optuna.samplers.TPESampler(seed=seed, constant_liar=True)

    def _create_study(self, seed):
        """The study, with copies of the sampler and pruner, or the defaults."""
        import optuna

        sampler, pruner = copy.deepcopy((self.sampler, self.pruner))
        if sampler is None:
            sampler = self._default_sampler(seed)
        if pruner is None:
            pruner = optuna.pruners.NopPruner()
        return _study.open_study(self.storage, self.study_name, sampler, pruner)

    def _setup(self, space, objective, X, y, splits, routed_params):
        """What a shared study records and checks (see ``_study.check_setup``)."""
        params = dict(fit=routed_params.estimator.fit, score=routed_params.scorer.score)
        return {
            "objective": objective,
            "scoring": _study.scoring_id(self.scoring),
            "n_splits": len(splits),
            "error_score": str(self.error_score),
            "return_train_score": self.return_train_score,
            "param_distributions": space.describe(),
            "estimator": _study.label(self.estimator, 16),
            "data": _study.data_id(X, y, splits, params),
        }

    # -- fit -------------------------------------------------------------------

    def _check_fit_arguments(self, y):
        """Refuse, before any trial, what would make the search fail or stall."""
        for callback in self.callbacks or ():
            if hasattr(callback, "on_fit_task_begin"):
                raise TypeError(
                    f"callbacks holds {type(callback).__name__}, a scikit-learn "
                    "callback; callbacks takes Optuna callbacks, "
                    "callback(study, frozen_trial). Set scikit-learn's callbacks "
                    "with set_callbacks()."
                )
        if self.storage is None and self.study_name is not None:
            raise ValueError(
                f"study_name={self.study_name!r} needs a storage to find the study "
                "in; set storage (an RDB URL or an Optuna storage)."
            )
        if self.n_trials is None and self.timeout is None:
            raise ValueError("n_trials=None needs a timeout to stop the search.")
        tags = get_tags(self.estimator)
        supervised = tags.estimator_type in ("regressor", "classifier")
        if y is None and (tags.target_tags.required or supervised):
            raise ValueError(
                f"{type(self.estimator).__name__} requires y to be passed, but the "
                "target y is None."
            )

    def _begin_callbacks(self, X, y, sample_weight):
        """The fit's root callback context, begun as ``BaseSearchCV.fit`` does.

        Also returns the ``X``, ``y`` and ``metadata`` that the hooks of the
        whole fit and of the refit are given. Before scikit-learn 1.9 (no
        callback API), a context that does nothing.
        """
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        fit_data = dict(X=X, y=y, metadata=metadata)
        if not hasattr(self, "_init_callback_context"):
            return _NoCallbackContext(), fit_data
        root = self._init_callback_context(max_subtasks=1 + (self.refit is not False))
        return root.call_on_fit_task_begin(estimator=self, **fit_data), fit_data

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **params):
        """Run the search, then refit the best candidate on all of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
                default=None
            Targets.
        **params : dict of str -> object
            Parameters for the estimator's ``fit``, the scorer and the cv
            splitter (e.g. ``groups``), routed as in ``GridSearchCV``.

        Returns
        -------
        self : OptunaSearchCV
            The fitted search.
        """
        space = SearchSpace(self.param_distributions)  # checked before any trial
        self._check_fit_arguments(y)
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed_params = self._get_routed_params_for_fit(params)
        root, fit_data = self._begin_callbacks(X, y, params.get("sample_weight"))
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._check_input_parameters(X, y, routed_params.splitter.split)
        splits = list(cv.split(X, y, **routed_params.splitter.split))
        self.n_splits_ = len(splits)
        objective = self._objective_name(scorers)
        setup = None
        if self.storage is not None:  # checked before any trial
            setup = self._setup(space, objective, X, y, splits, routed_params)

        n_fits = None if self.n_trials is None else self.n_trials * self.n_splits_
        # Workers are sized by one batch's tasks (a parallel call); the pool
        # is started for the work of the whole search (total_tasks, below).
        per_call = self.batch_size * (1 if self.pruner else self.n_splits_)
        runner = BudgetedParallel(self.n_jobs, n_tasks=per_call, data_bytes=_nbytes(X))
        search_task = root.subcontext(
            task_name="search", max_subtasks=n_fits, sequential_subtasks=False
        ).call_on_fit_task_begin(estimator=self)
        evaluate = self._make_evaluate(
            runner, X, y, splits, scorers, routed_params, search_task
        )
        with _optuna_logging(self.verbose), runner:  # one pool for all batches
            seed = None
            if self.sampler is None and self.random_state is not None:
                seed = int(check_random_state(self.random_state).randint(2**31 - 1))
            study = self._create_study(seed)
            if n_fits is not None:  # (a resumed study has fewer trials left)
                trials = study.get_trials(deepcopy=False)
                left = self.n_trials - sum(_study.count_trials(study, trials))
                runner.total_tasks = max(left, 0) * self.n_splits_
            self._optimize(study, space, evaluate, objective, seed, setup)
        search_task.call_on_fit_task_end(estimator=self)
        self.parallel_plan_ = runner.plan
        if self.verbose:
            print(f"[OptunaSearchCV] {format_plan(runner.plan)}")

        self._store_results(study, space, refit_metric)
        if self.refit:
            self._refit(routed_params.estimator.fit, root, fit_data)
        self.scorer_ = (
            scorers._scorers if isinstance(scorers, _MultimetricScorer) else scorers
        )
        root.call_on_fit_task_end(estimator=self, **fit_data)
        return self

    def _store_results(self, study, space, refit_metric):
        """``cv_results_`` and the ``best_*`` attributes, as ``BaseSearchCV.fit``."""
        trials = _study.evaluated_trials(study.get_trials(deepcopy=False))
        if not trials:
            why = "the timeout expired before the first batch finished."
            if study.trials:
                why = "the pruner stopped all of them."
            raise ValueError(f"No candidate was evaluated on every fold: {why}")
        out = [fold for t in trials for fold in t.user_attrs[_FOLDS]]
        # once for the whole search, as GridSearchCV: raise only if all failed,
        # and give failed fits the score format of the others
        _warn_or_raise_about_fit_failures(out, self.error_score)
        if callable(self.scoring):
            _insert_error_scores(out, self.error_score)
        results = self._format_results(
            [space.candidate(t.params) for t in trials], self.n_splits_, out
        )
        self.study_ = study
        self.trials_ = trials
        self.multimetric_ = isinstance(out[0]["test_scores"], dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(out[0]["test_scores"])
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            best = self._select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][best]
            self.best_index_ = best
            self.best_params_ = results["params"][best]
        self.cv_results_ = results

    def _refit(self, fit_params, root, fit_data):
        """Fit ``best_estimator_`` on all of ``X``, as ``BaseSearchCV.fit`` does."""
        X, y = fit_data["X"], fit_data["y"]
        data = (X,) if y is None else (X, y)
        share = _caller_share(self.parallel_plan_)
        self.best_estimator_ = clone(self.estimator).set_params(
            **clone(self.best_params_, safe=False)
        )
        refit_task = root.subcontext(task_name="refit-with-best-params")
        with refit_task.propagate_callback_context(self.best_estimator_):
            refit_task.call_on_fit_task_begin(estimator=self, **fit_data)
            start = time.perf_counter()
            with capped_n_jobs(self.best_estimator_, share):
                self.best_estimator_.fit(*data, **fit_params)
            self.refit_time_ = time.perf_counter() - start
        refit_task.call_on_fit_task_end(estimator=self, **fit_data)
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_

    def _make_evaluate(self, runner, X, y, splits, scorers, routed_params, search_task):
        """``evaluate(first, candidates, objective)``: new candidates' fold results.

        ``first`` and ``candidates`` map each candidate's key to its first
        trial and its parameters; the result maps it to its fold results. Each
        (candidate, fold) pair is a task of ``runner``. With a pruner, the folds
        are evaluated one at a time and each candidate's running mean score is
        reported to its first trial: the candidates the pruner stops get no
        further fold.

        An evaluation gets a callback context only when callbacks are set on
        the search or it runs inside a meta-estimator's task, so that the
        context tree, which grows with the trials, is not sent to workers for
        nothing.
        """
        base_estimator = clone(self.estimator)
        # a candidate's cost, measured by an earlier search in this process (the
        # same search run again, the outer folds of a nested cross-validation),
        # decides where its tasks run at once
        work = None
        if runner.plan["dispatch"] == "auto":
            width = getattr(X, "shape", (0,))[1:]  # (a list: unknown)
            work = work_key(_fit_and_score_candidate, base_estimator, width)
        fit_kwargs = dict(
            scorer=scorers,
            fit_params=routed_params.estimator.fit,
            score_params=routed_params.scorer.score,
            return_train_score=self.return_train_score,
            return_n_test_samples=True,
            return_times=True,
            error_score=self.error_score,
            verbose=self.verbose,
        )
        traced = getattr(self, "_skl_callbacks", None) or hasattr(
            self, "_parent_callback_ctx"
        )
        task_ids = itertools.count()

        def task_kwargs():
            if not traced:
                return fit_kwargs
            context = search_task.subcontext(
                task_name="candidate-split-evaluation", task_id=next(task_ids)
            )
            return fit_kwargs | {"callback_ctx": context, "caller": self}

        def evaluate(first, candidates, objective):
            folds = {key: [] for key in first}
            alive = list(first)
            stages = [range(self.n_splits_)]
            if self.pruner is not None:  # fold by fold
                stages = [[k] for k in range(self.n_splits_)]
            for stage in stages:
                if not alive:
                    break
                pairs = list(itertools.product(alive, stage))
                tasks = [
                    (base_estimator, X, y, candidates[key], *splits[k], task_kwargs())
                    for key, k in pairs
                ]
                out = runner.map(
                    _fit_and_score_candidate,
                    tasks,
                    names=[f"trial {first[key].number}" for key, _ in pairs],
                    keys=[None if work is None else (work, key) for key, _ in pairs],
                    sizes=[len(splits[k][0]) for _, k in pairs],
                )
                for (key, _), result in zip(pairs, out):
                    folds[key].append(_plain(result))
                if self.pruner is not None:
                    for key in alive:
                        first[key].report(_mean_score(folds[key], objective), stage[0])
                    alive = [key for key in alive if not first[key].should_prune()]
            return folds

        return evaluate

    def _optimize(self, study, space, evaluate, objective, seed, setup):
        """Ask, evaluate and tell batches of trials until the study is done.

        On a shared or resumed study (``setup`` given), the default sampler is
        seeded again for each batch with ``seed`` and the number of its first
        trial: a batch seeded like an earlier one would draw the same start-up
        candidates again.
        """
        from optuna.trial import TrialState

        tag, heartbeat = None, nullcontext()
        if setup is not None:  # a shared study
            _study.check_setup(study, setup)
            tag, heartbeat = _study.setup_tag(setup), _study.Heartbeat(study)
        n_trials = self.n_trials or math.inf  # (None: until the timeout)
        deadline = time.monotonic() + (self.timeout or math.inf)
        stopped = False
        with heartbeat:
            while not stopped and time.monotonic() <= deadline:
                trials = study.get_trials(deepcopy=False)
                if tag is not None:  # before any trial, then at each batch
                    _study.check_trials(study, trials, tag)
                done, running = _study.count_trials(study, trials)
                if done >= n_trials:
                    return
                if done + running >= n_trials:
                    time.sleep(_study._POLL)  # other processes run the last trials
                    continue
                batch = []
                try:
                    self._ask(study, batch, done + running, tag, heartbeat)
                    if seed is not None and tag is not None:  # (TPE samples at suggest)
                        study.sampler = self._default_sampler(seed, batch[0].number)
                    stopped = self._run_batch(
                        study, space, evaluate, objective, batch, trials
                    )
                except BaseException:
                    # an error or an interruption: do not leave the batch RUNNING
                    for trial in batch:  # (a trial told already refuses, quietly)
                        with suppress(Exception):  # (the error is raised below)
                            study.tell(trial, state=TrialState.FAIL)
                    raise

    def _ask(self, study, batch, counted, tag, heartbeat):
        """Ask up to ``batch_size`` trials into ``batch``, within ``n_trials``.

        On a shared study (``tag`` set), each trial is tagged with the setup and
        this process, and the study's finished and running trials are counted
        again before each ask: k processes asking at once then exceed
        ``n_trials`` by k - 1 trials at most.
        """
        while len(batch) < self.batch_size and counted < (self.n_trials or math.inf):
            batch.append(study.ask())
            counted += 1
            if tag is not None:
                _study.tag_trial(batch[-1], tag, heartbeat.process)
                if self.n_trials is not None:
                    trials = study.get_trials(deepcopy=False)
                    counted = sum(_study.count_trials(study, trials, heartbeat.process))

    def _run_batch(self, study, space, evaluate, objective, batch, trials):
        """Evaluate a batch of asked trials and tell their outcomes.

        A candidate already scored in the study (``trials``, as they were
        before the batch was asked) or earlier in the batch is not evaluated
        again: its trial reuses the recorded folds. Returns True if the sampler
        stopped the study.
        """
        from optuna.trial import TrialState

        scored = {trial_key(t.params): t for t in _study.evaluated_trials(trials)}
        first, candidates = {}, {}  # each new candidate's first trial, parameters
        for trial in batch:
            params = space.suggest(trial)
            key = trial_key(trial.params)
            if key not in scored and key not in first:
                first[key], candidates[key] = trial, params
        folds = evaluate(first, candidates, objective)

        stopped = False
        for trial in batch:
            key = trial_key(trial.params)
            source = first.get(key, scored.get(key))  # the trial that evaluated it
            results = folds[key] if key in folds else source.user_attrs[_FOLDS]
            if len(results) < self.n_splits_:
                stopped |= self._tell(study, trial, state=TrialState.PRUNED)
                continue
            if trial is source:
                trial.set_user_attr(_FOLDS, results)
            else:
                trial.set_user_attr(_REUSED, source.number)
            value = _mean_score(results, objective)
            if math.isfinite(value):
                stopped |= self._tell(study, trial, values=value)
            else:
                stopped |= self._tell(study, trial, state=TrialState.FAIL)
        if self.verbose:
            print(
                f"[OptunaSearchCV] {len(study.trials)} trials, {len(first)} new "
                f"candidate{'s' * (len(first) != 1)} evaluated; best score "
                f"{_best_value(study)}"
            )
        return stopped

    def _tell(self, study, trial, **outcome):
        """Tell Optuna a trial's outcome; True if the sampler stopped the study."""
        stopped = False
        try:
            frozen = study.tell(trial, **outcome)
        except RuntimeError as exc:
            # Grid-like samplers (GridSampler, BruteForceSampler) call study.stop()
            # once the space is exhausted, which Optuna only allows inside
            # study.optimize; the trial itself was recorded.
            if "Study.stop" not in str(exc):
                raise
            frozen = study.get_trials(deepcopy=False)[trial.number]
            stopped = True
        for callback in self.callbacks or ():
            callback(study, frozen)
        return stopped


def _mean_score(folds, objective):
    """Mean test score of the objective metric (a failed fold: its error score)."""
    scores = [
        score.get(objective, next(iter(score.values())))
        if isinstance(score, dict)
        else score
        for score in (fold["test_scores"] for fold in folds)
    ]
    return float(np.mean(scores))


def _best_value(study):
    try:
        return f"{study.best_value:.4g}"
    except ValueError:
        return "none yet"
