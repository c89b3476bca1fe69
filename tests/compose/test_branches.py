import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
from _probes import (
    DyingTransformer,
    FailingRegressor,
    FailingTransformer,
    NJobsTransformer,
    RecordingRegressor,
    RecordingTransformer,
)
from joblib import parallel_backend
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.cluster import DBSCAN
from sklearn.cross_decomposition import PLSRegression
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor, StackingRegressor
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.utils import estimator_html_repr

import skl_nirs
from skl_nirs.compose import ParallelBranches, make_branch_grid, make_branches
from skl_nirs.preprocessing import StandardNormalVariate


def _stack(**params):
    branches = [
        ("pls", PLSRegression(n_components=3)),
        ("ridge", Ridge(alpha=1.0)),
        ("pca", PCA(n_components=2)),
    ]
    return ParallelBranches(branches, final_estimator=Ridge(), cv=3, **params)


def test_headline_import():
    assert skl_nirs.ParallelBranches is ParallelBranches


def test_roles_follow_final_estimator(spectra):
    X, y = spectra
    union = ParallelBranches([("pca", PCA(2))])
    assert not is_regressor(union) and hasattr(union, "transform")
    stack = _stack()
    assert is_regressor(stack) and not hasattr(stack, "transform")
    assert not hasattr(stack, "predict_proba")
    classif = ParallelBranches(
        [("lr", LogisticRegression())], final_estimator=LogisticRegression()
    )
    assert is_classifier(classif) and hasattr(classif, "predict_proba")
    assert not hasattr(union, "predict")


def test_same_output_as_feature_union(spectra):
    X, y = spectra
    branches = [("pca", PCA(n_components=3)), ("scale", StandardScaler())]
    ours = ParallelBranches(branches).fit(X, y)
    theirs = FeatureUnion(branches).fit(X, y)
    assert_allclose(ours.transform(X), theirs.transform(X))
    assert_allclose(
        ParallelBranches(branches).fit_transform(X, y), theirs.fit_transform(X, y)
    )
    assert_array_equal(ours.get_feature_names_out(), theirs.get_feature_names_out())


def test_same_predictions_as_stacking_regressor(spectra):
    X, y = spectra
    branches = [("pls", PLSRegression(n_components=3)), ("ridge", Ridge())]
    cv = KFold(4)
    ours = ParallelBranches(branches, final_estimator=Ridge(), cv=cv).fit(X, y)
    theirs = StackingRegressor(branches, final_estimator=Ridge(), cv=cv).fit(X, y)
    assert_allclose(ours.predict(X), theirs.predict(X))
    assert_allclose(ours.final_estimator_.coef_, theirs.final_estimator_.coef_)


def test_fit_transform_gives_out_of_fold_predictions(spectra):
    X, y = spectra
    cv = KFold(4)
    union = ParallelBranches([("ridge", Ridge())], cv=cv)
    oof = union.fit_transform(X, y)[:, 0]
    for train, test in cv.split(X):
        assert_allclose(oof[test], Ridge().fit(X[train], y[train]).predict(X[test]))
    # new data goes through the branch refitted on all rows
    assert_allclose(union.transform(X)[:, 0], Ridge().fit(X, y).predict(X))


def test_fitted_attributes_and_params_untouched(spectra):
    X, y = spectra
    stack = _stack(branch_weights={"ridge": 2.0})
    params = clone(stack).get_params(deep=True)
    stack.fit(X, y)
    assert stack.branches[0][1] is not stack.branches_[0][1]
    assert not hasattr(stack.branches[0][1], "coef_")
    assert stack.named_branches_["pls"] is stack.branches_[0][1]
    assert stack.stack_method_ == {
        "pls": "predict",
        "ridge": "predict",
        "pca": "transform",
    }
    assert set(stack.branch_fit_times_) == {"pls", "ridge", "pca"}
    assert all(t > 0 for t in stack.branch_fit_times_.values())
    assert stack.branch_errors_ == {}
    assert stack.n_features_in_ == X.shape[1]
    assert isinstance(stack.final_estimator_, Ridge)
    assert stack.parallel_plan_["n_tasks"] == (3 + 1) * 2 + 1  # folds + refits
    assert set(stack.get_params(deep=True)) == set(params)


def test_branch_weights_and_passthrough(spectra):
    X, y = spectra
    plain = ParallelBranches([("pca", PCA(2)), ("scale", StandardScaler())])
    weighted = ParallelBranches(
        [("pca", PCA(2)), ("scale", StandardScaler())],
        branch_weights={"pca": 3.0},
        passthrough=True,
    )
    out, weighted_out = plain.fit_transform(X), weighted.fit_transform(X)
    assert_allclose(weighted_out[:, :2], 3 * out[:, :2])
    assert_allclose(weighted_out[:, 2:-60], out[:, 2:])
    assert_allclose(weighted_out[:, -60:], X)
    names = weighted.get_feature_names_out()
    assert names[0] == "pca__pca0" and names[-1] == "x59"


def test_drop_and_passthrough_branches(spectra):
    X, y = spectra
    union = ParallelBranches(
        [("pca", PCA(2)), ("raw", "passthrough"), ("off", "drop")]
    ).fit(X)
    assert union.transform(X).shape == (40, 62)
    assert union.named_branches_["off"] == "drop"
    assert union.get_feature_names_out()[2] == "raw__x0"


