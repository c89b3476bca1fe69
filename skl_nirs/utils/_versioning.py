"""Record the skl_nirs version in pickles and warn when another version loads them."""

import warnings

_VERSION_KEY = "_skl_nirs_version"


class InconsistentVersionWarning(UserWarning):
    """An estimator saved with one skl_nirs version is loaded by another.

    scikit-learn has a warning of the same name for its own versions; this one
    is about skl_nirs.

    Parameters
    ----------
    estimator_name : str
        Class of the estimator being loaded.
    current_version : str
        The skl_nirs version loading it.
    saved_version : str
        The skl_nirs version that saved it.
    """

    def __init__(self, *, estimator_name, current_version, saved_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.saved_version = saved_version

    def __str__(self):
        return (
            f"Loading {self.estimator_name} saved with skl_nirs "
            f"{self.saved_version} into skl_nirs {self.current_version}: it may "
            "fail or give different results. Refit it, or install the version it "
            "was saved with."
        )


class VersionedPickleMixin:
    """Pickle the skl_nirs version with the estimator; warn on a mismatch at load.

    scikit-learn does the same for its own estimators only. Put this mixin
    first among the bases of every public skl_nirs estimator.
    """

    def __getstate__(self):
        from skl_nirs import __version__

        return dict(super().__getstate__(), **{_VERSION_KEY: __version__})

    def __setstate__(self, state):
        from skl_nirs import __version__

        saved = state.pop(_VERSION_KEY, "unknown")
        if saved != __version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=__version__,
                    saved_version=saved,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
