"""Section: an MLP trained on two moons with cross-entropy, and its decision boundary.

The boundary is drawn over the plane the data lies in, with a margin:

>>> PLANE
{'x_range': (-1.6, 2.6), 'y_range': (-1.1, 1.6)}
"""

from __future__ import annotations

from pathlib import Path

from .. import experiments
from . import figures
from .page import Section

STEP = "training the two-moons MLP"
TITLE = "Training an MLP on two moons with cross-entropy"

PLANE = {"x_range": (-1.6, 2.6), "y_range": (-1.1, 1.6)}  # the data with a margin around it


def section(out: Path) -> Section:
    run = experiments.train_two_moons()
    gx, gy, p = experiments.decision_grid(run.model, **PLANE)
    fig, (boundary, curve) = figures.new_figure(
        1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [3, 2]}
    )
    filled = boundary.contourf(
        gx, gy, p, levels=[0, 0.1, 0.3, 0.5, 0.7, 0.9, 1], cmap="RdBu_r", alpha=0.7
    )
    boundary.contour(gx, gy, p, levels=[0.5], colors="black", linewidths=1.5)
    fig.colorbar(filled, ax=boundary, label="network output (probability of class 1)")
    for label, color in ((0.0, "tab:blue"), (1.0, "tab:red")):
        points = [x for x, y in zip(run.xs, run.ys) if y == label]
        boundary.scatter(
            [x for x, _ in points],
            [y for _, y in points],
            c=color,
            edgecolors="black",
            s=25,
            label=f"class {label:g}",
        )
    boundary.set_title(f"decision boundary (black line: output 0.5), accuracy {run.accuracy:.0%}")
    boundary.set_xlabel("first input x₁")
    boundary.set_ylabel("second input x₂")
    boundary.legend(loc="lower left")
    curve.plot(run.losses, color="tab:blue")
    curve.set_title("bce per epoch")
    curve.set_xlabel("epoch")
    curve.set_ylabel("bce")
    figures.grid([curve])
    plot = figures.save(fig, out, "moons.png")

    sizes = [len(layer.neurons) for layer in run.model.layers]
    text = (
        f"<p>An MLP with layers 2 → {' → '.join(map(str, sizes))} (tanh hidden layers, sigmoid "
        f"output, {len(run.model.parameters())} parameters) trained by full-batch gradient "
        f"descent on the bce of {len(run.xs)} generated two-moons points for "
        f"{len(run.losses)} epochs. The loss falls from {run.losses[0]:.3f} to "
        f"{run.losses[-1]:.3f}; {run.accuracy:.0%} of the points end up on the right side of "
        f"the curved boundary.</p>"
    )
    return Section(
        TITLE,
        text,
        [(plot, "Decision boundary and loss curve")],
        summary=[
            f"two moons: bce {run.losses[0]:.3f} → {run.losses[-1]:.3f}, "
            f"accuracy {run.accuracy:.0%}"
        ],
        files=[plot],
    )
