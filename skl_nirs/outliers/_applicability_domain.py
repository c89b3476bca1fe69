"""The applicability domain of a calibration: T², Q residuals, flat spectra."""

from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from skl_nirs.preprocessing._utils import _is_zero_scale
from skl_nirs.utils._compat import Interval, _fit_context
from skl_nirs.utils._versioning import VersionedPickleMixin


class ApplicabilityDomain(VersionedPickleMixin, OutlierMixin, BaseEstimator):
    """Flag the spectra that lie outside the calibration.

    A model is trusted only on spectra like those it was calibrated on. The
    calibration spectra are summarised by a principal component model, and a
    new spectrum is flagged (``predict`` gives -1) when

    * its **Hotelling T²** -- its distance from the centre within the principal
      component subspace, scaled by the variance of each component -- exceeds
      the calibration's limit at ``confidence``;
    * its **Q residual** (squared prediction error) -- what the principal
      components do not explain -- exceeds the calibration's limit at
      ``confidence``;
    * or it is **flat** (a dead detector, a constant row): it has no spectrum.

    Fit it on the spectra the model sees (after its preprocessing, e.g.
    ``model[:-1].transform(X)`` for a Pipeline), so that the latent space is the
    model's.

    Parameters
    ----------
    n_components : int or float, default=0.99
        Principal components kept: a number, or the fraction of the variance
        they explain (as :class:`~sklearn.decomposition.PCA`). At most
        ``n_samples - 2``, for the T² limit.
    confidence : float, default=0.99
        Confidence level of the limits: each is set so that about
        ``1 - confidence`` of new spectra like the calibration ones exceed it
        (somewhat more in practice, as the limits are estimated from the
        calibration spectra: 2-3 % flagged at 0.99 on synthetic spectra).

    Attributes
    ----------
    pca_ : :class:`~sklearn.decomposition.PCA`
        The principal component model of the calibration spectra.
    t2_limit_ : float
        Limit of the Hotelling T²: ``k (n - 1) / (n - k) F(confidence; k, n - k)``
        for ``k`` components and ``n`` calibration spectra.
    q_limit_ : float
        Limit of the Q residual: Box's approximation ``g chi2(confidence; h)``,
        with ``g`` and ``h`` matched to the mean and variance of the Q of the
        calibration spectra, each left out (5-fold) of the principal component
        model of the others [4]_ -- the residuals of new spectra, larger than
        those the model was fitted to.
    offset_ : float
        ``-1``: ``decision_function = score_samples - offset_``.
    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`, when strings.

    See Also
    --------
    sklearn.covariance.EllipticEnvelope : Outliers of a Gaussian distribution.

    Notes
    -----
    ``score_samples`` is minus the larger of ``T² / t2_limit_`` and
    ``Q / q_limit_`` (``-inf`` for a flat spectrum), so a spectrum is flagged
    when ``decision_function = 1 + score_samples`` is negative.

    References
    ----------
    .. [1] J. E. Jackson, "A User's Guide to Principal Components", Wiley, 1991
       (chapter 1: T² and Q).
    .. [2] G. E. P. Box, "Some theorems on quadratic forms applied in the study
       of analysis of variance problems", Annals of Mathematical Statistics
       25(2), 290-302, 1954.
    .. [3] ASTM E1655, "Standard Practices for Infrared Multivariate
       Quantitative Analysis" (outlier detection at prediction time).
    .. [4] P. Nomikos and J. F. MacGregor, "Multivariate SPC charts for
       monitoring batch processes", Technometrics 37(1), 41-59, 1995 (Q limits
       from the mean and variance of reference residuals).

    Examples
    --------
    >>> import numpy as np
    >>> from skl_nirs.datasets import make_nirs_regression
    >>> from skl_nirs.outliers import ApplicabilityDomain
    >>> X, y, _ = make_nirs_regression(n_samples=200, random_state=0)
    >>> domain = ApplicabilityDomain().fit(X)
    >>> band = np.exp(-(((np.arange(X.shape[1]) - X.shape[1] / 2) / 5) ** 2))
    >>> dead = np.ones(X.shape[1])
    >>> domain.predict(np.vstack([X[:3], dead, X[0] + 0.2 * band]))
    array([ 1,  1,  1, -1, -1])
    """

    _parameter_constraints: dict = {
        "n_components": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, n_components=0.99, *, confidence=0.99):
        self.n_components = n_components
        self.confidence = confidence

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the principal components of the calibration spectra and the limits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Calibration spectra (as the model sees them).
        y : None
            Ignored.

        Returns
        -------
        self : ApplicabilityDomain
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=FLOAT_DTYPES, ensure_min_samples=3)
        n_samples, n_features = X.shape
        most = min(n_samples - 2, n_features)
        if isinstance(self.n_components, Integral) and self.n_components > most:
            raise ValueError(
                f"n_components={self.n_components} must be at most n_samples - 2 "
                f"= {n_samples - 2} and n_features = {n_features}."
            )
        self.pca_ = PCA(n_components=self.n_components, svd_solver="full").fit(X)
        if self.pca_.n_components_ > most:  # a fraction of the variance
            self.pca_ = PCA(n_components=most, svd_solver="full").fit(X)
        n, k = n_samples, self.pca_.n_components_
        self.t2_limit_ = k * (n - 1) / (n - k) * stats.f.ppf(self.confidence, k, n - k)
        # Q of each spectrum left out of a principal component model of the
        # others: the residuals of new spectra, which the calibration's own
        # (fitted) residuals understate
        folds = KFold(min(5, n), shuffle=True, random_state=0).split(X)
        q = np.concatenate(
            [_q(PCA(k, svd_solver="full").fit(X[fit]), X[out]) for fit, out in folds]
        )
        mean, var = q.mean(), q.var(ddof=1)
        if var > 0:  # Box: Q is about g chi2(h), matched to the mean and variance
            g, h = var / (2 * mean), 2 * mean**2 / var
            self.q_limit_ = g * stats.chi2.ppf(self.confidence, h)
        else:  # the components explain everything: any residual is new
            self.q_limit_ = np.finfo(X.dtype).eps * max(np.abs(X).max(), 1.0) ** 2
        self.offset_ = -1.0
        return self

    def score_samples(self, X):
        """Minus the larger ratio of T² and Q to their limits (``-inf``: flat).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The lower, the further outside the calibration.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=FLOAT_DTYPES, reset=False)
        t2 = np.sum(self.pca_.transform(X) ** 2 / self.pca_.explained_variance_, axis=1)
        ratio = np.maximum(t2 / self.t2_limit_, _q(self.pca_, X) / self.q_limit_)
        flat = _is_zero_scale(X.std(axis=1), X.mean(axis=1), X.shape[1])
        return np.where(flat, -np.inf, -ratio)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative outside the calibration.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Negative for the spectra outside the calibration.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """1 for the spectra inside the calibration's domain, -1 outside.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra.

        Returns
        -------
        flags : ndarray of shape (n_samples,)
            1 inside, -1 outside.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)


def _q(pca, X):
    """The Q residual of each row of ``X``: its squared distance to the model."""
    residuals = X - pca.inverse_transform(pca.transform(X))
    return np.einsum("ij,ij->i", residuals, residuals)
