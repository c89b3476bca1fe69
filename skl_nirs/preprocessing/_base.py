"""The skeleton shared by the transformers that map spectra to spectra."""

from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from skl_nirs.utils._compat import _fit_context
from skl_nirs.utils._versioning import VersionedPickleMixin


class _SpectraTransformer(
    VersionedPickleMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Base of the transformers whose output has the wavelengths of their input.

    ``fit`` and ``transform`` validate the spectra (float64 or float32, kept);
    subclasses implement ``_transform(X)`` and, when they learn from the spectra
    or check their parameters against them, ``_fit(X)``.
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters against the spectra and learn what is needed.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, one per row.

        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        self._fit(validate_data(self, X, dtype=FLOAT_DTYPES))
        return self

    def _fit(self, X):
        """Check the parameters against, or learn from, validated spectra."""

    def transform(self, X):
        """Transform each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_wavelengths)
            Spectra, one per row.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_wavelengths)
            Transformed spectra, of the dtype of ``X`` (float64 or float32).
        """
        check_is_fitted(self)
        return self._transform(validate_data(self, X, dtype=FLOAT_DTYPES, reset=False))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
