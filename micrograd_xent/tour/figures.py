"""Matplotlib figures for the report, made without pyplot.

``Figure`` without pyplot touches no backend or global state, so importing
the tour inside Jupyter leaves the notebook's inline plots alone.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

DPI = 110


def new_figure(rows: int, columns: int, figsize: tuple[float, float], **options):
    """A figure and its grid of axes, as ``pyplot.subplots`` returns them.

    >>> fig, (left, right) = new_figure(1, 2, figsize=(4, 2))
    >>> left.get_figure() is fig
    True
    """
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(rows, columns, **options)


def grid(axes) -> None:
    """Light grid lines on each of ``axes`` (one array or a list of them)."""
    for ax in getattr(axes, "flat", axes):
        ax.grid(alpha=0.3)


def save(fig: Figure, out: Path, name: str) -> str:
    """Save ``fig`` as ``out/name`` and return ``name``."""
    fig.tight_layout()
    fig.savefig(out / name, dpi=DPI)
    return name
