"""The skeleton shared by the transformers that map spectra to spectra."""

from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import FLOAT_DTYPES, check_is_fitted, validate_data

from skl_nirs.utils._compat import _fit_context
from skl_nirs.utils._versioning import VersionedPickleMixin
from skl_nirs.utils._wavelengths import (
    check_wavelengths,
    column_wavelengths,
    record_wavelengths,
    wavelength_names,
)


class _SpectraTransformer(
    VersionedPickleMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Base of the transformers whose output has the wavelengths of their input.

    ``fit`` and ``transform`` validate the spectra (float64 or float32, kept);
    subclasses implement ``_transform(X)`` and, when they learn from the spectra
    or check their parameters against them, ``_fit(X)``; those with parameters
    define ``__init__`` and ``_parameter_constraints`` (none by default).

    Column names that are numbers (``1000.0`` or ``"1000.0"``) are wavelengths:
    ``fit`` records them as floats in ``wavelengths_`` (scikit-learn ignores
    non-string names) and ``transform`` refuses a DataFrame with other
    wavelengths or the same in another order (see
    :func:`skl_nirs.utils._wavelengths.check_wavelengths`). Fitted on numeric
    names, :meth:`get_feature_names_out` gives them as strings
    (``str(wavelength)``, as the ``as_frame=True`` data sets), so that a
    pandas output keeps the wavelengths for the next step.
    """

    _parameter_constraints: dict = {}

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
        wavelengths = column_wavelengths(X)
        X = validate_data(self, X, dtype=FLOAT_DTYPES)
        record_wavelengths(self, wavelengths)
        self._fit(X)
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
        check_wavelengths(self, X)
        return self._transform(validate_data(self, X, dtype=FLOAT_DTYPES, reset=False))

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: those of the input.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names. If None, `feature_names_in_` when defined, else
            the wavelengths seen in :term:`fit` as strings when its column
            names were numbers, else ``["x0", "x1", ...]``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            Names of the output columns.
        """
        if input_features is None:
            input_features = wavelength_names(self)
        return super().get_feature_names_out(input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
