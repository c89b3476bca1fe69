"""Record the skl_nirs version in pickles and warn when another version loads them."""

import warnings

from skl_nirs.exceptions import InconsistentVersionWarning

_VERSION_KEY = "_skl_nirs_version"


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
