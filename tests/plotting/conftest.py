import pytest

from skl_nirs.datasets import make_nirs_regression

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="package")
def data():
    return make_nirs_regression(n_samples=15, n_wavelengths=40, random_state=0)
