"""The warnings skl_nirs emits, to filter or catch by class."""

import sklearn.exceptions

__all__ = ["FlatSpectrumWarning", "InconsistentVersionWarning"]


class FlatSpectrumWarning(UserWarning):
    """Spectra with no spread met a transformer that divides by it.

    A constant spectrum (a detector dropout, a saturated or dark detector)
    has no standard deviation, interquartile range or scatter coefficient to
    divide by. It is only centred or offset-corrected, so it comes out of the
    transformer looking like an ordinary spectrum and is predicted like one.

    A :class:`UserWarning` subclass, so that it is shown by default and can be
    filtered on its own: ``warnings.simplefilter("error", FlatSpectrumWarning)``
    turns it into an error, ``"ignore"`` silences it.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skl_nirs.exceptions import FlatSpectrumWarning
    >>> from skl_nirs.preprocessing import StandardNormalVariate
    >>> X = np.array([[0.1, 0.3, 0.2], [0.5, 0.5, 0.5]])
    >>> with warnings.catch_warnings(record=True) as record:
    ...     warnings.simplefilter("always")
    ...     _ = StandardNormalVariate().fit_transform(X)
    >>> record[0].category is FlatSpectrumWarning
    True
    """


class InconsistentVersionWarning(sklearn.exceptions.InconsistentVersionWarning):
    """An estimator saved with one skl_nirs version is loaded by another.

    A subclass of :class:`sklearn.exceptions.InconsistentVersionWarning`, which
    scikit-learn emits for its own versions: one filter on scikit-learn's class
    covers both, and this class alone singles out skl_nirs.

    Parameters
    ----------
    estimator_name : str
        Class of the estimator being loaded.

    current_version : str
        The skl_nirs version loading it.

    saved_version : str
        The skl_nirs version that saved it.

    Attributes
    ----------
    current_sklearn_version, original_sklearn_version : None
        The attributes of scikit-learn's warning: None, since the versions that
        differ are skl_nirs's (scikit-learn warns on its own about its
        versions).

    Examples
    --------
    >>> import warnings
    >>> import sklearn.exceptions
    >>> from skl_nirs.exceptions import InconsistentVersionWarning
    >>> warning = InconsistentVersionWarning(
    ...     estimator_name="ParallelBranches",
    ...     current_version="0.2.0",
    ...     saved_version="0.1.0",
    ... )
    >>> print(warning)
    Loading ParallelBranches saved with skl_nirs 0.1.0 into skl_nirs 0.2.0: ...
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter(
    ...         "error", sklearn.exceptions.InconsistentVersionWarning
    ...     )
    ...     warnings.warn(warning)
    Traceback (most recent call last):
    ...
    skl_nirs.exceptions.InconsistentVersionWarning: Loading ParallelBranches ...
    """

    def __init__(self, *, estimator_name, current_version, saved_version):
        super().__init__(
            estimator_name=estimator_name,
            current_sklearn_version=None,
            original_sklearn_version=None,
        )
        self.current_version = current_version
        self.saved_version = saved_version

    def __str__(self):
        return (
            f"Loading {self.estimator_name} saved with skl_nirs "
            f"{self.saved_version} into skl_nirs {self.current_version}: it may "
            "fail or give different results. Refit it, or install the version it "
            "was saved with."
        )