def test_multi_output_y(spectra):
    X, y = spectra
    Y = np.column_stack([y, 2 * y + 0.1])
    stack = ParallelBranches(
        [("pls", PLSRegression(n_components=3)), ("ridge", Ridge())],
        final_estimator=Ridge(),
        cv=3,
    ).fit(X, Y)
    assert stack.predict(X).shape == (40, 2)
    assert list(stack.get_feature_names_out()) == [
        "pls__predict0",
        "pls__predict1",
        "ridge__predict0",
        "ridge__predict1",
    ]
    with pytest.raises(ValueError, match="1d array"):
        StackingRegressor([("ridge", Ridge())]).fit(X, Y)


def test_classifier_stacking_predict_proba(spectra):
    X, y = spectra
    labels = np.where(y > np.median(y), "high", "low")
    stack = ParallelBranches(
        [("lr", LogisticRegression()), ("pca", PCA(2))],
        final_estimator=LogisticRegression(),
        cv=3,
    ).fit(X, labels)
    assert_array_equal(stack.classes_, ["high", "low"])
    proba = stack.predict_proba(X)
    assert proba.shape == (40, 2)
    assert_allclose(proba.sum(axis=1), 1)
    assert set(stack.predict(X)) <= {"high", "low"}
    assert stack.score(X, labels) > 0.8
    assert list(stack.get_feature_names_out())[0] == "lr__predict_proba_low"

    three = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    union = ParallelBranches([("lr", LogisticRegression())], cv=3)
    assert union.fit_transform(X, three).shape == (40, 3)
    assert list(union.get_feature_names_out()) == [
        f"lr__predict_proba_{c}" for c in range(3)
    ]


@pytest.mark.parametrize(
    "stack_method, width", [("predict", 1), ("decision_function", 1)]
)
def test_stack_method(spectra, stack_method, width):
    X, y = spectra
    labels = (y > np.median(y)).astype(int)
    union = ParallelBranches(
        [("lr", LogisticRegression())], stack_method=stack_method, cv=3
    )
    assert union.fit_transform(X, labels).shape == (40, width)
    assert union.stack_method_ == {"lr": stack_method}


def test_set_output_pandas(spectra):
    pd = pytest.importorskip("pandas")
    X, y = spectra
    frame = pd.DataFrame(X, columns=[f"w{i}" for i in range(60)])
    union = ParallelBranches([("pca", PCA(2)), ("ridge", Ridge())], cv=3)
    out = union.set_output(transform="pandas").fit_transform(frame, y)
    assert list(out.columns) == ["pca__pca0", "pca__pca1", "ridge__predict"]
    assert list(union.feature_names_in_) == list(frame.columns)
    assert list(union.transform(frame).columns) == list(out.columns)


def test_results_do_not_depend_on_n_jobs_or_backend(spectra, force_workers):
    X, y = spectra
    reference = _stack(n_jobs=1).fit(X, y).predict(X)
    for n_jobs in (2, -1):
        assert_array_equal(_stack(n_jobs=n_jobs).fit(X, y).predict(X), reference)
        with parallel_backend("threading"):
            stack = _stack(n_jobs=n_jobs).fit(X, y)
        assert stack.parallel_plan_["backend"] == "threading"
        assert_array_equal(stack.predict(X), reference)


def test_results_do_not_depend_on_where_the_work_ran(spectra, pool_start_pinned):
    X, y = spectra
    branches = [
        ("pls", PLSRegression(n_components=3)),
        ("slow", RecordingRegressor(sleep=0.4)),
        ("pca", PCA(n_components=2)),
    ]
    # first (the costs are measured, not known from the reference's fit)
    stack = ParallelBranches(branches, final_estimator=Ridge(), cv=3, n_jobs=2)
    plan = stack.fit(X, y).parallel_plan_
    assert plan["tasks_in_caller"] >= 1 and plan["tasks_in_workers"] >= 1
    reference = ParallelBranches(branches, final_estimator=Ridge(), cv=3, n_jobs=1)
    assert_array_equal(stack.predict(X), reference.fit(X, y).predict(X))
    # fitted again, the costs are known: all the work goes to workers at once
    plan = stack.fit(X, y).parallel_plan_
    assert (
        plan["tasks_in_caller"] == 0
        and plan["tasks_in_workers"] == plan["n_tasks"] == 9
    )
    assert_array_equal(stack.predict(X), reference.predict(X))


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_config_reaches_every_branch(spectra, backend, force_workers):
    X, y = spectra
    branches = [(f"probe{i}", RecordingTransformer()) for i in range(3)]
    with parallel_backend(backend), config_context(assume_finite=True):
        union = ParallelBranches(branches, n_jobs=2).fit(X, y)
    assert union.parallel_plan_["n_workers"] == 2
    assert all(est.assume_finite_ for _, est in union.branches_)


def test_backend_is_honoured(force_workers):
    X = np.random.RandomState(0).rand(200, 1000)  # 1.6 MB: memory-mapped by joblib
    branches = [(f"probe{i}", RecordingTransformer()) for i in range(4)]
    union = ParallelBranches(branches, n_jobs=2).fit(X)
    assert union.parallel_plan_["backend"] == "loky"
    assert all(est.pid_ != os.getpid() for _, est in union.branches_)
    assert all(est.X_is_memmap_ for _, est in union.branches_)
    with parallel_backend("threading"):
        union = ParallelBranches(branches, n_jobs=2).fit(X)
    assert union.parallel_plan_["backend"] == "threading"
    assert all(est.pid_ == os.getpid() for _, est in union.branches_)


