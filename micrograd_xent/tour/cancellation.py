"""Section: which (loss, output activation) pairs cancel σ'?

BP1 in its general form is δ_L = Jᵀ ∇_a C: the loss's gradient times the
activation's slope. For every pair the section sets out the two factors, their
product and the simplified δ_L, as formulas and as this run's numbers at a
saturated, wrong output, and plots |δ_L| against z.

>>> FORMULAS["bce", "sigmoid"].delta, FORMULAS["bce", "sigmoid"].slope_in_delta
('(a − y)/n', 'cancelled')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import experiments
from ..compare import format_table
from . import figures
from .page import Section, table

STEP = "setting out which pairs cancel σ'"
TITLE = "Which pairs cancel σ'?"

Z = experiments.SATURATED_Z
CURVE_Z = np.linspace(0.125, 8.0, 64)  # from 0 up, where the target 0 is ever more wrong


@dataclass(frozen=True)
class PairFormulas:
    """BP1's factors for one pair as a textbook writes them; n outputs, t = ±1 for hinge."""

    cost_gradient: str  # ∇_a C
    slope: str  # σ'(z), or the softmax's Jacobian J
    product: str  # Jᵀ ∇_a C before simplifying
    delta: str  # δ_L simplified
    slope_in_delta: str  # what became of σ'(z): "cancelled", "is 1" or "stays"


SOFTMAX_J = "J = diag(p) − ppᵀ"

# The squared-error costs after each output: σ'(z), then Jᵀ∇_a C and δ_L with {g} the
# cost's gradient and {e} the same as a factor
_SQUARED_ERROR = {
    "sigmoid": ("σ'(z) = a(1 − a)", "{e}·a(1 − a)", "{e} ⊙ σ'(z)"),
    "tanh": ("tanh'(z) = 1 − a²", "{e}(1 − a²)", "{e} ⊙ (1 − a²)"),
    "linear": ("1", "{e}·1", "{g}"),
    "softmax": (SOFTMAX_J, "Jᵀ{e}", "p ⊙ (g − p·g), g = {g}"),
}


def _squared_error(loss: str, activation: str) -> PairFormulas:
    """½Σ(a − y)² ("quadratic") or its mean over the n outputs, (2/n) times it ("mse")."""
    error = f"{'p' if activation == 'softmax' else 'a'} − y"
    gradient = error if loss == "quadratic" else f"(2/n)({error})"
    factor = f"({error})" if loss == "quadratic" else gradient
    slope, product, delta = _SQUARED_ERROR[activation]
    return PairFormulas(
        gradient,
        slope,
        product.format(g=gradient, e=factor),
        delta.format(g=gradient, e=factor),
        "is 1" if activation == "linear" else "stays",
    )


FORMULAS = {
    **{
        (loss, activation): _squared_error(loss, activation)
        for loss in ("quadratic", "mse")
        for activation in _SQUARED_ERROR
    },
    ("bce", "sigmoid"): PairFormulas(
        "(a − y)/(n·a(1 − a))",
        "σ'(z) = a(1 − a)",
        "(a − y)/(n·a(1 − a))·a(1 − a)",
        "(a − y)/n",
        "cancelled",
    ),
    # the sigmoid sits inside the loss: its σ' cancelled in the loss's own gradient
    ("bce_with_logits", "linear"): PairFormulas(
        "(σ(z) − y)/n", "1", "(σ(z) − y)/n·1", "(σ(z) − y)/n", "cancelled"
    ),
    ("cross_entropy", "softmax"): PairFormulas(
        "−q/p", SOFTMAX_J, "Jᵀ(−q/p) = p·Σq − q", "p − onehot(y)", "cancelled"
    ),
    ("l1", "linear"): PairFormulas(
        "sign(a − y)/n", "1", "sign(a − y)/n·1", "sign(a − y)/n", "is 1"
    ),
    ("huber", "linear"): PairFormulas(
        "clip(a − y, −1, 1)/n", "1", "clip(a − y, −1, 1)/n·1", "clip(a − y, −1, 1)/n", "is 1"
    ),
    ("hinge", "linear"): PairFormulas(
        "−t·1[t·a < 1]/n", "1", "−t·1[t·a < 1]/n·1", "−t·1[t·a < 1]/n", "is 1"
    ),
}

HEADER = [
    "loss + output activation",
    "∇_a C",
    "σ'(z), or J",
    "Jᵀ∇_a C",
    "δ_L, simplified",
    f"δ_L by autograd at z = {Z:g}",
    "σ'(z) in δ_L",
]


