"""Helpers shared by the plotting functions."""


def _get_axes(ax):
    """``ax``, or the Axes of a new pyplot figure when ``ax`` is None."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax
