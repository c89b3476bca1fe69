"""ParallelBranches: a FeatureUnion / stacking hybrid whose branches run in parallel."""

import os
import warnings
from collections import Counter, defaultdict
from numbers import Real

import numpy as np
from sklearn.base import TransformerMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, assert_all_finite, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skl_nirs.compose._out_of_fold import (
    BranchResult,
    BranchTask,
    branch_output,
    fit_branch_task,
    out_of_fold,
    prediction_block,
    prediction_names,
    targets,
)
from skl_nirs.utils._compat import (
    HasMethods,
    StrOptions,
    _BaseComposition,
    _check_feature_names_in,
    _check_response_method,
    _fit_context,
    _get_container_adapter,
    _routing_enabled,
    _safe_indexing,
    _safe_set_output,
    _VisualBlock,
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
from skl_nirs.utils._wavelengths import (
    check_wavelengths,
    column_wavelengths,
    record_wavelengths,
)

_ROUTER_NAMES = frozenset({"self", "method_mapping"})  # MetadataRouter.add's own
_AUTO_METHODS = ["predict_proba", "decision_function", "predict"]


def _is_predictor(estimator):
    return get_tags(estimator).estimator_type in ("regressor", "classifier")


def _transformer_role(self):
    return self.final_estimator is None


def _final_estimator_has(attr):
    """Stacking's pattern: a method of the final estimator, when it has it."""

    def check(self):
        if hasattr(self, "final_estimator_"):  # None in the transformer role
            return hasattr(self.final_estimator_, attr)
        return hasattr(self.final_estimator, attr)

    return check


class ParallelBranches(
    VersionedPickleMixin,
    TransformerMixin,
    _BaseComposition,
    auto_wrap_output_keys=None,  # transform exists in the transformer role only
):
    """Fit branches of estimators in parallel; concatenate or stack their outputs.

    A hybrid of :class:`~sklearn.pipeline.FeatureUnion` and
    :class:`~sklearn.ensemble.StackingRegressor`. Each branch is a transformer, a
    predictor, or a :class:`~sklearn.pipeline.Pipeline` ending in either:

    * a **transformer branch** contributes its ``transform`` output;
    * a **predictor branch** (a regressor or classifier) contributes its
      predictions (``stack_method``). During ``fit`` they are computed **out of
      fold** with ``cv``, so the next stage never learns from in-sample
      predictions; for new data the branch refitted on all rows is used.

    The outputs are concatenated side by side, scaled by ``branch_weights``, with
    the raw ``X`` appended if ``passthrough=True``. Without ``final_estimator`` the
    result is a transformer; with a regressor (classifier) as ``final_estimator``,
    fitted on the concatenated outputs, it is a regressor (classifier).

    Branch fits -- and for predictor branches every (branch, fold) pair -- are
    scheduled in a single :class:`sklearn.utils.parallel.Parallel` call within
    one CPU budget: in the caller while they are cheap, in loky processes once
    they are costly (see the parallelism guide), while an outer
    ``joblib.parallel_backend`` or ``parallel_config`` always wins.

    Parameters
    ----------
    branches : list of (str, estimator)
        The branches. An estimator may be a transformer, a regressor, a
        classifier, a Pipeline ending in any of them, ``"drop"`` (the branch is
        ignored) or ``"passthrough"`` (``X`` unchanged). A branch can be swapped or
        dropped with ``set_params(<name>=...)`` and its parameters reached as
        ``<name>__<param>``.

    final_estimator : estimator, default=None
        Regressor or classifier fitted on the concatenated branch outputs.
        ``None`` makes ``ParallelBranches`` a transformer.

    cv : int, cross-validation generator or iterable, default=None
        Splits for the out-of-fold predictions of predictor branches, as in
        :func:`~sklearn.model_selection.cross_val_predict`: ``None`` is 5-fold
        (stratified for classification). The test folds must partition the
        samples. If a training fold lacks a class, its probabilities are placed
        under the right class columns and the missing ones set to 0, with a
        warning, as ``cross_val_predict`` does; decision functions cannot be
        placed and raise.

    passthrough : bool, default=False
        Append the raw ``X`` after the branch outputs.

    stack_method : {"auto", "predict", "predict_proba", "decision_function"}, \
            default="auto"
        Output of predictor branches. ``"auto"`` takes, in this order, the first
        of ``predict_proba``, ``decision_function`` and ``predict`` that the
        branch has. In binary classification one probability column is dropped
        (one per output for multi-output targets). Classifier branches learn the
        labels encoded as ``0 .. n_classes - 1`` (per output; as in
        :class:`~sklearn.ensemble.StackingClassifier`), so that ``"predict"``
        gives numbers whatever the labels. Regressor branches that learn class
        labels (in the classifier role, or text labels next to a classifier
        branch) learn their dummy matrix, one 0/1 column per class (one column
        for two classes), as PLS-DA does, and output one column per class: codes
        would invent an order between the classes. Otherwise ``y`` must be
        numeric (numbers written as text are read as numbers).

    branch_weights : dict of str to float, default=None
        Multiplicative weight of each branch's output, by branch name (missing
        branches weigh 1). Named ``transformer_weights`` in FeatureUnion.

    n_jobs : int, default=None
        Number of branch tasks run in parallel. ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means all processors.
        Where the tasks run follows the work: cheap tasks stay in the caller,
        costly ones go to workers (see ``parallel_plan_``; an explicit
        ``parallel_config(backend=...)`` forces workers). Results do not
        depend on it (up to the floating-point rounding of BLAS, whose thread
        count may differ).

    on_error : {"raise", "warn"}, default="raise"
        ``"raise"``: an exception in a branch is raised again, with its type kept
        and the branch name in its message. ``"warn"``: the branch is dropped with
        a :class:`~sklearn.exceptions.FitFailedWarning` and recorded in
        ``branch_errors_``; ``fit`` raises only if every branch fails.

    verbose : bool, default=False
        Print the parallel plan and the time spent in each branch.

    verbose_feature_names_out : bool, default=True
        Prefix the output feature names with the branch name
        (``"<branch>__<feature>"``).

    Attributes
    ----------
    branches_ : list of (str, estimator)
        The branches fitted on all rows (clones; ``"drop"``/``"passthrough"`` kept
        as given, failed branches as ``"drop"``).

    named_branches_ : :class:`~sklearn.utils.Bunch`
        ``branches_`` by name.

    final_estimator_ : estimator or None
        The fitted clone of ``final_estimator``.

    stack_method_ : dict of str to str
        For each fitted branch, the method giving its output: ``"transform"``,
        ``"passthrough"`` or a prediction method.

    branch_fit_times_ : dict of str to float
        Seconds spent fitting each branch (its folds and its refit).

    branch_errors_ : dict of str to str
        The error of each branch dropped by ``on_error="warn"``.

    parallel_plan_ : dict
        How the branch tasks of ``fit`` were run: the budget (``backend``,
        ``n_workers``, ``inner_n_jobs``, ``blas_threads``), the tasks run in the
        caller and in workers with their measured seconds, the pool used, and
        the estimate and ``reason`` behind the decision (see the parallelism
        guide).

    classes_ : ndarray of shape (n_classes,) or list of ndarray
        Class labels, when ``final_estimator`` is a classifier (one array per
        output for multi-output targets).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column names.

    wavelengths_ : ndarray of shape (`n_features_in_`,)
        The wavelengths the column names of ``X`` gave in ``fit`` (numbers, or
        numbers written as strings); checked by ``transform`` and ``predict``.
        Defined only when every column name is a wavelength.

    See Also
    --------
    make_branches : Name branches automatically.
    make_branch_grid : Branches from the product of step options.
    sklearn.pipeline.FeatureUnion : Transformer branches only.
    sklearn.ensemble.StackingRegressor : Predictor branches, single-output ``y``.

    Notes
    -----
    ``fit_transform`` returns the out-of-fold outputs of predictor branches (like
    :class:`~sklearn.preprocessing.TargetEncoder`), while ``transform`` on new data
    uses the refitted branches: ``fit_transform(X)`` differs from
    ``fit(X).transform(X)`` when there are predictor branches. Multi-output ``y``
    is supported, for regression and classification.

    ``fit(X, y, groups=groups)`` with a group-aware ``cv`` such as
    :class:`~sklearn.model_selection.GroupKFold` keeps the replicate spectra of
    a sample in one fold.

    References
    ----------
    .. [1] D. H. Wolpert, "Stacked generalization", Neural Networks, 5(2),
       241-259, 1992.

    Examples
    --------
    >>> from sklearn.cross_decomposition import PLSRegression
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from skl_nirs.compose import ParallelBranches
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> X, y, wavelengths = make_nirs_regression(n_samples=60, random_state=0)
    >>> union = ParallelBranches([("pca", PCA(n_components=3)),
    ...                           ("pls", PLSRegression(n_components=5))])
    >>> union.fit_transform(X, y).shape
    (60, 4)
    >>> stack = ParallelBranches(
    ...     [("pls", PLSRegression(n_components=5)), ("ridge", Ridge())],
    ...     final_estimator=Ridge(), cv=3)
    >>> stack.fit(X, y).predict(X[:2]).shape
    (2,)
    >>> stack.set_params(pls__n_components=8).get_params()["pls__n_components"]
    8
    """

    _parameter_constraints: dict = {
        "branches": [list],
        "final_estimator": [None, HasMethods(["fit"])],
        "cv": ["cv_object"],
        "passthrough": ["boolean"],
        "stack_method": [
            StrOptions({"auto", "predict", "predict_proba", "decision_function"})
        ],
        "branch_weights": [dict, None],
        "n_jobs": N_JOBS_CONSTRAINT,
        "on_error": [StrOptions({"raise", "warn"})],
        "verbose": ["verbose"],
        "verbose_feature_names_out": ["boolean"],
    }

    def __init__(
        self,
        branches,
        *,
        final_estimator=None,
        cv=None,
        passthrough=False,
        stack_method="auto",
        branch_weights=None,
        n_jobs=None,
        on_error="raise",
        verbose=False,
        verbose_feature_names_out=True,
    ):
        self.branches = branches
        self.final_estimator = final_estimator
        self.cv = cv
        self.passthrough = passthrough
        self.stack_method = stack_method
        self.branch_weights = branch_weights
        self.n_jobs = n_jobs
        self.on_error = on_error
        self.verbose = verbose
        self.verbose_feature_names_out = verbose_feature_names_out

    # -- parameters ------------------------------------------------------------

    def get_params(self, deep=True):
        """Get parameters, including ``<branch>`` and ``<branch>__<param>``.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of the branches.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("branches", deep=deep)

    def set_params(self, **params):
        """Set parameters; ``<branch>=estimator`` swaps a whole branch.

        Parameters
        ----------
        **params : dict
            Parameters of this estimator, whole branches (an estimator,
            ``"drop"`` or ``"passthrough"``) or ``<branch>__<param>``.

        Returns
        -------
        self : ParallelBranches
            This estimator.
        """
        self._set_params("branches", **params)
        return self

    @property
    def named_branches(self):
        """The ``branches`` parameter as a :class:`~sklearn.utils.Bunch`."""
        return Bunch(**dict(self.branches))

    def set_output(self, *, transform=None):
        """Set the output container of ``transform``, here and in every branch.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            Output container; ``None`` leaves it unchanged.

        Returns
        -------
        self : ParallelBranches
            This estimator.
        """
        if transform is not None:  # stored where scikit-learn's mixin keeps it
            self._sklearn_output_config = {"transform": transform}
        for _, branch in self.branches:
            _safe_set_output(branch, transform=transform)
        return self

    # -- validation ------------------------------------------------------------

    def _validate_branches(self):
        if not self.branches:
            raise ValueError(
                "branches must be a non-empty list of (name, estimator) pairs."
            )
        for index, item in enumerate(self.branches):
            if not (isinstance(item, tuple | list) and len(item) == 2):
                raise TypeError(
                    "branches must be a list of (name, estimator) pairs; item "
                    f"{index} is {item!r}."
                )
            if not isinstance(item[0], str):
                raise TypeError(
                    f"Branch names must be strings; item {index} of branches has "
                    f"name {item[0]!r}."
                )
        names = [name for name, _ in self.branches]
        self._validate_names(names)
        for name, estimator in self.branches:
            if estimator in ("drop", "passthrough"):
                continue
            if isinstance(estimator, type) or not hasattr(estimator, "fit"):
                raise TypeError(
                    f"Branch {name!r} must be an estimator instance, 'drop' or "
                    f"'passthrough'; got {estimator!r}."
                )
            if not (_is_predictor(estimator) or hasattr(estimator, "transform")):
                raise TypeError(
                    f"Branch {name!r} ({type(estimator).__name__}) is neither a "
                    "transformer nor a regressor or classifier."
                )
        if all(est == "drop" for _, est in self.branches) and not self.passthrough:
            raise ValueError("All branches are 'drop': there is nothing to fit.")
        self._validate_weights(names)
        if self.final_estimator is not None and not _is_predictor(self.final_estimator):
            raise TypeError(
                "final_estimator must be a regressor or a classifier, got "
                f"{type(self.final_estimator).__name__}."
            )

    def _validate_names(self, names):
        repeated = sorted(name for name, n in Counter(names).items() if n > 1)
        if repeated:
            raise ValueError(f"Branch names must be unique; repeated: {repeated}.")
        for name in names:
            if "__" in name:
                raise ValueError(f"Branch name {name!r} must not contain '__'.")
        for reserved, why in [
            (self._get_param_names(), "clash with parameters of ParallelBranches"),
            (_ROUTER_NAMES, "are reserved by scikit-learn's metadata routing"),
        ]:
            clashes = sorted(set(names) & set(reserved))
            if clashes:
                raise ValueError(f"Branch names {clashes} {why}.")

    def _validate_weights(self, names):
        weights = self.branch_weights or {}
        unknown = sorted(set(weights) - set(names))
        if unknown:
            raise ValueError(
                f"branch_weights has keys {unknown} that are not branch names; "
                f"branches are {names}."
            )
        for name, weight in weights.items():
            if isinstance(weight, bool) or not isinstance(weight, Real):
                raise TypeError(
                    f"branch_weights[{name!r}] must be a number, got {weight!r}."
                )
            if not np.isfinite(weight):
                raise ValueError(
                    f"branch_weights[{name!r}] must be finite, got {weight!r}."
                )

    def _stack_method(self, name, estimator):
        if estimator == "passthrough":
            return "passthrough"
        if not _is_predictor(estimator):
            return "transform"
        methods = _AUTO_METHODS if self.stack_method == "auto" else self.stack_method
        try:
            return _check_response_method(estimator, methods).__name__
        except AttributeError as exc:
            raise ValueError(
                f"Branch {name!r} does not implement stack_method="
                f"{self.stack_method!r}."
            ) from exc

    def _validate_X(self, X, y="no_validation", *, reset):
        if not hasattr(X, "columns"):  # keep data frames: branches may use names
            X = check_array(X, dtype=None, ensure_all_finite=False, input_name="X")
        allow_nan = get_tags(self).input_tags.allow_nan
        assert_all_finite(X, allow_nan=allow_nan, input_name="X")
        if reset:
            record_wavelengths(self, column_wavelengths(X))
        else:
            check_wavelengths(self, X)
        # with y: raises if y is None but required (predictor branches, a final step)
        validate_data(self, X, y, skip_check_array=True, reset=reset)
        return X

    # -- fit -------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **fit_params):
        """Fit the branches, then the final estimator on their outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra (a data frame is passed to the branches as is).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
                default=None
            Targets; required when there are predictor branches or a final
            estimator.
        **fit_params : dict
            Without metadata routing (the default), ``sample_weight`` goes to
            the ``fit`` of every branch and of the final estimator, which must
            all accept it (as in :class:`~sklearn.ensemble.StackingRegressor`),
            and ``groups`` to the ``split`` of ``cv`` (as in
            :class:`~sklearn.model_selection.GridSearchCV`); nothing else is
            accepted. With ``sklearn.set_config(enable_metadata_routing=True)``,
            any metadata goes where the branches, the final estimator and ``cv``
            request it.

        Returns
        -------
        self : ParallelBranches
            The fitted estimator.
        """
        self._fit(X, y, self.final_estimator is not None, "fit", fit_params)
        return self

    @available_if(_transformer_role)
    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y=None, **fit_params):
        """Fit, and return the branch outputs (out of fold for predictor branches).

        Available when there is no ``final_estimator`` (the transformer role).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
                default=None
            Targets.
        **fit_params : dict
            ``sample_weight`` and ``groups``, or routed metadata: see :meth:`fit`.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            The concatenated branch outputs, as the final estimator sees them.
        """
        return self._as_output(self._fit(X, y, True, "fit_transform", fit_params), X)

    def _route(self, caller, fit_params):
        """The fit parameters of each branch, the final estimator and ``cv``."""
        if _routing_enabled():
            return process_routing(self, caller, **fit_params)
        unknown = sorted(set(fit_params) - {"sample_weight", "groups"})
        if unknown:
            raise TypeError(
                f"ParallelBranches.{caller} got unexpected parameters {unknown}: "
                "without metadata routing it takes sample_weight and groups only; "
                "sklearn.set_config(enable_metadata_routing=True) passes the others."
            )
        fit = {key: value for key, value in fit_params.items() if value is not None}
        split = {"groups": fit.pop("groups")} if "groups" in fit else {}
        routed = {name: Bunch(fit=fit) for name, _ in self.branches}
        return Bunch(**routed, final_estimator=Bunch(fit=fit), cv=Bunch(split=split))

    def get_metadata_routing(self):
        """Where ``fit`` sends metadata, when metadata routing is enabled.

        To the ``fit`` of each branch and of the final estimator, and to the
        ``split`` of ``cv``, as each requests it.

        Returns
        -------
        routing : :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            The routing of this estimator.
        """
        router = MetadataRouter(owner=self)
        fit = (
            MethodMapping()
            .add(caller="fit", callee="fit")
            .add(caller="fit_transform", callee="fit")
        )
        split = (
            MethodMapping()
            .add(caller="fit", callee="split")
            .add(caller="fit_transform", callee="split")
        )
        for name, estimator in self.branches:
            if not isinstance(estimator, str):  # "drop", "passthrough"
                router.add(**{name: estimator}, method_mapping=fit)
        if self.final_estimator is not None:
            router.add(final_estimator=self.final_estimator, method_mapping=fit)
        if hasattr(self.cv, "split"):  # ints and lists of splits take no metadata
            router.add(cv=self.cv, method_mapping=split)
        return router

    def _fit(self, X, y, need_output, caller, fit_params):
        self._validate_branches()
        if y is None and get_tags(self).target_tags.required:
            raise ValueError(
                "ParallelBranches requires y to be passed, but the target y is None "
                "(it has predictor branches or a final_estimator)."
            )
        X = self._validate_X(X, y, reset=True)
        routed = self._route(caller, fit_params)
        branches = [(n, e) for n, e in self.branches if e != "drop"]
        estimators = [(n, e) for n, e in branches if e != "passthrough"]
        y = targets(y, estimators, self.final_estimator)
        self.stack_method_ = {n: self._stack_method(n, e) for n, e in branches}
        splits = []
        if need_output and any(_is_predictor(e) for _, e in estimators):
            splits = self._splits(X, y, routed.cv.split if "cv" in routed else {})
        tasks = self._tasks(estimators, y, routed, splits, need_output)
        runner = BudgetedParallel(
            self.n_jobs, n_tasks=len(tasks), data_bytes=_nbytes(X)
        )
        keys = {}  # the costs measured by earlier fits decide at once
        if runner.plan["dispatch"] == "auto":
            keys = {n: work_key(fit_branch_task, e, X.shape[1:]) for n, e in estimators}
        results = runner.map(
            fit_branch_task,
            [(X, task, self.on_error) for task in tasks],
            names=[task.name for task in tasks],
            keys=[keys.get(task.name) for task in tasks],
            sizes=[len(X) if t.train is None else len(t.train) for t in tasks],
            lost=BranchResult if self.on_error == "warn" else None,  # of its error
        )
        self.parallel_plan_ = runner.plan
        outputs = self._collect(X, tasks, results, y)
        if self.verbose:
            print(f"[ParallelBranches] {format_plan(self.parallel_plan_)}")
            for name, seconds in self.branch_fit_times_.items():
                print(f"[ParallelBranches] branch {name!r}: {seconds:.3f} s")
        self.final_estimator_ = None
        X_out = self._concatenate(X, outputs) if need_output else None
        if self.final_estimator is not None:  # a thin last step over the union
            self.final_estimator_ = clone(self.final_estimator)
            with capped_n_jobs(self.final_estimator_, _caller_share(runner.plan)):
                self.final_estimator_.fit(X_out, y.final, **routed.final_estimator.fit)
        return X_out

    def _tasks(self, estimators, y, routed, splits, need_output):
        """The fits of the branches: each fold of a predictor, then all rows."""
        tasks = []
        for name, estimator in estimators:
            method = self.stack_method_[name]
            y_branch = y.classes if is_classifier(estimator) else y.values
            refit = BranchTask(name, estimator, y_branch, routed[name].fit)
            if method != "transform":
                tasks.extend(
                    refit._replace(train=train, test=test, method=method)
                    for train, test in splits
                )
            elif need_output:  # keep the transform output
                refit = refit._replace(method="transform")
            tasks.append(refit)
        return tasks

    def _splits(self, X, y, split_params):
        """The folds of ``cv``, stratified when there are class labels."""
        cv = check_cv(self.cv, y.classes, classifier=y.labels is not None)
        splits = list(cv.split(X, y.classes, **split_params))
        tested = np.sort(np.concatenate([test for _, test in splits]))
        if not np.array_equal(tested, np.arange(X.shape[0])):
            raise ValueError(
                "cv must split the samples into test folds that contain each sample "
                f"exactly once, for out-of-fold predictions; got {self.cv!r}."
            )
        return splits

    def _collect(self, X, tasks, results, y):
        """Set the fitted attributes from the task results; return the outputs."""
        self.branch_fit_times_ = dict.fromkeys([task.name for task in tasks], 0.0)
        self.branch_errors_ = {}
        fitted, outputs, folds = {}, {}, defaultdict(list)
        for task, result in zip(tasks, results):
            name, error = task.name, result.error
            self.branch_fit_times_[name] += result.seconds
            if error is not None:
                self.branch_errors_.setdefault(name, f"{type(error).__name__}: {error}")
            elif task.train is None:
                fitted[name], outputs[name] = result.fitted, result.output
            else:
                folds[name].append((task.test, result.output, result.classes))
        for name, message in self.branch_errors_.items():  # drop failed branches
            warnings.warn(
                f"Branch {name!r} failed and is dropped: {message}",
                FitFailedWarning,
                stacklevel=5,
            )
            fitted.pop(name, None)
            self.stack_method_.pop(name)
        if self.branch_errors_ and not fitted:
            raise ValueError(
                f"Every branch failed: {self.branch_errors_}. Set on_error='raise' "
                "to see the tracebacks."
            )
        self._predictor_names = {}
        for name, estimator in fitted.items():
            method = self.stack_method_[name]
            if method == "transform":
                continue
            if name in folds:
                outputs[name] = out_of_fold(name, folds[name], len(X), method, y.labels)
            else:  # no outputs asked for: one row gives the width
                one_row = getattr(estimator, method)(_safe_indexing(X, [0]))
                outputs[name] = prediction_block(one_row, method)
            self._predictor_names[name] = prediction_names(
                estimator, method, outputs[name].shape[1], y.labels, y.dummies
            )
        self.branches_ = [
            (name, est if est in ("drop", "passthrough") else fitted.get(name, "drop"))
            for name, est in self.branches
        ]
        self.named_branches_ = Bunch(**dict(self.branches_))
        return outputs

    # -- outputs ---------------------------------------------------------------

    def _concatenate(self, X, outputs):
        weights = self.branch_weights or {}
        blocks = []
        for name, method in self.stack_method_.items():
            block = np.asarray(X if method == "passthrough" else outputs[name])
            if block.ndim != 2:
                raise ValueError(
                    f"Branch {name!r} returned an output with {block.ndim} "
                    "dimensions; expected 2 (n_samples, n_features)."
                )
            blocks.append(block * weights[name] if name in weights else block)
        if self.passthrough:
            blocks.append(np.asarray(X))
        return np.hstack(blocks)

    @available_if(_transformer_role)
    def transform(self, X):
        """Concatenate the outputs of the branches fitted on all rows.

        Available when there is no ``final_estimator`` (the transformer role).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            Branch outputs side by side (and ``X`` if ``passthrough``).
        """
        return self._as_output(self._transform(X), X)

    def _as_output(self, X_out, X):
        """The container ``set_output`` asks for (a role-dependent ``transform``
        is not wrapped by scikit-learn's mixin)."""
        adapter = _get_container_adapter("transform", self)
        if adapter is None:
            return X_out
        return adapter.create_container(X_out, X, self.get_feature_names_out)

    def _transform(self, X):
        """The fitted branches' outputs on new rows (run in parallel), side by side."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        methods = {n: m for n, m in self.stack_method_.items() if m != "passthrough"}
        names = list(methods)
        tasks = [
            (X, name, self.named_branches_[name], method, os.getpid())
            for name, method in methods.items()
        ]
        runner = BudgetedParallel(
            self.n_jobs, n_tasks=len(tasks), data_bytes=_nbytes(X)
        )
        outputs = runner.map(branch_output, tasks, names=names)
        return self._concatenate(X, dict(zip(names, outputs)))

    @available_if(_final_estimator_has("predict"))
    def predict(self, X):
        """Predict with the final estimator on the branch outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions.
        """
        check_is_fitted(self)
        return self.final_estimator_.predict(self._transform(X))

    @available_if(_final_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the final estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes) or list of ndarray
            Probabilities, columns in the order of ``classes_`` (a list, one
            array per output, for multi-output targets when the final estimator
            returns one).
        """
        check_is_fitted(self)
        return self.final_estimator_.predict_proba(self._transform(X))

    @available_if(_final_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the final estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision function values.
        """
        check_is_fitted(self)
        return self.final_estimator_.decision_function(self._transform(X))

    @available_if(_final_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """The final estimator's score on the branch outputs.

        The accuracy of :meth:`predict` for a classifier (a label the fit never
        saw counts as an error), R² for a regressor, as
        :class:`~sklearn.ensemble.StackingClassifier` and
        :class:`~sklearn.ensemble.StackingRegressor` give.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            ``final_estimator_.score`` on the branch outputs.
        """
        X_out = self._transform(X)
        return self.final_estimator_.score(X_out, y, sample_weight=sample_weight)

    @property
    def classes_(self):
        """The class labels, in the classifier role (the final estimator's)."""
        return self.final_estimator_.classes_

    def get_feature_names_out(self, input_features=None):
        """Output feature names: ``"<branch>__<feature>"``.

        Transformer branches give their own names, predictor branches one name
        per output or class (``"<branch>__predict"``,
        ``"<branch>__predict_proba_<class>"``), passthrough the input names.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input feature names; ``feature_names_in_`` by default.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Output feature names.
        """
        check_is_fitted(self)
        input_features = _check_feature_names_in(self, input_features)
        out = []
        for name, method in self.stack_method_.items():
            estimator = self.named_branches_[name]
            if method == "passthrough":
                names = input_features
            elif method != "transform":
                names = self._predictor_names[name]
            elif hasattr(estimator, "get_feature_names_out"):
                names = estimator.get_feature_names_out(input_features)
            else:
                raise AttributeError(
                    f"Branch {name!r} ({type(estimator).__name__}) does not "
                    "provide get_feature_names_out."
                )
            if self.verbose_feature_names_out:
                names = [f"{name}__{feature}" for feature in names]
            out.extend(names)
        if self.passthrough:
            out.extend(input_features)
        repeated = sorted(f for f, n in Counter(out).items() if n > 1)
        if repeated:
            advice = "set verbose_feature_names_out=True to add branch-name prefixes"
            if self.verbose_feature_names_out:
                advice = "rename the input features"
            raise ValueError(
                f"Output feature names {repeated[:5]} are not unique; {advice}."
            )
        return np.asarray(out, dtype=object)

    # -- estimator plumbing ----------------------------------------------------

    def __sklearn_is_fitted__(self):
        return hasattr(self, "branches_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.final_estimator is not None:
            final = get_tags(self.final_estimator)  # a fresh copy of its tags
            tags.estimator_type = final.estimator_type
            tags.classifier_tags = final.classifier_tags
            tags.regressor_tags = final.regressor_tags
            tags.target_tags.multi_output = final.target_tags.multi_output
            tags.transformer_tags = None
        try:
            estimators = [e for _, e in self.branches if not isinstance(e, str)]
            tags.target_tags.required = self.final_estimator is not None or any(
                _is_predictor(e) for e in estimators
            )
            if self.final_estimator is not None and (
                self.passthrough or "passthrough" in dict(self.branches).values()
            ):  # otherwise the final estimator sees only branch outputs
                estimators.append(self.final_estimator)
            tags.input_tags.allow_nan = all(
                get_tags(e).input_tags.allow_nan for e in estimators
            )
        except (TypeError, ValueError, AttributeError):  # branches not validated yet
            pass
        return tags

    def _sk_visual_block_(self):
        names, estimators = zip(*self.branches)
        branches = _VisualBlock("parallel", estimators, names=names)
        if self.final_estimator is None:
            return branches
        final = _VisualBlock(
            "parallel", [self.final_estimator], names=["final_estimator"]
        )
        return _VisualBlock("serial", (branches, final), dash_wrapped=False)