def section(out: Path) -> Section:
    factors = experiments.saturated_output_deltas(Z)
    rows = [_row(f) for f in factors]
    worst = max(abs(h - g) for f in factors for h, g in zip(f.delta, f.autograd))
    by = {(f.loss, f.activation): f for f in factors}
    plot = _plot(out)

    bce, quadratic = by["bce", "sigmoid"], by["quadratic", "sigmoid"]
    tanh, softmax = by["quadratic", "tanh"], by["quadratic", "softmax"]
    slope = quadratic.jacobian[0][0]
    text = (
        f"<p>BP1 in its general form is δ_L = Jᵀ∇_a C: the gradient of the loss with "
        f"respect to the output activations a, times the activation's slope J = ∂a/∂z "
        f"(σ'(z) on the diagonal for an elementwise σ, diag(p) − ppᵀ for a softmax). The "
        f"table sets out both factors, their product and the δ_L a textbook simplifies it "
        f"to, for every pair this project derives by hand (n outputs). Each cell's number is "
        f"this run's, from <code>deltas.cost_gradient</code>, "
        f"<code>activation_jacobian</code>, <code>general_output_delta</code> and "
        f"<code>output_delta</code>, at a saturated, wrong output: z = {Z:g} with target 0 "
        f"(hinge: target −1); for a softmax z = ({Z:g}, 0) with class 1 the target, so "
        f"p₀ = σ({Z:g}) = {softmax.a[0]:.3f} where the target is 0 (vectors are (output 0, "
        f"output 1)). The column δ_L by autograd is <code>backward()</code> on the loss "
        f"written only forward; it agrees with the hand-derived δ_L to {worst:.1e}.</p>"
        f"<p>Where σ' cancels — BCE after a sigmoid, cross-entropy after a softmax, BCE "
        f"with logits (the sigmoid inside the loss) — the huge ∇_a C = "
        f"{bce.cost_gradient[0]:.1f} of BCE meets σ'({Z:g}) = {slope:.4f} and δ_L keeps "
        f"the whole error, σ({Z:g}) − 0 = {bce.delta[0]:.3f}. Squared error after the "
        f"identity, and l1, Huber and hinge after a linear output, have σ' = 1: nothing "
        f"to cancel, δ_L is the error itself ({by['quadratic', 'linear'].delta[0]:g}) or "
        f"its sign. Where σ' stays, the error is multiplied by the slope: the quadratic "
        f"cost after a sigmoid gives δ_L = {quadratic.delta[0]:.4f}, "
        f"{bce.delta[0] / quadratic.delta[0]:.0f} times smaller than BCE's; after tanh the "
        f"factor is tanh'({Z:g}) = {tanh.jacobian[0][0]:.5f}; after a softmax the Jacobian "
        f"leaves {softmax.delta[0]:.4f}. That factor is the learning slowdown plotted at the "
        f"top of the page.</p>"
    )
    caption = (
        f"|δ_L| against z with target 0, every pair (pairs whose curves coincide share a "
        f"line); the dotted line is z = {Z:g}, the table's row"
    )
    return Section(
        TITLE,
        text,
        [(plot, caption)],
        table=table(HEADER, rows),
        summary=[f"which pairs cancel σ' (z = {Z:g}, target 0):"]
        + format_table(HEADER, rows, "l" * len(HEADER)).splitlines(),
        files=[plot],
    )


def _row(f: experiments.OutputDelta) -> list[str]:
    formulas = FORMULAS[f.loss, f.activation]
    jacobian = np.array(f.jacobian)
    if f.activation == "softmax":
        slope = (
            f"{formulas.slope}: J₀₀ = {_number(jacobian[0, 0])}, J₀₁ = {_number(jacobian[0, 1])}"
        )
    else:
        slope = _cell(formulas.slope, np.diag(jacobian))
    return [
        f"{f.loss} + {f.activation}",
        _cell(formulas.cost_gradient, f.cost_gradient),
        slope,
        _cell(formulas.product, f.product),
        _cell(formulas.delta, f.delta),
        _numbers(f.autograd, digits=6),
        formulas.slope_in_delta,
    ]


def _cell(formula: str, values) -> str:
    """The formula and its value, e.g. "a − y = 0.982"; a formula that is a number alone."""
    numbers = _numbers(values)
    return formula if formula == numbers else f"{formula} = {numbers}"


def _number(value: float, digits: int = 3) -> str:
    return f"{value + 0.0:.{digits}g}"  # + 0.0 turns −0.0 into 0.0


def _numbers(values, digits: int = 3) -> str:
    """One number, or a vector in parentheses."""
    if len(values) == 1:
        return _number(values[0], digits)
    return "(" + ", ".join(_number(v, digits) for v in values) + ")"


def _plot(out: Path) -> str:
    """|δ_L| per z, two panels: where σ'(z) is gone from δ_L, and where it stays."""
    curves = _merge_equal(experiments.output_delta_curves(CURVE_Z))
    fig, axes = figures.new_figure(1, 2, figsize=(11, 4.4), sharey=True)
    panels = {
        "gone": (axes[0], "σ'(z) cancelled, or 1: δ_L keeps the error"),
        "stays": (axes[1], "σ'(z) or J stays: δ_L shrinks with the slope"),
    }
    styles = ("-", "--", "-.", ":")
    counts = {"gone": 0, "stays": 0}
    for pairs, values in curves:
        panel = "stays" if FORMULAS[pairs[0]].slope_in_delta == "stays" else "gone"
        ax = panels[panel][0]
        k = counts[panel]
        counts[panel] += 1
        label = ", ".join(f"{loss} + {activation}" for loss, activation in pairs)
        ax.plot(CURVE_Z, values, label=label, linestyle=styles[k % len(styles)], linewidth=1.8)
    for ax, title in panels.values():
        ax.axvline(Z, color="grey", linestyle=":", linewidth=1)
        ax.annotate(
            f" z = {Z:g}: the table",
            (Z, 1),
            xycoords=("data", "axes fraction"),
            va="top",
            fontsize="small",
            color="grey",
        )
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("z of the first output (target 0)")
        ax.legend(fontsize="x-small", loc="lower left")
    axes[0].set_ylabel("|δ_L| = |∂C/∂z|, log scale")
    figures.grid(axes)
    return figures.save(fig, out, "which_pairs_cancel.png")


def _merge_equal(curves: dict) -> list[tuple[list[tuple[str, str]], list[float]]]:
    """The curves with identical ones drawn once, as (the pairs, the values)."""
    merged: list[tuple[list[tuple[str, str]], list[float]]] = []
    for pair, values in curves.items():
        same = next((m for m in merged if np.allclose(m[1], values, rtol=1e-12, atol=0)), None)
        if same:
            same[0].append(pair)
        else:
            merged.append(([pair], values))
    return merged
