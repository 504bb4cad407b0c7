"""The tour's section "The curvature of each loss", waiting for the tour package.

``curvature_section(out)`` runs the second-derivative experiments, saves three
figures into ``out`` and returns (title, html, files): the section's title, its
HTML (paragraphs and figures) and the names of the files it wrote. Every
number in the text is taken from the run. The figures are made as the tour
makes them (``Figure`` without pyplot, 110 dpi); once this module moves into
``micrograd_xent/tour/``, it takes those helpers from ``tour.figures``.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

from matplotlib.figure import Figure

from .. import experiments as ex
from ..tour.landscape import FAR as PLATEAU  # the landscape section's saturated, wrong point

TITLE = "The curvature of each loss: second derivatives and Newton's step"
DPI = 110
COLORS = {"quadratic": "tab:red", "bce": "tab:blue", "mse": "tab:green"}
STYLES = {"gradient descent": "-", "Newton": "o-", "saddle-free Newton": "s--"}


def curvature_section(out: Path) -> tuple[str, str, list[str]]:
    """Run the experiments, save the figures into ``out``, return (title, html, files)."""
    out = Path(out)
    curves, crossing = _curvature_figure(out)
    negative = _landscape_figure(out)
    runs = _newton_figure(out)
    text = _curvature_text(curves, crossing) + _landscape_text(*negative) + _newton_text(runs)
    figures = [
        ("curvature.png", "∂²C/∂z² against z for one output, target y = 0"),
        (
            "curvature_landscape.png",
            "Where the quadratic cost's Hessian in (w, b) has a negative eigenvalue",
        ),
        ("newton.png", "Nielsen's saturated neuron: output per step, gradient descent and Newton"),
    ]
    body = text + "".join(_figure(name, caption) for name, caption in figures)
    return TITLE, body, [name for name, _ in figures]


# --- ∂²C/∂z² against z ---------------------------------------------------------------

Y = 0.0  # Nielsen's target: the neuron should output 0
ZS = [-8.0 + 16.0 * i / 320 for i in range(321)]


def _curvature_figure(out: Path):
    curves = {pair: [ex.curvature_in_z(*pair, z, Y) for z in ZS] for pair in ex.CURVATURE_PAIRS}
    crossing = _sign_change(lambda z: ex.curvature_in_z("quadratic", "sigmoid", z, Y), 0.0, 4.0)
    fig = Figure(figsize=(11, 4.2))
    full, zoom = fig.subplots(1, 2)
    for ax in (full, zoom):
        for (loss, activation), values in curves.items():
            ax.plot(ZS, values, color=COLORS[loss], label=f"{loss} + {activation}")
        ax.axhline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel("z (pre-activation of the output)")
        ax.set_ylabel("∂²C/∂z²")
        ax.grid(alpha=0.3)
    full.set_title("all three pairs (mse + linear: 2 everywhere)")
    full.legend(loc="center left")
    quadratic = curves["quadratic", "sigmoid"]
    zoom.set_ylim(-0.06, 0.28)
    zoom.fill_between(
        ZS, quadratic, 0.0, where=[c < 0 for c in quadratic], color="tab:red", alpha=0.25
    )
    zoom.axvline(crossing, color="tab:red", linestyle=":")
    zoom.annotate(
        f"quadratic + sigmoid < 0\nfor z > {crossing:.3f}",
        (crossing, 0.0),
        xytext=(crossing + 1.0, 0.12),
        arrowprops={"arrowstyle": "->"},
    )
    zoom.set_title("zoom: the quadratic cost turns concave")
    fig.tight_layout()
    fig.savefig(out / "curvature.png", dpi=DPI)
    return curves, crossing


def _sign_change(f, low: float, high: float) -> float:
    """Where f changes sign between low and high, by bisection to float precision."""
    positive_low = f(low) > 0
    for _ in range(60):
        middle = (low + high) / 2
        if (f(middle) > 0) == positive_low:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _curvature_text(curves, crossing: float) -> str:
    quadratic = curves["quadratic", "sigmoid"]
    at4 = ex.curvature_in_z("quadratic", "sigmoid", 4.0, Y)
    bce_low = min(curves["bce", "sigmoid"])
    return (
        "<p>With gradients as Values (<code>grad(..., create_graph=True)</code>) the engine "
        "differentiates its own backward pass, so <code>hessian</code> gives the second "
        "derivative of each loss with respect to the output's pre-activation z. For one "
        f"output with target y = {Y:g}: cross-entropy after a sigmoid curves as a(1 − a), "
        f"never negative (smallest on the plot {bce_low:.2g}), so it is convex in z; mse "
        f"after a linear output curves as the constant "
        f"{curves['mse', 'linear'][0]:g}; the quadratic cost after a sigmoid curves as "
        f"σ'(z)² + (a − y)σ''(z), which is negative for every z above {crossing:.4f} "
        f"(ln 2 = {math.log(2):.4f}, where a = ⅔): a saturated, wrong neuron sits on a "
        f"slope that bends downward (at z = 4 the curvature is {at4:.4f}, its most negative "
        f"on the plot {min(quadratic):.4f}).</p>\n"
    )


# --- the landscape, marked where the quadratic cost is not convex ----------------------


def _landscape_figure(out: Path):
    landscape = ex.loss_landscape(("mse", "bce"))
    smallest = {cost: ex.smallest_curvature(landscape, cost) for cost in ("quadratic", "bce")}
    fig = Figure(figsize=(11, 4.4))
    for ax, cost, curvature in zip(
        fig.subplots(1, 2), ("mse", "bce"), (smallest["quadratic"], smallest["bce"])
    ):
        filled = ax.contourf(
            landscape.w, landscape.b, landscape.costs[cost], levels=20, cmap="viridis"
        )
        fig.colorbar(filled, ax=ax, label=cost)
        negative = [[1.0 if v < 0 else 0.0 for v in row] for row in curvature]
        if any(map(any, negative)):
            ax.contourf(
                landscape.w, landscape.b, negative, levels=[0.5, 1.5], colors="none", hatches=["//"]
            )
            ax.contour(
                landscape.w, landscape.b, negative, levels=[0.5], colors="white", linewidths=1.5
            )
        ax.set_xlabel("w")
        ax.set_ylabel("b")
    bce_lowest = min(v for row in smallest["bce"] for v in row)
    fig.axes[0].set_title("mse; hatched: a negative eigenvalue of the Hessian")
    fig.axes[1].set_title(f"bce: smallest eigenvalue on the grid {bce_lowest:.2g}")
    fig.tight_layout()
    fig.savefig(out / "curvature_landscape.png", dpi=DPI)
    quadratic = smallest["quadratic"]
    count = sum(v < 0 for row in quadratic for v in row)
    lowest, w, b = min(
        (v, landscape.w[j], landscape.b[i])
        for i, row in enumerate(quadratic)
        for j, v in enumerate(row)
    )
    return count, len(landscape.w) * len(landscape.b), (lowest, w, b), bce_lowest


def _landscape_text(count: int, total: int, lowest, bce_lowest: float) -> str:
    value, w, b = lowest
    on_plateau = ex.eigenvalues(ex.neuron_hessian("quadratic", *PLATEAU))[0]
    return (
        "<p>On the grid of the loss-landscape picture, the Hessian of the quadratic cost in "
        f"(w, b) — mse is the same cost times 2/n, so its eigenvalues have the same signs — "
        f"has a negative eigenvalue at {count} of {total} points ({count / total:.0%}). Each "
        "point whose output is wrong by more than ⅔ adds curvature σ'² + (a − y)σ'' < 0 along "
        "its direction (x, 1), and on most of the grid some point is: the plateaus where "
        "gradient descent crawls are among them (at (w, b) = "
        f"({PLATEAU[0]:g}, {PLATEAU[1]:g}) the smaller eigenvalue is {on_plateau:.4f}). "
        f"The most negative, {value:.3f}, is at (w, b) = ({w:.2f}, {b:.2f}). The "
        "cross-entropy's Hessian has no negative eigenvalue on the grid (its smallest is "
        f"{bce_lowest:.2g}): it is a bowl everywhere.</p>\n"
    )


# --- Newton's step on Nielsen's saturated neuron -----------------------------------------

START, X, ETA = ex.SATURATED_START, 1.0, 0.15  # Nielsen's neuron and learning rate; Y as above


def _newton_figure(out: Path):
    runs = ex.newton_vs_gradient_descent(start=START, x=X, y=Y, eta=ETA)
    runs = {(r.cost, r.method): r for r in runs}
    fig = Figure(figsize=(11, 4.2))
    for ax, cost in zip(fig.subplots(1, 2), ("quadratic", "bce")):
        for method, style in STYLES.items():
            outputs = runs[cost, method].outputs
            ax.plot(range(len(outputs)), outputs, style, markersize=3, label=method)
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlabel("step (linear to 10, then logarithmic)")
        ax.set_ylabel("output a")
        ax.set_title(f"{cost} cost, from (w, b) = {START} (x = {X:g}, y = {Y:g})")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out / "newton.png", dpi=DPI)
    return runs


def _newton_text(runs) -> str:
    newton, free = runs["quadratic", "Newton"], runs["quadratic", "saddle-free Newton"]
    gd, bce_newton = runs["quadratic", "gradient descent"], runs["bce", "Newton"]
    bce_gd = runs["bce", "gradient descent"]
    free_below = ex.first_epoch_below(free.outputs, 0.2)
    bce_gd_below = ex.first_epoch_below(bce_gd.outputs, 0.2)
    return (
        "<p>Newton's method uses that curvature: it solves H·Δ = −g. On Nielsen's saturated "
        f"neuron ((w, b) = {START}, x = {X:g}, y = {Y:g}, output "
        f"{newton.outputs[0]:.3f}) the cost depends on w and b only through z = w·x + b, so "
        "the Hessian in (w, b) is singular everywhere (eigenvalues "
        f"{newton.eigenvalues[0][0]:.4f} and {newton.eigenvalues[0][1]:g} at the start); the "
        "step taken is the pseudo-inverse's, Newton's step in z, −C'/C''. On the quadratic "
        "cost C'' is negative, so that step points up the slope: Newton looks for a point "
        "where the slope vanishes, and the one it finds lies uphill, on the saturated plateau "
        f"(z → ∞). The output goes {_path(newton.outputs[:5])} and is within "
        f"{1 - newton.outputs[-1]:.1e} of 1 after {len(newton.outputs) - 1} steps; the cost "
        f"rises from {newton.costs[0]:.4f} to {newton.costs[-1]:.4f}, its ceiling. Dividing by the size of the curvature instead (saddle-free Newton) "
        f"steps downhill: {_path(free.outputs[:5])}, below 0.2 at step {free_below}, where "
        f"gradient descent (η = {ETA:g}) still outputs {gd.outputs[150]:.3f} after 150 steps "
        f"and {gd.outputs[-1]:.3f} after {len(gd.outputs) - 1}. On cross-entropy the curvature "
        f"is positive and the two Newton steps are the same: the output falls to "
        f"{bce_newton.outputs[1]:.1e} in a single step, where gradient descent takes "
        f"{bce_gd_below} steps to get below 0.2.</p>\n"
    )


def _path(values) -> str:
    return " → ".join(f"{v:.3f}" for v in values)


def _figure(src: str, caption: str) -> str:
    return (
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>\n"
    )
