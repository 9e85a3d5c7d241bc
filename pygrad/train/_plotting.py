"""matplotlib, imported only when a plot is asked for (it is an optional extra)."""

from __future__ import annotations

import os
from typing import Any


def new_figure(ncols: int, what: str) -> tuple[Any, list[Any]]:
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


def save_figure(figure: Any, path: str | os.PathLike[str]) -> str:
    """Writes the figure as a PNG and returns the path."""
    name = os.fspath(path)
    figure.savefig(name, format="png", dpi=100)
    return name
