"""Section: "I print MSE or cross-entropy and training doesn't change".

The same network trained with the gradient of mse, with the gradient of
bce, and with the tutorial's hand-applied MSE delta while bce is printed.

>>> SETTINGS["epochs"], SETTINGS["points"]
(150, 24)
"""

from __future__ import annotations

from pathlib import Path

from .. import experiments
from . import figures
from .page import Section, table

STEP = "training one network three ways"
TITLE = "“I print MSE or cross-entropy and training doesn't change”"

SETTINGS = {"epochs": 150, "eta": 2.0, "hidden": 3, "points": 24}

# the third run lies on the first: dashed and thin, so the red line under it stays visible
STYLES = (
    {"color": "tab:red", "linewidth": 3, "alpha": 0.6},
    {"color": "tab:blue", "linewidth": 2},
    {"color": "black", "linewidth": 1.2, "linestyle": "--"},
)


def section(out: Path) -> Section:
    result = experiments.printed_or_trained(**SETTINGS)
    mse_run, bce_run = result.mse_gradient, result.bce_gradient
    tutorial = result.mse_delta_bce_printed
    fig, (printed, common) = figures.new_figure(1, 2, figsize=(11, 4.2))
    for run, style in zip(result.runs, STYLES):
        printed.plot(run.reported, label=f"{run.name} (prints {run.printed})", **style)
        common.plot(run.losses["bce"], label=run.name, **style)
    printed.set_title("what each program prints")
    common.set_title("bce of each network on the same data")
    for ax in (printed, common):
        ax.set_xlabel("epoch")
        ax.legend()
    printed.set_ylabel("printed loss")
    common.set_ylabel("bce")
    figures.grid([printed, common])
    plot = figures.save(fig, out, "printed_loss.png")

    same = experiments.max_weight_difference(mse_run, tutorial)
    apart = experiments.max_weight_difference(mse_run, bce_run)
    epochs, m = SETTINGS["epochs"], SETTINGS["points"]
    text = (
        f"<p>The same sigmoid network (2 inputs, {SETTINGS['hidden']} hidden, 1 output; same "
        f"seed, same {len(mse_run.weights[0])} starting weights) trained for {epochs} epochs "
        f"on {SETTINGS['points']} two-moons points three ways. The third program uses the "
        f"tutorial's fixed MSE-style output delta (a − y)·a(1 − a) (times 2/n, as the mean "
        f"in mse has it) and only <em>prints</em> cross-entropy: its weights never "
        f"differ from those of the MSE-gradient program by more than {same:.1e} (float "
        f"rounding), so switching the printed loss changed nothing. Taking the gradient of "
        f"cross-entropy does: those weights move up to {apart:.2f} away, and its bce ends at "
        f"{bce_run.losses['bce'][-1]:.3f} instead of {tutorial.losses['bce'][-1]:.3f}.</p>"
        f"<p>Where does the 1/m of a mini-batch go? Each program trains on all m = {m} "
        f"points at once, one output per point, so the n in mse's mean and in the 2/n "
        f"above is the batch size: the 2/n is the square's 2 times the mean's 1/m. "
        f"Vectorised textbook code, one row per sample, writes it into the output delta, "
        f"<code>d_Z2 = (A2 − Y)/m; d_W2 = d_Z2ᵀ A1</code> (A2 − Y for BCE after a sigmoid), "
        f"or applies it later, <code>d_Z2 = A2 − Y; d_W2 = (1/m) d_Z2ᵀ A1</code>: the same "
        f"gradient, because the weight gradient sums the samples' rows and 1/m can be taken "
        f"before the sum or after it. <code>deltas.backprop</code> given a batch does the "
        f"first: each row of δ is one sample's δ_L divided by m.</p>"
    )
    header = [
        "training",
        "loss printed",
        "printed at epoch 0",
        f"printed at epoch {epochs}",
        f"bce at epoch {epochs}",
        "largest weight difference from the mse-gradient run",
    ]
    rows = [
        [
            run.name,
            run.printed,
            f"{run.reported[0]:.4f}",
            f"{run.reported[-1]:.4f}",
            f"{run.losses['bce'][-1]:.4f}",
            f"{experiments.max_weight_difference(mse_run, run):.1e}",
        ]
        for run in result.runs
    ]
    return Section(
        TITLE,
        text,
        [(plot, "Printed loss, and cross-entropy of each network")],
        table(header, rows),
        summary=[
            f"only printed: weights of the MSE-delta run differ from the MSE-gradient run by at "
            f"most {same:.1e}; the BCE-gradient run by up to {apart:.2f}"
        ],
        files=[plot],
    )
