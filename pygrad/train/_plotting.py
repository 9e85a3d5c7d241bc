"""matplotlib, imported only when a plot is asked for (it is an optional extra)."""


def new_figure(ncols, what):
    """A matplotlib Figure with ncols axes on the Agg canvas (no pyplot, no global backend change).

    Raises:
        ImportError: matplotlib is not installed, with the command that installs it.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            f"[{what}] plotting needs matplotlib, an optional extra: pip install matplotlib "
            "(or pip install 'pygrad[plot]')"
        ) from error
    figure = Figure(figsize=(5.0 * ncols, 4.0), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, ncols, squeeze=False)[0]
    return figure, list(axes)


def save_figure(figure, path):
    """Writes the figure as a PNG and returns the path."""
    import os

    path = os.fspath(path)
    figure.savefig(path, format="png", dpi=100)
    return path
