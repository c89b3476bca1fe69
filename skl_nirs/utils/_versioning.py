"""Record the skl_nirs version in pickles and warn when another version loads them."""

import warnings

from sklearn.exceptions import InconsistentVersionWarning

_VERSION_KEY = "_skl_nirs_version"


class _SklNirsVersionWarning(InconsistentVersionWarning):
    """An estimator pickled by one skl_nirs version is loaded by another."""

    def __str__(self):
        return (
            f"Loading {self.estimator_name} saved with skl_nirs "
            f"{self.original_sklearn_version} into skl_nirs "
            f"{self.current_sklearn_version}: it may fail or give different "
            "results. Refit it, or install the version it was saved with."
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
                _SklNirsVersionWarning(
                    estimator_name=type(self).__name__,
                    current_sklearn_version=__version__,
                    original_sklearn_version=saved,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
