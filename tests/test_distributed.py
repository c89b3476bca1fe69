"""skl_nirs on a real Dask cluster, through joblib's Dask backend."""

import os

import numpy as np
import pytest
from _probes import (
    DyingOnceTransformer,
    RecordingRegressor,
    RecordingTransformer,
    read_log,
)
from joblib import parallel_config
from numpy.testing import assert_allclose
from sklearn import config_context
from sklearn.cross_decomposition import PLSRegression
from sklearn.linear_model import Ridge

from skl_nirs.compose import ParallelBranches
from skl_nirs.model_selection import OptunaSearchCV

distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _worker_pids(client):
    return set(client.run(os.getpid).values())


def _data():
    rng = np.random.RandomState(0)
    X = rng.rand(150, 1000)  # 1.2 MB
    return X, X[:, :5] @ rng.rand(5) + 0.01 * rng.rand(150)


def test_branches_run_on_the_dask_workers(dask_client):
    X, y = _data()
    branches = [(f"probe{i}", RecordingTransformer()) for i in range(4)]
    branches += [("pls", PLSRegression(n_components=3)), ("ridge", Ridge())]
    make = lambda: ParallelBranches(  # noqa: E731
        branches, final_estimator=Ridge(), cv=3, n_jobs=-1
    )
    local = make().fit(X, y)
    with parallel_config("dask"), config_context(assume_finite=True):
        stack = make().fit(X, y)
    probes = [est for name, est in stack.branches_ if name.startswith("probe")]
    assert {est.pid_ for est in probes} <= _worker_pids(dask_client)
    assert all(est.assume_finite_ for est in probes)
    # equal up to the rounding of BLAS, which runs on one thread per worker here
    assert_allclose(stack.predict(X), local.predict(X), rtol=1e-12)
    plan = stack.parallel_plan_
    assert plan["backend"] == "daskdistributed"
    assert plan["budget"] == 2 and plan["n_workers"] == 2  # the cluster's cores
    # X was scattered once: the tasks of one worker share one copy of it
    for pid in {est.pid_ for est in probes}:
        assert len({est.X_id_ for est in probes if est.pid_ == pid}) == 1


def test_search_trials_run_on_the_dask_workers(dask_client, tmp_path):
    X, y = _data()
    log = str(tmp_path / "fits.log")
    make = lambda: OptunaSearchCV(  # noqa: E731
        RecordingRegressor(log=log),
        {"sleep": [0.0, 0.001, 0.002]},
        n_trials=4,
        cv=3,
        n_jobs=-1,
        random_state=0,
    )
    local = make().fit(X, y)
    os.remove(log)
    with parallel_config("dask"), config_context(assume_finite=True):
        search = make().fit(X, y)
    rows = read_log(log)[:-1]  # the last fit is the refit, in this process
    assert {r["pid"] for r in rows} <= _worker_pids(dask_client)
    assert all(r["assume_finite"] for r in rows)
    assert search.parallel_plan_["budget"] == 2
    assert search.best_params_ == local.best_params_
    assert_allclose(
        search.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-12,
    )


@pytest.mark.timeout(180)
def test_a_dying_worker_does_not_hang_the_fit(dask_client, tmp_path):
    X, y = _data()
    marker = str(tmp_path / "died")
    union = ParallelBranches(
        [
            ("dies_once", DyingOnceTransformer(marker)),
            ("probe", RecordingTransformer()),
        ],
        n_jobs=-1,
    )
    with parallel_config("dask"):
        try:
            union.fit(X, y)  # the task may be retried on a restarted worker...
        except RuntimeError as exc:  # ...or its data may have died with the worker
            assert "worker process died while running ['dies_once'" in str(exc)
        assert os.path.exists(marker)
        union.fit(X, y)  # the next fit works
    assert union.transform(X).shape == (150, 2)


def test_in_process_dask_workers_limit_blas_too():
    X, _ = _data()
    cluster = distributed.LocalCluster(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    with distributed.Client(cluster), parallel_config("dask"):
        union = ParallelBranches(
            [(f"probe{i}", RecordingTransformer(sleep=0.05)) for i in range(4)],
            n_jobs=-1,
        ).fit(X)
    cluster.close()
    assert union.parallel_plan_["blas_threads"] == 1
    assert all(est.pid_ == os.getpid() for _, est in union.branches_)
    assert all(est.blas_threads_ in (None, 1) for _, est in union.branches_)
