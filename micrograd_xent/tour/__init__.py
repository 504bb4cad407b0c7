"""The report ``micrograd-xent tour`` writes: plots, tables and an ``index.html``.

``write_tour("tour-output")`` writes the report there and returns the path of
its ``index.html``; ``summary.txt`` beside it holds the key figures as text.

The package, one concept per module:

- ``report``: ``write_tour`` and ``SECTIONS``, the sections in page order;
- ``page``: ``Section`` (what a section returns) and the HTML of the page;
- ``figures``: matplotlib helpers (figures without pyplot, saved as PNG);
- one module per section: ``graphs``, ``comparison``, ``slowdown``,
  ``printed_loss``, ``landscape``, ``moons``.

A section computes with ``experiments`` or ``compare`` (the tour has no
training loop of its own), draws, and writes its paragraph; every number in
its text is taken from the run.

Adding a section
----------------
1. Write ``micrograd_xent/tour/NAME.py`` with

   - ``STEP``: the progress line, e.g. ``"drawing backward one edge at a time"``;
   - ``section(out: Path) -> Section``: compute, save figures into ``out``
     (``figures.save`` returns the file name), and return
     ``Section(title, text, figures=[(file, caption)], table=..., summary=[...],
     files=[every file written])``. ``text`` and ``table`` are HTML: escape any
     text that is not yours (``html.escape``; ``page.table`` escapes its cells).
     A ``lead`` (a short HTML fragment) puts the section on the first screen;
     keep that for the report's answer, which already fills it.
2. Add ``NAME`` to ``SECTIONS`` in ``report.py`` where the page should show it.
3. Test it in ``tests/test_tour.py`` (its numbers against a formula or a
   plain-float computation written in the test); ``tests/test_report_browser.py``
   then checks in Chromium that its images load and its links work.

>>> from micrograd_xent.tour import SECTIONS
>>> all(callable(s.section) and s.STEP for s in SECTIONS)
True
"""

from .page import Section
from .report import SECTIONS, write_tour

__all__ = ["SECTIONS", "Section", "write_tour"]
