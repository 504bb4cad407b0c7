"""``write_tour``: run every section into a folder, then write the page and summary.

>>> [section.__name__.split(".")[-1] for section in SECTIONS]
['graphs', 'comparison', 'slowdown', 'printed_loss', 'landscape', 'moons']
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional

from . import comparison, graphs, landscape, moons, printed_loss, slowdown
from .page import page

# The page's order. Each module has STEP (a progress line) and section(out) -> Section.
SECTIONS = [graphs, comparison, slowdown, printed_loss, landscape, moons]

Progress = Callable[[str], None]


def write_tour(out_dir, progress: Optional[Progress] = None) -> Path:
    """Run every section into ``out_dir`` and return the path of its ``index.html``.

    ``progress`` receives one line per step, e.g. "[5/6] computing the loss
    landscape…"; by default the lines go to stderr.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or _to_stderr
    sections = []
    for number, module in enumerate(SECTIONS, start=1):
        report(f"[{number}/{len(SECTIONS)}] {module.STEP}…")
        sections.append(module.section(out))
    files = [name for s in sections for name in s.files]
    summary = [line for s in sections for line in s.summary]
    summary.append(f"wrote index.html, summary.txt and {', '.join(files)}")
    (out / "summary.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")
    index = out / "index.html"
    index.write_text(page(sections), encoding="utf-8")
    return index


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
