"""The private scikit-learn names skl_nirs relies on, imported in one place.

They move between scikit-learn releases; this is the one file to fix when they do.
"""

from sklearn.base import _fit_context
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._validation import (
    _fit_and_score,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils._set_output import _safe_set_output
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import (
    _check_feature_names_in,
    _check_method_params,
    _check_response_method,
)

try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # scikit-learn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock

__all__ = [
    "BaseSearchCV",
    "HasMethods",
    "Interval",
    "StrOptions",
    "_BaseComposition",
    "_VisualBlock",
    "_MultimetricScorer",
    "_check_feature_names_in",
    "_check_method_params",
    "_check_response_method",
    "_fit_and_score",
    "_fit_context",
    "_insert_error_scores",
    "_routing_enabled",
    "_safe_set_output",
    "_warn_or_raise_about_fit_failures",
    "validate_params",
]
