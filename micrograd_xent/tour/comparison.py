"""Section: autograd vs the hand-derived deltas vs finite differences, every pair.

Its lead is the report's answer in numbers: for each loss and output
activation, the hand-derived δ_L beside autograd's, from this run.

>>> FORMULAS["bce", "sigmoid"]  # σ'(z) has cancelled
'(a − y)/n'
"""

from __future__ import annotations

import html
from pathlib import Path

from .. import compare
from .page import Section, link, table

STEP = "comparing autograd with the hand-derived deltas"
TITLE = "Autograd vs the hand-derived deltas vs finite differences"

SETTINGS = {"layers": compare.LAYERS, "hidden_activation": "sigmoid", "seed": 0}

# δ_L = ∂C/∂z_L as a textbook writes it, a = f(z) the output activation, n outputs
FORMULAS = {
    ("quadratic", "sigmoid"): "(a − y) ⊙ σ'(z)",
    ("quadratic", "tanh"): "(a − y) ⊙ (1 − a²)",
    ("quadratic", "linear"): "a − y",
    ("mse", "sigmoid"): "(2/n)(a − y) ⊙ σ'(z)",
    ("mse", "tanh"): "(2/n)(a − y) ⊙ (1 − a²)",
    ("mse", "linear"): "(2/n)(a − y)",
    ("bce", "sigmoid"): "(a − y)/n",
    ("cross_entropy", "softmax"): "p − onehot(y)",
}


def section(out: Path) -> Section:
    reports = compare.compare_all(**SETTINGS)
    (out / "compare.json").write_text(compare.render(reports, "json") + "\n", encoding="utf-8")
    (out / "compare.md").write_text(compare.render(reports, "markdown") + "\n", encoding="utf-8")
    line = compare.summary(reports)
    layers = SETTINGS["layers"]
    text = (
        f"<p>One small network with random weights (layers {'-'.join(map(str, layers))}, "
        f"{SETTINGS['hidden_activation']} hidden layer, seed {SETTINGS['seed']}) for "
        f"every loss and output activation that has a hand-derived δ_L. Each gradient is "
        f"found three ways: <code>backward()</code> on the forward-only loss, the textbook "
        f"recursion in <code>deltas.backprop</code>, and central finite differences of the "
        f"loss. Layers are numbered as in Nielsen's book: layer 1 is the input (it has no "
        f"weights), layer {len(layers)} the output, and those between are hidden, so the "
        f"hidden rows check BP2 and the output rows the loss's own δ_L. In each row δ is "
        f"∂C/∂z of one neuron, b and w[k] the gradients of its bias and of its weight from "
        f"input k; |diff| is the spread of the three values.</p>"
        f"<p><strong>{html.escape(line)}</strong></p>"
        f"<p>The table at the top has one line per pair; every row is in "
        f"{link('compare.md')} and {link('compare.json')}, and below, each pair's full table "
        f"when opened.</p>"
    )
    return Section(
        TITLE,
        text,
        table="".join(_details(r) for r in reports),
        lead=_lead(reports, len(layers)),
        summary=[f"compare: {line}"],
        files=["compare.json", "compare.md"],
    )


def _lead(reports: list[compare.Report], output_layer: int) -> str:
    rows = []
    for r in reports:
        first_output_delta = next(
            row for row in r.rows if row.layer == output_layer and row.parameter == "δ"
        )
        rows.append(
            [
                f"{r.loss} + {r.activation}",
                FORMULAS.get((r.loss, r.activation), "deltas.output_delta"),
                f"{first_output_delta.autograd:.6f}",
                f"{first_output_delta.hand_derived:.6f}",
                f"{r.max_diff:.1e}",
                "ok" if r.ok else "DISAGREE",
            ]
        )
    header = ["loss + output activation", "δ_L by hand", "autograd", "hand", "max |diff|", ""]
    return (
        "<p>Autograd, from the loss written only forward, finds the δ_L a textbook derives by "
        "hand, for every loss: δ_L of the first output neuron of this run's network (the "
        "comparison below checks every δ, weight and bias three ways; max |diff| over all):</p>\n"
        + table(header, rows)
    )


def _details(report: compare.Report) -> str:
    header = ["layer", "neuron", "parameter", "autograd", "hand-derived", "finite difference"]
    rows = [
        [
            str(row.layer),
            str(row.neuron),
            row.parameter,
            f"{row.autograd:.10f}",
            f"{row.hand_derived:.10f}",
            f"{row.finite_difference:.10f}",
            f"{row.diff:.1e}",
            "ok" if row.ok else "FAIL",
        ]
        for row in report.rows
    ]
    return (
        f"<details><summary>{html.escape(report.title())}: "
        f"{html.escape(report.verdict())}</summary>\n"
        + table(header + ["|diff|", "ok"], rows)
        + "</details>\n"
    )
