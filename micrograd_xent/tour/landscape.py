"""Section: the MSE and cross-entropy surfaces of one sigmoid neuron over (w, b).

The text quotes both costs' gradient at one point where the neuron is
saturated and wrong:

>>> FAR  # (w, b): σ(−2w + b) ≈ 1 where the target is 0, σ(2w + b) ≈ 0 where it is 1
(-6.0, 6.0)
"""

from __future__ import annotations

from pathlib import Path

from .. import experiments
from . import figures
from .page import Section

STEP = "computing the loss landscape"
TITLE = "What a loss looks like: the landscape of one neuron"

FAR = (-6.0, 6.0)  # saturated and wrong: a ≈ 1 at x = −2, a ≈ 0 at x = 2


def section(out: Path) -> Section:
    landscape = experiments.loss_landscape()
    xs, ys = experiments.LANDSCAPE_DATA
    fig, axes = figures.new_figure(1, 2, figsize=(11, 4.6))
    at_far = {}
    for ax, cost in zip(axes, ("mse", "bce")):
        surface = landscape.w, landscape.b, landscape.costs[cost]
        filled = ax.contourf(*surface, levels=20, cmap="viridis")
        ax.contour(*surface, levels=20, colors="white", linewidths=0.4)
        fig.colorbar(filled, ax=ax, label=cost)
        low, w, b = experiments.grid_minimum(landscape, cost)
        ax.plot(
            w,
            b,
            marker="*",
            color="red",
            markersize=14,
            linestyle="none",
            label=f"grid minimum {low:.3f}",
        )
        ax.plot(
            *FAR,
            marker="o",
            color="white",
            markeredgecolor="black",
            linestyle="none",
            label=f"(w, b) = {FAR}",
        )
        ax.set_title(f"{cost} of one sigmoid neuron")
        ax.set_xlabel("w")
        ax.set_ylabel("b")
        ax.legend(loc="lower left", fontsize="small")
        value, dw, db = experiments.neuron_cost(cost, *FAR)
        at_far[cost] = value, (dw * dw + db * db) ** 0.5
    plot = figures.save(fig, out, "landscape.png")

    (mse_far, mse_slope), (bce_far, bce_slope) = at_far["mse"], at_far["bce"]
    text = (
        f"<p>The cost of a single sigmoid neuron a = σ(w·x + b) on {len(xs)} points "
        f"(x = {', '.join(f'{x:g}' for x in xs)}; targets {', '.join(f'{y:g}' for y in ys)}), "
        f"for every (w, b) on a grid. The MSE surface has flat plateaus where the neuron "
        f"saturates: at (w, b) = {FAR} its value is {mse_far:.3f} but its gradient has length "
        f"only {mse_slope:.4f}, so gradient descent barely moves. The cross-entropy surface is "
        f"a bowl (for one sigmoid neuron it is convex); at the same point it is {bce_far:.2f} "
        f"and its gradient has length {bce_slope:.2f}.</p>"
    )
    return Section(
        TITLE,
        text,
        [(plot, "MSE and cross-entropy over (w, b), side by side")],
        summary=[
            f"landscape: at (w, b) = {FAR} the gradient length is {mse_slope:.4f} for mse, "
            f"{bce_slope:.2f} for bce"
        ],
        files=[plot],
    )
