import numpy as np
import pytest
from joblib import parallel_config


@pytest.fixture(autouse=True)
def _forget_measured_costs(monkeypatch):
    """Each test starts with no cost measured by the others (``work_key``)."""
    from skl_nirs.utils import _parallel

    monkeypatch.setattr(_parallel, "_known_rates", {})


@pytest.fixture
def pool_start_pinned(monkeypatch):
    """Pin what a pool costs to start (measured by the process, with the load)."""
    from skl_nirs.utils import _parallel

    monkeypatch.setitem(_parallel._pool_start, "seconds", 0.5)


@pytest.fixture
def force_workers():
    """Send tiny test work to workers, as ``parallel_config(backend=...)`` does."""
    with parallel_config(backend="loky"):
        yield


@pytest.fixture
def spectra():
    """Small seeded smooth spectra ``(X, y)``: 40 samples x 60 wavelengths."""
    rng = np.random.RandomState(0)
    grid = np.linspace(0, 1, 60)
    conc = rng.uniform(0.1, 1.0, size=(40, 3))
    bands = np.exp(-(((grid - np.array([[0.2], [0.5], [0.8]])) / 0.07) ** 2))
    scatter = rng.uniform(0.8, 1.2, size=(40, 1))
    X = scatter * (conc @ bands + 0.1) + 0.002 * rng.standard_normal((40, 60))
    return X, conc[:, 0]
