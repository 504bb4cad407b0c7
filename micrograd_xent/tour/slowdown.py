"""Section: Nielsen's learning slowdown of a saturated sigmoid neuron.

Its plot is the report's lead: the loss changes how a network learns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .. import experiments
from . import figures
from .page import Section, figure, table

STEP = "reproducing Nielsen's learning slowdown"
TITLE = "The learning slowdown of a saturated neuron"

# Nielsen's settings; the report's text quotes them from here
SETTINGS = {"epochs": 300, "eta": 0.15, "x": 1.0, "y": 0.0}

COST_STYLE = {
    "quadratic": {"label": "quadratic cost ½(a − y)²", "color": "tab:red"},
    "bce": {"label": "cross-entropy (bce)", "color": "tab:blue"},
}


def section(out: Path) -> Section:
    runs = experiments.learning_slowdown(**SETTINGS)
    epochs, eta, x, y = (SETTINGS[k] for k in ("epochs", "eta", "x", "y"))
    saturated = experiments.SATURATED_START
    slow = experiments.find_run(runs, "quadratic", saturated)
    fast = experiments.find_run(runs, "bce", saturated)
    slow_epochs = epoch_text(experiments.first_epoch_below(slow.outputs, 0.5))
    fast_epochs = epoch_text(experiments.first_epoch_below(fast.outputs, 0.5))
    plot = _plot(runs, out)

    rows, summary = [], []
    for run in runs:
        half = experiments.first_epoch_below(run.outputs, 0.5)
        fifth = experiments.first_epoch_below(run.outputs, 0.2)
        rows.append(
            [
                COST_STYLE[run.cost]["label"],
                f"w = {run.start[0]}, b = {run.start[1]}",
                f"{run.outputs[0]:.3f}",
                epoch_text(half),
                epoch_text(fifth),
                f"{run.outputs[-1]:.3f}",
            ]
        )
        summary.append(
            f"slowdown: {run.cost:9} from (w, b) = {run.start}: output {run.outputs[0]:.3f} → "
            f"{run.outputs[-1]:.3f} after {epochs} epochs; below 0.5 at epoch {epoch_text(half)}"
        )
    text = (
        f"<p>One sigmoid neuron, input {x:g}, target {y:g}, learning rate {eta:g}, {epochs} "
        f"epochs of gradient descent — Nielsen's example from chapter 3 of <i>Neural Networks "
        f"and Deep Learning</i>, plotted at the top. Both costs are only forward expressions; "
        f"autograd supplies the gradient. Starting from w = {saturated[0]:g}, "
        f"b = {saturated[1]:g} the neuron outputs {slow.outputs[0]:.2f}, deep in the flat "
        f"part of the sigmoid: under the quadratic cost the gradient carries the factor σ'(z) "
        f"≈ {slow.outputs[0] * (1 - slow.outputs[0]):.3f}, so the output needs "
        f"{slow_epochs} epochs to fall below 0.5; under cross-entropy the factor cancels and "
        f"it takes {fast_epochs}. (Nielsen's own cross-entropy animation uses η = 0.005, "
        f"since his point is the shape of the curve; here both costs use the same η, so only "
        f"the cost differs.)</p>"
    )
    header = [
        "cost",
        "start",
        "output at epoch 0",
        "epochs to a < 0.5",
        "epochs to a < 0.2",
        f"output at epoch {epochs}",
    ]
    lead_caption = (
        f"The loss changes learning: from the saturated start (w, b) = {saturated}, output "
        f"{slow.outputs[0]:.2f} and target {y:g}, the quadratic cost needs {slow_epochs} "
        f"epochs to bring the output below 0.5, cross-entropy {fast_epochs}."
    )
    return Section(
        TITLE,
        text,
        table=table(header, rows),
        lead=figure(plot, lead_caption),
        summary=summary,
        files=[plot],
    )


def _plot(runs: list[experiments.NeuronRun], out: Path) -> str:
    """The output per epoch under each cost, one panel per start."""
    starts = list(dict.fromkeys(run.start for run in runs))
    fig, axes = figures.new_figure(1, len(starts), figsize=(7.2, 2.5), sharey=True)
    for ax, start in zip(axes, starts):
        from_here = [run for run in runs if run.start == start]
        for run in from_here:
            ax.plot(run.outputs, **COST_STYLE[run.cost])
        a0 = from_here[0].outputs[0]  # the same for every cost: no update yet
        ax.set_title(f"start w = {start[0]:g}, b = {start[1]:g} (output {a0:.2f})", fontsize=10)
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel(f"output a (target {SETTINGS['y']:g})")
    axes[-1].legend(fontsize="small")
    figures.grid(axes)
    return figures.save(fig, out, "slowdown.png")


def epoch_text(epoch: Optional[int]) -> str:
    """An epoch for the text; None (the output never got there) as "never".

    >>> epoch_text(17), epoch_text(None)
    ('17', 'never')
    """
    return "never" if epoch is None else str(epoch)
