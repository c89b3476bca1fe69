"""ApplicabilityDomain against the closed-form T² and Q limits."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold

from skl_nirs.datasets import make_nirs_regression
from skl_nirs.outliers import ApplicabilityDomain


@pytest.fixture
def calibration():
    X, _, _ = make_nirs_regression(n_samples=1000, random_state=0)
    return X[:500], X[500:]


def test_statistics_and_limits_match_the_formulas(calibration):
    X, _ = calibration
    domain = ApplicabilityDomain(n_components=4, confidence=0.95).fit(X)
    pca = PCA(4).fit(X)
    scores = pca.transform(X)
    t2 = (scores**2 / pca.explained_variance_).sum(axis=1)
    q = ((X - pca.inverse_transform(scores)) ** 2).sum(axis=1)
    n, k = X.shape[0], 4
    assert_allclose(
        domain.t2_limit_, k * (n - 1) / (n - k) * stats.f.ppf(0.95, k, n - k)
    )
    # Box's g chi2(h), matched to the Q of spectra left out of the model
    q_out = []
    for fit, out in KFold(5, shuffle=True, random_state=0).split(X):
        part = PCA(4).fit(X[fit])
        residuals = X[out] - part.inverse_transform(part.transform(X[out]))
        q_out.append((residuals**2).sum(axis=1))
    mean, var = np.mean(np.concatenate(q_out)), np.var(np.concatenate(q_out), ddof=1)
    g, h = var / (2 * mean), 2 * mean**2 / var
    assert_allclose(domain.q_limit_, g * stats.chi2.ppf(0.95, h))
    expected = -np.maximum(t2 / domain.t2_limit_, q / domain.q_limit_)
    assert_allclose(domain.score_samples(X), expected, rtol=1e-6)


def test_new_spectra_like_the_calibration_are_mostly_inside(calibration):
    X, X_new = calibration
    domain = ApplicabilityDomain().fit(X)
    # two limits at 99 %: 2-3 % of spectra like these are flagged (the docstring)
    assert (domain.predict(X_new) == -1).mean() < 0.04


def test_flat_spectra_and_foreign_bands_are_flagged(calibration):
    X, _ = calibration
    domain = ApplicabilityDomain().fit(X)
    p = X.shape[1]
    band = np.exp(-(((np.arange(p) - p / 2) / 5) ** 2))
    odd = np.vstack([np.ones(p), np.full(p, 0.3), X[0] + 0.2 * band, 3 * X[0] + 5])
    assert list(domain.predict(odd)) == [-1, -1, -1, -1]
    assert domain.score_samples(odd)[:2].tolist() == [-np.inf, -np.inf]
    assert list(domain.predict(X[:5])) == [1] * 5


def test_too_many_components_is_an_error(calibration):
    X, _ = calibration
    with pytest.raises(ValueError, match="n_components=20 must be at most"):
        ApplicabilityDomain(n_components=20).fit(X[:10])
    # a fraction of the variance is capped instead
    domain = ApplicabilityDomain(n_components=0.999999).fit(X[:10])
    assert domain.pca_.n_components_ <= 8
