import os

# scikit-learn's estimator checks include an array API check with NumPy inputs
# that only runs when SciPy's array API support is switched on, which must happen
# before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
