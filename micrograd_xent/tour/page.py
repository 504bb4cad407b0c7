"""The report's page: what a section returns, and the HTML that shows it.

A ``Section`` is plain data; ``page`` lays the sections out: first the
answer in brief (each section's ``lead``, side by side, on the first screen),
then the contents, then every section in full.

>>> section = Section("A title", "<p>text</p>", lead="<p>in brief</p>")
>>> html = page([section])
>>> html.index("in brief") < html.index("<h2>A title</h2>")
True
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Section:
    """What a section adds to the report.

    On the page, in this order: ``lead`` (HTML for the first screen, usually
    empty), then under ``title``: ``text`` (HTML paragraphs), ``figures`` as
    (file name, caption), ``table`` (HTML). ``summary``: its lines in
    summary.txt; ``files``: every file it wrote, in order, figures included.
    """

    title: str
    text: str
    figures: list[tuple[str, str]] = field(default_factory=list)
    table: str = ""
    lead: str = ""
    summary: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def figure(src: str, caption: str, css_class: str = "") -> str:
    """An image with its caption; the caption is also the image's alt text.

    >>> figure("a.png", "x < y")
    '<figure><img src="a.png" alt="x &lt; y"><figcaption>x &lt; y</figcaption></figure>\\n'
    """
    attribute = f' class="{css_class}"' if css_class else ""
    return (
        f'<figure{attribute}><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>\n"
    )


def table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table of text cells, each escaped.

    >>> table(["a"], [["1 < 2"]])
    '<table>\\n<tr><th>a</th></tr>\\n<tr><td>1 &lt; 2</td></tr>\\n</table>\\n'
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>\n"
        for row in rows
    )
    return f"<table>\n<tr>{head}</tr>\n{body}</table>\n"


def link(href: str, text: str = "") -> str:
    """A link to a file next to the page, showing its name unless ``text`` is given.

    >>> link("compare.md")
    '<a href="compare.md">compare.md</a>'
    """
    return f'<a href="{html.escape(href)}">{html.escape(text or href)}</a>'


def page(sections: list[Section]) -> str:
    """The whole ``index.html``."""
    leads = "".join(s.lead for s in sections if s.lead)
    contents = "".join(
        f'<li><a href="#s{i}">{html.escape(s.title)}</a></li>' for i, s in enumerate(sections, 1)
    )
    body = "".join(
        f'<section id="s{i}"><h2>{html.escape(s.title)}</h2>\n{s.text}\n'
        + "".join(figure(*f) for f in s.figures)
        + f"{s.table}</section>\n"
        for i, s in enumerate(sections, 1)
    )
    return _TEMPLATE.format(leads=leads, contents=contents, body=body)


# The first screen (1280 × 800) holds the answer: a grid whose left column
# stacks the leads and whose right column holds the one lead marked "tall".
_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>micrograd_xent tour: where the loss goes in backpropagation</title>
<style>
body {{ font-family: sans-serif; max-width: 1200px; margin: 0.6em auto; padding: 0 1em;
       line-height: 1.45; }}
h1 {{ font-size: 1.5em; margin: 0.2em 0; }}
h2 {{ margin-top: 1.6em; }}
img {{ max-width: 100%; height: auto; }}
figure {{ margin: 0.8em 0; }}
figcaption {{ color: #555; font-size: 0.9em; }}
table {{ border-collapse: collapse; margin: 0.6em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }}
th {{ background: #f3f3f3; }}
.answer {{ display: grid; grid-template-columns: minmax(0, 1fr) 500px; column-gap: 1.5em; }}
.answer > * {{ grid-column: 1; margin: 0.2em 0; }}
.answer > .tall {{ grid-column: 2; grid-row: 1 / span 9; }}
/* the tall lead fits the first screen whatever the graph's shape */
.answer .tall img {{ max-height: 660px; width: auto; }}
.answer table {{ font-size: 0.8em; margin: 0.2em 0; }}
.answer td, .answer th {{ white-space: nowrap; padding: 0.1em 0.4em; }}
.answer p, .answer figcaption {{ margin: 0.2em 0; font-size: 0.9em; }}
</style>
</head>
<body>
<h1>Where does the loss go in backpropagation?</h1>
<p>Into one place: the output layer's delta δ<sub>L</sub> = ∂C/∂z<sub>L</sub>. Every layer
below it uses the same recursion, whatever the loss. Everything on this page was computed by
this run of <code>micrograd-xent tour</code>, with the losses written only as forward
expressions of <code>Value</code> operations.</p>
<div class="answer">
{leads}</div>
<h2>Contents</h2>
<ol>{contents}</ol>
{body}</body>
</html>
"""