def test_grid_search_over_branch_configurations(spectra):
    X, y = spectra
    stack = ParallelBranches(
        [
            ("snv_pls", make_pipeline(StandardScaler(), PLSRegression())),
            ("msc_ridge", Ridge()),
        ],
        final_estimator=Ridge(),
        cv=3,
    )
    grid = {
        "snv_pls__plsregression__n_components": [2, 4],
        "msc_ridge": [Ridge(), "drop"],
        "final_estimator": [Ridge(), LinearRegression()],
    }
    search = GridSearchCV(stack, grid, cv=3).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert search.best_estimator_.n_features_in_ == 60
    assert search.predict(X).shape == (40,)


def test_pipeline_and_cross_val_score(spectra):
    X, y = spectra
    pipe = make_pipeline(
        ParallelBranches([("pca", PCA(3)), ("ridge", Ridge())], cv=3), Ridge()
    )
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0)
    assert cross_val_score(_stack(), X, y, cv=3).mean() > 0.5


def test_generated_names_are_valid_branch_names():
    names = [name for name, _ in make_branches("passthrough", PCA(2), "passthrough")]
    assert names == ["passthrough-1", "pca", "passthrough-2"]
    grid = make_branch_grid(
        a={"p_q": PCA(), "p": PCA(), "x_": PCA()}, b={"r": PCA(), "q_r": PCA()}
    )
    names = [name for name, _ in grid]
    assert names == ["p_q_r-1", "p_q_q_r", "p_r", "p_q_r-2", "x_r", "x_q_r"]
    names = [name for name, _ in make_branches(PCA(), PCA(), Ridge(), Ridge())]
    assert names == ["pca-1", "pca-2", "ridge-1", "ridge-2"]
    grid = make_branch_grid(model={"n_jobs": PCA(), "n_jobs-1": PCA(), "self": PCA()})
    assert [name for name, _ in grid] == ["n_jobs-2", "n_jobs-1", "self-1"]
    single = make_branch_grid(model=["passthrough", PCA(2)])
    assert [name for name, _ in single] == ["passthrough-1", "pca"]
    X = np.random.RandomState(0).rand(10, 4)
    ParallelBranches(single).fit(X)  # valid names


def test_make_branches_and_grid(spectra):
    X, y = spectra
    branches = make_branch_grid(
        scale={"std": StandardScaler(), "raw": "passthrough"},
        model=[PLSRegression(n_components=3), Ridge()],
    )
    names = [name for name, _ in branches]
    assert names == ["std_plsregression", "std_ridge", "raw_plsregression", "raw_ridge"]
    # each branch owns its steps
    assert branches[0][1].steps[0][1] is not branches[1][1].steps[0][1]
    stack = ParallelBranches(branches, final_estimator=Ridge(), cv=3).fit(X, y)
    assert stack.get_params()["std_ridge__model__alpha"] == 1.0
    search = GridSearchCV(
        Pipeline([("branch", branches[0][1])]),
        {"branch": [pipe for _, pipe in branches]},
        cv=3,
    ).fit(X, y)
    assert search.best_params_["branch"] in [pipe for _, pipe in branches]

    assert [
        n for n, _ in make_branches(PCA(), PCA(), make_pipeline(PCA(), Ridge()))
    ] == [
        "pca-1",
        "pca-2",
        "pca_ridge",
    ]
    with pytest.raises(TypeError, match="Options of step 'model' must be a list"):
        make_branch_grid(model=Ridge())
    with pytest.raises(ValueError, match="Step 'model' has no options"):
        make_branch_grid(model=[])


