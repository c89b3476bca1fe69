"""PLS-DA: partial least squares regression on the dummy matrix of the classes."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.cross_decomposition import PLSRegression
from sklearn.preprocessing import label_binarize
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skl_nirs.utils._compat import _fit_context
from skl_nirs.utils._versioning import VersionedPickleMixin
from skl_nirs.utils._wavelengths import (
    check_wavelengths,
    column_wavelengths,
    record_wavelengths,
)


class PLSDiscriminantAnalysis(VersionedPickleMixin, ClassifierMixin, BaseEstimator):
    """Partial least squares discriminant analysis (PLS-DA).

    A :class:`~sklearn.cross_decomposition.PLSRegression` fitted on the dummy
    (one-hot) matrix of the classes: one 0/1 column per class, or with two
    classes a single column, the indicator of ``classes_[1]``. A spectrum
    belongs to the class of the largest PLS output (with two classes: to
    ``classes_[1]`` when the output exceeds 0.5).

    The classes are columns, never numbers: their names and order change
    nothing but the order of ``classes_`` and of the columns of
    :meth:`decision_function`. Text labels are accepted.

    Parameters
    ----------
    n_components : int, default=2
        Number of PLS components (latent variables) to keep, in
        ``[1, n_features]``.

    scale : bool, default=True
        Whether to scale the spectra and the dummy columns to unit variance,
        as :class:`~sklearn.cross_decomposition.PLSRegression` does.

    max_iter : int, default=500
        Maximum number of iterations of the power method of NIPALS, for each
        component, with more than one dummy column.

    tol : float, default=1e-06
        Convergence tolerance of the power method.

    copy : bool, default=True
        Whether to copy the spectra before centring and scaling them.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.

    regressor_ : :class:`~sklearn.cross_decomposition.PLSRegression`
        The PLS regression fitted on the dummy matrix (scores, loadings,
        weights).

    coef_ : ndarray of shape (n_outputs, n_features)
        Coefficients of the linear model of :meth:`decision_function`,
        ``X @ coef_.T + intercept_`` (raveled with two classes); ``n_outputs``
        is 1 with two classes, else ``n_classes``.

    intercept_ : ndarray of shape (n_outputs,)
        Intercepts of that model, for uncentred spectra (unlike the
        ``intercept_`` of :class:`~sklearn.cross_decomposition.PLSRegression`,
        which applies to centred ones); with two classes, minus 0.5.

    n_iter_ : list of shape (n_components,)
        Number of iterations of the power method, for each component.

    n_features_in_ : int
        Number of wavelengths seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the wavelengths seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    wavelengths_ : ndarray of shape (`n_features_in_`,), dtype=float64
        The column names of `X` read as numbers, when they all are (``1000.0``
        or ``"1000.0"``). A DataFrame given to :meth:`predict` or
        :meth:`decision_function` must have the same wavelengths, in the same
        order.

    See Also
    --------
    sklearn.cross_decomposition.PLSRegression : The regression it fits.
    sklearn.discriminant_analysis.LinearDiscriminantAnalysis : Linear
        discriminant analysis, e.g. on PLS or PCA scores.
    sklearn.calibration.CalibratedClassifierCV : Probabilities calibrated
        from :meth:`decision_function`.

    Notes
    -----
    **Two classes, one column.** With two classes the two dummy columns are
    ``y`` and ``1 - y``: once centred they are opposite, the PLS components
    are those of the single column and the two outputs add up to 1. One
    column therefore gives the same components and the same predictions as
    two (Ståhle and Wold [2]_, Barker and Rayens [1]_), and the threshold 0.5
    on it is the largest of the two outputs.

    **decision_function** gives the PLS outputs, the estimated dummy
    values: shape ``(n_samples, n_classes)`` with three classes or more;
    with two, the output of ``classes_[1]`` minus 0.5, of shape
    ``(n_samples,)``, positive for ``classes_[1]`` as scikit-learn expects of
    a binary classifier. Outputs fall outside ``[0, 1]`` and need not add up
    to 1 (Brereton and Lloyd [3]_).

    **Class names and order.** With three classes or more the components come
    from NIPALS' power method, iterated until the squared change of the
    weights is below `tol` (as in
    :class:`~sklearn.cross_decomposition.PLSRegression`); it starts from the
    first dummy column. Renaming the classes reorders the columns and moves
    the outputs within that convergence error (about 1e-4 at the default
    ``tol=1e-6`` on 4 overlapping classes, 1e-11 at ``tol=1e-20``), which
    changes a prediction only at a near-tie. Lower `tol` (and raise
    `max_iter`) for outputs exact to rounding. With two classes the single
    column makes NIPALS exact in one iteration.

    `n_components` larger than the number of wavelengths is a ``ValueError``
    in :term:`fit`.

    References
    ----------
    .. [1] M. Barker and W. Rayens, "Partial least squares for
       discrimination", Journal of Chemometrics 17(3), 166-173, 2003.
    .. [2] L. Ståhle and S. Wold, "Partial least squares analysis with
       cross-validation for the two-class problem: a Monte Carlo study",
       Journal of Chemometrics 1(3), 185-196, 1987.
    .. [3] R. G. Brereton and G. R. Lloyd, "Partial least squares discriminant
       analysis: taking the magic away", Journal of Chemometrics 28(4),
       213-225, 2014.
    .. [4] N. F. Pérez, J. Ferré and R. Boqué, "Calculation of the reliability
       of classification in discriminant partial least-squares binary
       classification", Chemometrics and Intelligent Laboratory Systems
       95(2), 122-128, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from skl_nirs.cross_decomposition import PLSDiscriminantAnalysis
    >>> from skl_nirs.datasets import make_nirs_classification
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> X, y, _ = make_nirs_classification(
    ...     n_samples=120, n_classes=3, class_sep=2.0, random_state=0
    ... )
    >>> labels = np.array(["durum", "soft", "spelt"])[y]
    >>> model = make_pipeline(
    ...     StandardNormalVariate(), PLSDiscriminantAnalysis(n_components=5)
    ... )
    >>> print(round(cross_val_score(model, X, labels, cv=5).mean(), 2))
    0.92
    >>> model.fit(X, labels).predict(X[4:8])
    array(['durum', 'durum', 'soft', 'durum'], dtype='<U5')
    >>> labels[4:8]
    array(['durum', 'durum', 'soft', 'spelt'], dtype='<U5')
    >>> model[-1].classes_
    array(['durum', 'soft', 'spelt'], dtype='<U5')
    >>> model.decision_function(X[:2]).round(2)
    array([[-0.09,  0.01,  1.08],
           [ 0.18, -0.04,  0.85]])
    """

    _parameter_constraints: dict = dict(PLSRegression._parameter_constraints)

    def __init__(
        self, n_components=2, *, scale=True, max_iter=500, tol=1e-06, copy=True
    ):
        self.n_components = n_components
        self.scale = scale
        self.max_iter = max_iter
        self.tol = tol
        self.copy = copy

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the PLS regression on the dummy matrix of the classes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.

        y : array-like of shape (n_samples,)
            Class labels (numbers or text), at least two classes.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        wavelengths = column_wavelengths(X)
        X, y = validate_data(self, X, y)
        record_wavelengths(self, wavelengths)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            raise ValueError(
                "PLSDiscriminantAnalysis needs samples of at least 2 classes; "
                f"got 1 class: {self.classes_.tolist()[0]!r}."
            )
        if self.n_components > X.shape[1]:
            raise ValueError(
                f"n_components={self.n_components} must be at most the number "
                f"of features of X (n_features={X.shape[1]}): PLS extracts at "
                "most one component per feature."
            )
        # One 0/1 column per class; with two classes, that of classes_[1].
        dummy = label_binarize(y, classes=self.classes_).astype(np.float64)
        # The parameters are those of PLSRegression.
        self.regressor_ = PLSRegression(**self.get_params()).fit(X, dummy)
        self.coef_ = self.regressor_.coef_
        at_zero = self.regressor_.predict(np.zeros((1, X.shape[1]), dtype=X.dtype))
        self.intercept_ = at_zero.reshape(-1) - (0.5 if self.classes_.size == 2 else 0)
        self.n_iter_ = self.regressor_.n_iter_
        return self

    def decision_function(self, X):
        """PLS outputs: estimated dummy values of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With two classes, the output of ``classes_[1]`` minus 0.5
            (positive for ``classes_[1]``); else the output of each class, in
            the order of ``classes_``.
        """
        check_is_fitted(self)
        check_wavelengths(self, X)
        X = validate_data(self, X, reset=False)
        outputs = self.regressor_.predict(X).reshape(X.shape[0], -1)
        if self.classes_.size == 2:
            return outputs[:, 0] - 0.5
        return outputs

    def predict(self, X):
        """Class of the largest PLS output.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Spectra, one per row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        scores = self.decision_function(X)
        indices = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(1)
        return self.classes_[indices]