def test_persistence_in_a_fresh_process(spectra, tmp_path):
    X, y = spectra
    stack = _stack().fit(X, y)
    joblib.dump(stack, tmp_path / "model.joblib")
    np.save(tmp_path / "X.npy", X)
    code = (
        "import joblib, numpy as np;"
        f"m = joblib.load({str(tmp_path / 'model.joblib')!r});"
        f"np.save({str(tmp_path / 'pred.npy')!r}, "
        f"m.predict(np.load({str(tmp_path / 'X.npy')!r})))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert_array_equal(np.load(tmp_path / "pred.npy"), stack.predict(X))


def test_html_repr_shows_branches_then_final_estimator(spectra):
    html = estimator_html_repr(_stack())
    for name in ("pls", "ridge", "pca", "final_estimator"):
        assert name in html
    assert html.index("pls") < html.index("final_estimator")


def test_error_in_branch_keeps_type_and_names_branch(spectra):
    X, y = spectra
    union = ParallelBranches([("ok", PCA(2)), ("bad", FailingTransformer())])
    with pytest.raises(TypeError, match="Branch 'bad' failed: wrong type in the probe"):
        union.fit(X, y)
    union.set_params(bad=FailingTransformer(error="key"))
    with pytest.raises(KeyError, match="Branch 'bad' failed"):
        union.fit(X, y)


def test_on_error_warn_drops_failing_branch(spectra):
    X, y = spectra
    union = ParallelBranches(
        [("ok", PCA(2)), ("bad", FailingTransformer())], on_error="warn"
    )
    with pytest.warns(FitFailedWarning, match="Branch 'bad' failed and is dropped"):
        out = union.fit_transform(X, y)
    assert out.shape == (40, 2)
    assert union.branch_errors_ == {"bad": "TypeError: wrong type in the probe"}
    assert union.named_branches_["bad"] == "drop"
    assert list(union.get_feature_names_out()) == ["ok__pca0", "ok__pca1"]
    union.set_params(ok=FailingTransformer())
    with (
        pytest.warns(FitFailedWarning),
        pytest.raises(ValueError, match="Every branch"),
    ):
        union.fit(X, y)


def _slow_and_dying():
    slow = [(f"slow{i}", RecordingTransformer(sleep=0.5)) for i in range(3)]
    return [slow[0], slow[1], ("dies", DyingTransformer()), slow[2]]


def test_dead_worker_names_its_branch_only_and_next_fit_works(force_workers):
    X = np.random.RandomState(0).rand(50, 20)
    union = ParallelBranches(_slow_and_dying(), n_jobs=2)
    with pytest.raises(RuntimeError, match=r"died while running \['dies'\]: A "):
        union.fit(X)
    union.set_params(dies=RecordingTransformer()).fit(X)
    assert union.transform(X).shape == (50, 4)


def test_dead_worker_drops_its_branch_only_with_on_error_warn(force_workers):
    X = np.random.RandomState(0).rand(50, 20)
    union = ParallelBranches(_slow_and_dying(), n_jobs=2, on_error="warn")
    with pytest.warns(FitFailedWarning, match="Branch 'dies' failed and is dropped"):
        union.fit(X)
    assert list(union.branch_errors_) == ["dies"]
    assert [name for name, est in union.branches_ if est != "drop"] == [
        "slow0",
        "slow1",
        "slow2",
    ]
    assert union.transform(X).shape == (50, 3)
    assert all(est.pid_ != os.getpid() for _, est in union.branches_ if est != "drop")


def test_nested_estimators_keep_their_n_jobs(spectra, force_workers):
    X, y = spectra
    forest = RandomForestRegressor(n_estimators=5, n_jobs=-1, random_state=0)
    stack = ParallelBranches(
        [("rf", forest), ("ridge", Ridge())], final_estimator=Ridge(), n_jobs=2
    ).fit(X, y)
    assert forest.n_jobs == -1
    assert stack.named_branches_["rf"].n_jobs == -1  # capped only while fitted
    assert stack.parallel_plan_["inner_n_jobs"] == 1


def test_verbose_prints_plan(spectra, capsys):
    X, y = spectra
    ParallelBranches([("pca", PCA(2))], verbose=True).fit(X)
    out = capsys.readouterr().out
    assert "sequential (n_jobs=None)" in out and "branch 'pca'" in out


@pytest.mark.parametrize(
    "params, error, match",
    [
        (dict(branches=[]), ValueError, "branches must be a non-empty list"),
        (dict(branches=[PCA()]), TypeError, "item 0 is PCA()"),
        (dict(branches=[("a", PCA()), ("a", Ridge())]), ValueError, "repeated: .'a'"),
        (dict(branches=[("a__b", PCA())]), ValueError, "'a__b' must not contain"),
        (dict(branches=[("cv", PCA())]), ValueError, r"\['cv'\] clash with param"),
        (dict(branches=[(1, PCA())]), TypeError, "item 0 of branches has name 1"),
        (dict(branches=[("a", "scaler")]), TypeError, "Branch 'a' must be an est"),
        (dict(branches=[("a", PCA)]), TypeError, "Branch 'a' must be an estimator"),
        (
            dict(branches=[("a", DBSCAN())]),
            TypeError,
            r"Branch 'a' \(DBSCAN\) is neither a transformer nor a regressor",
        ),
        (dict(branches=[("a", "drop")]), ValueError, "All branches are 'drop'"),
        (
            dict(branches=[("a", PCA())], branch_weights={"b": 1}),
            ValueError,
            r"branch_weights has keys \['b'\]",
        ),
        (
            dict(branches=[("a", PCA())], branch_weights={"a": "x"}),
            TypeError,
            r"branch_weights\['a'\] must be a number",
        ),
        (dict(branches=[("a", PCA())], n_jobs="2"), ValueError, "'n_jobs' param"),
        (dict(branches=[("a", PCA())], n_jobs=0), ValueError, "'n_jobs' .* Got 0"),
        (
            dict(branches=[("a", PCA())], branch_weights={"a": True}),
            TypeError,
            r"branch_weights\['a'\] must be a number, got True",
        ),
        (
            dict(branches=[("a", PCA())], branch_weights={"a": np.nan}),
            ValueError,
            r"branch_weights\['a'\] must be finite, got nan",
        ),
        (dict(branches=[("a", PCA())], cv="five"), ValueError, "'cv' parameter"),
        (
            dict(branches=[("a", PCA())], stack_method="proba"),
            ValueError,
            "'stack_method' parameter",
        ),
        (dict(branches=[("a", PCA())], on_error="x"), ValueError, "'on_error' param"),
        (
            dict(branches=[("a", Ridge())], stack_method="predict_proba"),
            ValueError,
            "Branch 'a' does not implement stack_method='predict_proba'",
        ),
        (
            dict(branches=[("a", PCA())], final_estimator=PCA()),
            TypeError,
            "final_estimator must be a regressor or a classifier",
        ),
        (
            dict(
                branches=[("a", Ridge())],
                final_estimator=Ridge(),
                cv=[(np.arange(20), np.arange(20, 30))],
            ),
            ValueError,
            "cv must split the samples into test folds",
        ),
    ],
)
def test_bad_parameters_fail_at_fit(spectra, params, error, match):
    X, y = spectra
    union = ParallelBranches(**params)  # __init__ validates nothing
    with pytest.raises(error, match=match):
        union.fit(X, y)


def test_bad_data(spectra):
    X, y = spectra
    with pytest.raises(ValueError, match=r"requires y .* \(it has predictor br"):
        _stack().fit(X)
    stack = _stack().fit(X, y)
    with pytest.raises(ValueError, match="X has 5 features, but ParallelBranches"):
        stack.predict(X[:, :5])
    with pytest.raises(ValueError, match="Expected 2D array"):
        stack.predict(X[0])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        _stack().fit(np.where(X > 0.5, np.nan, X), y)


def test_a_branch_failing_on_one_fold_is_dropped_whole(spectra):
    X, y = spectra
    # fails on the training folds that lack the last rows, but not on all rows
    failing = FailingRegressor(fail_below_n=40)
    union = ParallelBranches(
        [("ridge", Ridge()), ("flaky", failing)], cv=4, on_error="warn"
    )
    with pytest.warns(FitFailedWarning, match="Branch 'flaky'"):
        out = union.fit_transform(X, y)
    assert out.shape == (40, 1) and np.isfinite(out).all()
    assert union.named_branches_["flaky"] == "drop"


def test_refit_in_another_role_forgets_the_classes(spectra):
    X, y = spectra
    labels = np.where(y > np.median(y), "high", "low")
    stack = ParallelBranches(
        [("lr", LogisticRegression())], final_estimator=LogisticRegression(), cv=3
    ).fit(X, labels)
    stack.set_params(lr=Ridge(), final_estimator=Ridge()).fit(X, y)
    assert not hasattr(stack, "classes_")
    assert_allclose(
        stack.predict(X[:3]),
        stack.final_estimator_.predict(
            stack.named_branches_["lr"].predict(X[:3]).reshape(-1, 1)
        ),
    )


def test_multi_output_probabilities(spectra):
    from sklearn.neighbors import KNeighborsClassifier

    X, y = spectra
    Y = np.c_[X[:, 0] > np.median(X[:, 0]), y > np.median(y)].astype(int)
    union = ParallelBranches([("knn", KNeighborsClassifier())], cv=3)
    out = union.fit_transform(X, Y)
    assert out.shape == (40, 2)
    assert len(union.get_feature_names_out()) == 2
    assert union.transform(X).shape == (40, 2)


def test_string_labels_give_numeric_predictions_in_the_transformer_role(spectra):
    X, y = spectra
    labels = np.where(y > np.median(y), "high", "low")
    union = ParallelBranches(
        [("lr", LogisticRegression()), ("pca", PCA(2))], stack_method="predict", cv=3
    )
    out = union.fit_transform(X, labels)
    assert out.dtype.kind == "f" and set(np.unique(out[:, 0])) <= {0.0, 1.0}
    assert union.transform(X).dtype.kind == "f"
    # PLS-DA: with labels that are not numbers, a regressor learns their codes
    cv = KFold(3)
    plsda = ParallelBranches(
        [("lr", LogisticRegression()), ("pls", PLSRegression(2))], cv=cv
    ).fit_transform(X, labels)
    codes = (labels == "low").astype(float)  # "high" < "low": codes 0 and 1
    assert_allclose(
        plsda[:, -1], cross_val_predict(PLSRegression(2), X, codes, cv=cv).ravel()
    )


def test_only_classifier_branches_learn_encoded_labels(spectra):
    # a numeric target with few values: regressors keep its scale
    X, y = spectra
    levels = np.array([10.0, 20.0, 50.0])[
        np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    ]
    branches = [("ridge", Ridge()), ("lr", LogisticRegression())]
    cv = KFold(3)
    out = ParallelBranches(branches, stack_method="predict", cv=cv).fit_transform(
        X, levels
    )
    assert_allclose(out[:, 0], cross_val_predict(Ridge(), X, levels, cv=cv))
    codes = np.searchsorted([10.0, 20.0, 50.0], levels)
    assert_allclose(out[:, 1], cross_val_predict(LogisticRegression(), X, codes, cv=cv))
    union = ParallelBranches(branches, stack_method="predict", cv=cv).fit(X, levels)
    stack = ParallelBranches(
        branches, final_estimator=LinearRegression(), stack_method="predict", cv=cv
    ).fit(X, levels)
    manual = LinearRegression().fit(out, levels)
    assert_allclose(stack.predict(X), manual.predict(union.transform(X)))


def test_a_class_missing_from_a_training_fold_keeps_its_column(spectra):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    X, _ = spectra
    cases = [
        (np.array(["neg"] * 20 + ["pos"] * 20), KFold(2)),  # folds of one class
        (np.array(["a"] * 16 + ["b"] * 16 + ["c"] * 8), KFold(5)),  # c once
    ]
    for labels, cv in cases:
        union = ParallelBranches([("knn", KNeighborsClassifier(3))], cv=cv)
        with pytest.warns(RuntimeWarning, match="'knn': a training fold of cv has"):
            out = union.fit_transform(X, labels)
        with pytest.warns(RuntimeWarning, match="Number of classes in training"):
            expected = cross_val_predict(
                KNeighborsClassifier(3), X, labels, cv=cv, method="predict_proba"
            )
        assert_allclose(out, expected[:, 1:] if expected.shape[1] == 2 else expected)
    for estimator in (LogisticRegression(), SVC(decision_function_shape="ovo")):
        union = ParallelBranches(
            [("m", estimator)], stack_method="decision_function", cv=KFold(5)
        )
        with pytest.raises(ValueError, match="'m': a training fold of cv has 2 of"):
            union.fit_transform(X, labels)
        four = np.repeat(["a", "b", "c", "d"], 10)  # each fold lacks one class
        with pytest.raises(ValueError, match="'m': a training fold of cv has 3 of"):
            union.set_params(cv=KFold(4)).fit_transform(X, four)  # ovo: 3 pairs
    # multi-output: each output aligned on its own
    Y = np.c_[labels, np.tile(["u", "v"], 20)]
    union = ParallelBranches([("knn", KNeighborsClassifier(3))], cv=KFold(5))
    with pytest.warns(RuntimeWarning, match="'knn': a training fold of cv has 2 of"):
        out = union.fit_transform(X, Y)
    assert out.shape == union.transform(X).shape == (40, 2 + 1)  # one dropped each
    with pytest.warns(RuntimeWarning, match="Number of classes in training"):
        first = cross_val_predict(
            KNeighborsClassifier(3), X, labels, cv=KFold(5), method="predict_proba"
        )
    assert_allclose(out[:, :2], first[:, 1:])


def test_classifier_branches_reject_a_continuous_target(spectra):
    from sklearn.tree import DecisionTreeClassifier

    X, y = spectra
    union = ParallelBranches(
        [("dt", DecisionTreeClassifier()), ("pca", PCA(2))], stack_method="predict"
    )
    with pytest.raises(ValueError, match=r"Branches \['dt'\] are classifiers: Unknown"):
        union.fit(X, y)


def test_multi_output_classification_as_stacking_classifier(spectra):
    from sklearn.ensemble import StackingClassifier
    from sklearn.neighbors import KNeighborsClassifier

    X, y = spectra
    Y = np.c_[X[:, 0] > np.median(X[:, 0]), y > np.median(y)].astype(int)
    params = dict(final_estimator=KNeighborsClassifier(3), cv=KFold(3))
    ours = ParallelBranches([("knn", KNeighborsClassifier(5))], **params).fit(X, Y)
    theirs = StackingClassifier([("knn", KNeighborsClassifier(5))], **params).fit(X, Y)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    assert [list(c) for c in ours.classes_] == [[0, 1], [0, 1]]
    # text labels, and outputs of 2 and 3 classes
    T = np.c_[np.where(Y[:, 0], "hi", "lo"), np.digitize(y, [0.4, 0.7]).astype(str)]
    stack = ParallelBranches(
        [("knn", KNeighborsClassifier(5))],
        final_estimator=KNeighborsClassifier(3),
        cv=KFold(3),
    )
    uniques = [np.unique(column) for column in T.T]
    codes = np.column_stack([np.searchsorted(u, c) for u, c in zip(uniques, T.T)])
    by_codes = clone(stack).fit(X, codes).predict(X)
    predicted = stack.fit(X, T).predict(X)
    for j, u in enumerate(uniques):
        assert_array_equal(predicted[:, j], u[by_codes[:, j]])
    assert [list(c) for c in stack.classes_] == [list(u) for u in uniques]
    union = ParallelBranches([("knn", KNeighborsClassifier(5))], cv=KFold(3))
    out = union.fit_transform(X, T)
    assert out.shape == (40, 1 + 2)  # one column dropped per output
    assert len(union.get_feature_names_out()) == 3


def test_feature_names_follow_the_width_of_the_decision_function(spectra):
    from sklearn.svm import SVC

    X, y = spectra
    four = np.digitize(y, np.quantile(y, [0.25, 0.5, 0.75]))
    union = ParallelBranches(
        [("svc", SVC(decision_function_shape="ovo"))],
        stack_method="decision_function",
        cv=3,
    ).set_output(transform="pandas")
    out = union.fit_transform(X, four)
    assert out.shape == (40, 6)
    assert list(out.columns) == [f"svc__decision_function{i}" for i in range(6)]


def test_nan_in_X_is_left_to_the_branches(spectra):
    from sklearn.ensemble import HistGradientBoostingRegressor

    X, y = spectra
    X = X.copy()
    X[::7, 3] = np.nan
    hgb = HistGradientBoostingRegressor(max_iter=5)
    stack = ParallelBranches([("hgb", hgb)], final_estimator=Ridge(), cv=3)
    assert np.isfinite(stack.fit(X, y).predict(X)).all()
    with pytest.raises(ValueError, match="Input X contains NaN"):
        stack.set_params(passthrough=True).fit(X, y)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        stack.set_params(passthrough=False).fit(X, y)


def test_feature_names_with_passthrough_must_be_unique(spectra):
    pd = pytest.importorskip("pandas")
    X, y = spectra
    frame = pd.DataFrame(X, columns=[f"w{i}" for i in range(X.shape[1])])
    union = ParallelBranches(
        [("sc", StandardScaler())], passthrough=True, verbose_feature_names_out=False
    ).fit(frame)
    with pytest.raises(ValueError, match=r"\['w0', 'w1'.* are not unique; set verbose"):
        union.get_feature_names_out()


def test_missing_feature_names_name_the_branch(spectra):
    from sklearn.preprocessing import FunctionTransformer

    X, _ = spectra
    union = ParallelBranches([("ft", FunctionTransformer())]).fit(X)
    with pytest.raises(AttributeError, match=r"Branch 'ft' \(FunctionTransformer\)"):
        union.get_feature_names_out()


def test_score_counts_unseen_labels_as_errors(spectra):
    from sklearn.ensemble import StackingClassifier

    X, y = spectra
    labels = np.where(y > np.median(y), "high", "low")
    params = dict(final_estimator=LogisticRegression(), cv=3)
    ours = ParallelBranches([("lr", LogisticRegression())], **params).fit(X, labels)
    theirs = StackingClassifier([("lr", LogisticRegression())], **params)
    theirs.fit(X, labels)
    test = labels.copy()
    test[:4] = "other"
    assert ours.score(X, test) == theirs.score(X, test) < 1


def test_a_target_that_is_not_numeric_needs_a_classifier(spectra):
    X, y = spectra
    labels = np.where(y > np.median(y), "high", "low")
    with pytest.raises(ValueError, match="such as 'high': ParallelBranches without"):
        ParallelBranches([("pls", PLSRegression(2))], cv=3).fit(X, labels)
    stored = np.round(100 + 144 * y, 1).astype(str).astype(object)  # from a file
    stored[5] = "n/a"
    stack = ParallelBranches([("r", Ridge())], final_estimator=Ridge(), cv=3)
    with pytest.raises(ValueError, match="such as 'n/a'"):
        stack.fit(X, stored)
    stored[5] = "120.5"  # numbers written as text are numbers
    theirs = StackingRegressor([("r", Ridge())], final_estimator=Ridge(), cv=3)
    assert_allclose(
        stack.fit(X, stored).predict(X),
        theirs.fit(X, stored.astype(float)).predict(X),
    )


def _plsda_accuracy(X, labels):
    from sklearn.model_selection import StratifiedKFold

    stack = ParallelBranches(
        [("pls", make_pipeline(StandardNormalVariate(), PLSRegression(2)))],
        final_estimator=LogisticRegression(max_iter=1000),
        cv=StratifiedKFold(5, shuffle=True, random_state=0),
    )
    return cross_val_score(stack, X, labels, cv=KFold(5, shuffle=True, random_state=1))


def test_regressor_branches_learn_the_dummy_matrix_of_class_labels():
    from skl_nirs.datasets import make_nirs_classification

    X, y, _ = make_nirs_classification(
        n_samples=300, n_classes=4, class_sep=0.5, random_state=0
    )
    names = np.array(["a", "b", "c", "d"])
    reference = _plsda_accuracy(X, names[y])
    for order in ([3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]):  # renamed classes
        assert_allclose(_plsda_accuracy(X, names[order][y]), reference)
    # out of fold, the branch is a PLS on one 0/1 column per class
    cv = KFold(3)
    union = ParallelBranches(
        [("pls", PLSRegression(2)), ("lr", LogisticRegression(max_iter=1000))], cv=cv
    )
    out = union.fit_transform(X, names[y])
    dummies = np.eye(4)[y]
    assert_allclose(out[:, :4], cross_val_predict(PLSRegression(2), X, dummies, cv=cv))
    assert list(union.get_feature_names_out()[:4]) == [
        f"pls__predict_{c}" for c in names
    ]
    with pytest.raises(ValueError, match=r"Branches \['svr'\] are regressors of one"):
        ParallelBranches(
            [("svr", SVR())], final_estimator=LogisticRegression(), cv=3
        ).fit(X, y)


def test_branches_share_the_cpu_budget_when_transforming(spectra, force_workers):
    X, _ = spectra
    union = ParallelBranches(
        [("a", NJobsTransformer(n_jobs=-1)), ("b", NJobsTransformer(n_jobs=-1))],
        n_jobs=2,
    ).fit(X)
    share = union.parallel_plan_["inner_n_jobs"]
    assert not union.parallel_plan_["sequential"]
    assert_array_equal(union.transform(X), np.full((40, 2), float(share)))
    assert union.named_branches_["a"].n_jobs == -1  # capped only meanwhile
    with parallel_backend("threading"):  # branches shared with the caller: untouched
        assert_array_equal(union.transform(X), -1.0)
    assert_array_equal(union.set_params(n_jobs=1).transform(X), -1.0)  # the caller's


def test_sample_weight_as_stacking_regressor(spectra):
    X, y = spectra
    weights = np.random.RandomState(0).uniform(0.1, 2.0, len(y))
    branches = [("ridge", Ridge(alpha=0.1)), ("ridge10", Ridge(alpha=10.0))]
    ours = ParallelBranches(branches, final_estimator=Ridge(), cv=KFold(3))
    theirs = StackingRegressor(branches, final_estimator=Ridge(), cv=KFold(3))
    ours.fit(X, y, sample_weight=weights)
    theirs.fit(X, y, sample_weight=weights)
    assert_allclose(ours.predict(X), theirs.predict(X))
    unweighted = clone(ours).fit(X, y)
    assert not np.allclose(ours.predict(X), unweighted.predict(X))
    with pytest.raises(TypeError, match="Branch 'ridge10' failed: .*'sample_weight'"):
        ours.set_params(ridge10=PCA(2)).fit(X, y, sample_weight=weights)


def test_groups_reach_the_splitter(spectra):
    from sklearn.model_selection import GroupKFold

    X, y = spectra
    groups = np.repeat(np.arange(10), 4)  # 4 replicate spectra per sample
    union = ParallelBranches([("ridge", Ridge())], cv=GroupKFold(5))
    out = union.fit_transform(X, y, groups=groups)
    expected = cross_val_predict(Ridge(), X, y, groups=groups, cv=GroupKFold(5))
    assert_allclose(out.ravel(), expected)
    with pytest.raises(ValueError, match="'groups' parameter should not be None"):
        union.fit_transform(X, y)
    with pytest.raises(TypeError, match=r"unexpected parameters \['foo'\]: without"):
        union.fit(X, y, foo=1)


def test_metadata_routing(spectra):
    from sklearn.model_selection import GroupKFold

    X, y = spectra
    weights = np.random.RandomState(0).uniform(0.1, 2.0, len(y))
    groups = np.repeat(np.arange(10), 4)
    cv = GroupKFold(5)
    # by hand: weighted out-of-fold ridge and unweighted PCA, weighted final fit
    oof = cross_val_predict(
        Ridge(alpha=0.1), X, y, groups=groups, cv=cv, params={"sample_weight": weights}
    )
    final = Ridge().fit(np.c_[oof, PCA(2).fit_transform(X)], y, sample_weight=weights)
    ridge = Ridge(alpha=0.1).fit(X, y, sample_weight=weights)
    expected = final.predict(np.c_[ridge.predict(X), PCA(2).fit(X).transform(X)])
    with config_context(enable_metadata_routing=True):
        stack = ParallelBranches(
            [
                ("ridge", Ridge(alpha=0.1).set_fit_request(sample_weight=True)),
                ("pca", PCA(2)),
            ],
            final_estimator=Ridge().set_fit_request(sample_weight=True),
            cv=cv,
        )
        stack.fit(X, y, sample_weight=weights, groups=groups)
        assert_allclose(stack.predict(X), expected)
        # the branch's ridge unweighted: another model
        stack.set_params(ridge=Ridge(alpha=0.1).set_fit_request(sample_weight=False))
        stack.fit(X, y, sample_weight=weights, groups=groups)
        assert not np.allclose(stack.predict(X), expected)
        with pytest.raises(ValueError, match="sample_weight.*explicitly"):
            stack.set_params(ridge=Ridge()).fit(X, y, sample_weight=weights)
        # a search passes the groups of its training rows down to the branches' cv
        union = ParallelBranches([("ridge", Ridge())], cv=GroupKFold(3))
        search = GridSearchCV(
            make_pipeline(union, Ridge()),
            {"parallelbranches__ridge__alpha": [0.1, 1.0]},
            cv=GroupKFold(3),
            error_score="raise",
        )
        assert search.fit(X, y, groups=groups).best_score_ > 0.5


def test_numbers_held_as_objects_are_a_regression_target(spectra):
    pd = pytest.importorskip("pandas")
    X, y = spectra
    stack = _stack()
    expected = stack.fit(X, y).predict(X)
    assert_allclose(stack.fit(X, pd.Series(y.astype(object))).predict(X), expected)


def test_routing_takes_a_generator_of_splits(spectra):
    X, y = spectra
    weights = np.random.RandomState(0).uniform(0.1, 2.0, len(y))
    expected = ParallelBranches([("r", Ridge())], cv=KFold(3)).fit_transform(
        X, y, sample_weight=weights
    )
    with config_context(enable_metadata_routing=True):
        ridge = Ridge().set_fit_request(sample_weight=True)
        union = ParallelBranches([("r", ridge)], cv=KFold(3).split(X))
        out = union.fit_transform(X, y, sample_weight=weights)
    assert_allclose(out, expected)


def test_branch_names_reserved_by_metadata_routing(spectra):
    X, y = spectra
    with pytest.raises(ValueError, match=r"\['self'\] are reserved by scikit-learn"):
        ParallelBranches([("self", PCA(2))]).fit(X)


def test_sample_weight_none_is_no_weight(spectra):
    X, y = spectra
    union = ParallelBranches([("pca", PCA(2))])
    assert_allclose(union.fit_transform(X, sample_weight=None), PCA(2).fit_transform(X))


def test_wavelengths_named_by_numbers_are_checked_at_predict(spectra):
    pd = pytest.importorskip("pandas")
    X, y = spectra
    frame = pd.DataFrame(X, columns=np.linspace(1000.0, 1118.0, 60))
    stack = ParallelBranches(
        [("pls", PLSRegression(n_components=3))], final_estimator=Ridge(), cv=3
    ).fit(frame, y)
    assert_array_equal(stack.wavelengths_, frame.columns.to_numpy())
    assert_allclose(stack.predict(frame), stack.predict(X))  # arrays: by position
    with pytest.raises(ValueError, match="in another order"):
        stack.predict(frame[frame.columns[::-1]])
    shifted = frame.set_axis(frame.columns + 2.0, axis=1)
    with pytest.raises(ValueError, match="wavelengths"):
        stack.predict(shifted)
