"""Every number the README quotes from the tour is the number the code computes now,
and so are the saved outputs of the notebooks that show the same runs.

The README is read as text; each figure is recomputed here with ``experiments``
and ``compare``, with the settings the tour uses, and formatted as the README
writes it. A change to the code that moves a number fails here until the README
(and the re-executed notebook) says the new one.
"""

import json
import re
from pathlib import Path

from micrograd_xent import compare, experiments
from micrograd_xent.tour import comparison, graphs, landscape, printed_loss, slowdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def saved_output(notebook):
    """The text the notebook printed when it was last executed and saved."""
    cells = json.loads((ROOT / "demos" / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "".join(
        "".join(output.get("text", "")) for cell in cells for output in cell.get("outputs", [])
    )


def stated(pattern):
    """The groups of the one place the README matches ``pattern`` (spaces match any
    run of whitespace, so a sentence may wrap)."""
    found = re.findall(pattern.replace(" ", r"\s+"), README)
    assert len(found) == 1, f"the README should state this once: {pattern}"
    return found[0]


def test_the_slowdown_settings_and_epochs_are_the_runs():
    eta, *starts = stated(
        r"η = ([\d.]+), from \(w, b\) = \(([\d.]+), ([\d.]+)\) and \(([\d.]+), ([\d.]+)\)"
    )
    assert float(eta) == slowdown.SETTINGS["eta"]
    assert [float(v) for v in starts] == [v for start in experiments.NIELSEN_STARTS for v in start]
    runs = experiments.learning_slowdown(**slowdown.SETTINGS)
    quadratic, bce = (
        experiments.first_epoch_below(
            experiments.find_run(runs, cost, experiments.SATURATED_START).outputs, 0.5
        )
        for cost in ("quadratic", "bce")
    )
    assert stated(
        r"From \(2, 2\) the output falls below 0.5 at epoch (\d+) with the quadratic cost "
        r"and at epoch (\d+) with cross-entropy"
    ) == (str(quadratic), str(bce))
    image_text = r"the quadratic cost needs (\d+) epochs to bring it below 0.5, cross-entropy (\d+)"
    assert stated(image_text) == (str(quadratic), str(bce))
    notebook = saved_output("why_the_loss_matters")
    for run in runs:
        assert (
            f"{run.cost:9} from {run.start}: a = {run.outputs[0]:.3f} -> {run.outputs[-1]:.3f}, "
            f"below 0.5 after {experiments.first_epoch_below(run.outputs, 0.5)} epochs"
        ) in notebook


def test_the_printed_loss_weight_differences_are_the_runs():
    result = experiments.printed_or_trained(**printed_loss.SETTINGS)
    same = experiments.max_weight_difference(result.mse_gradient, result.mse_delta_bce_printed)
    apart = experiments.max_weight_difference(result.mse_gradient, result.bce_gradient)
    assert stated(r"never differ by more than ([\d.e+-]+) \(float rounding\)") == f"{same:.1e}"
    assert stated(r"run's move up to ([\d.]+) away") == f"{apart:.2f}"
    notebook = saved_output("why_the_loss_matters")
    assert f"run 3 vs run 1, largest weight difference: {same:.1e}" in notebook
    assert f"run 2 vs run 1, largest weight difference: {apart:.2f}" in notebook


def test_the_comparison_counts_and_spread_are_the_runs():
    reports = compare.compare_all(**comparison.SETTINGS)
    rows = sum(len(r.rows) for r in reports)
    spread = max(r.max_diff for r in reports)
    assert all(r.ok for r in reports)
    assert stated(
        r"(\d+) pairs, (\d+) rows, all within ([\d.e+-]+) \(max \|diff\| ([\d.e+-]+)\)"
    ) == (
        str(len(reports)),
        str(rows),
        f"{compare.TOLERANCE:g}",
        f"{spread:.1e}",
    )


def test_the_deltas_drawn_in_the_graphs_are_counted_right():
    drawings = [graphs.tanh_neuron(), graphs.bce_neuron(), graphs.softmax_cross_entropy()]
    assert stated(r"(\d+) deltas in all") == str(sum(len(d.deltas) for d in drawings))


def test_the_bce_neuron_image_quotes_the_deltas_at_z():
    ((z, hand),) = graphs.bce_neuron().deltas.items()
    assert stated(r"delta at z: autograd (-?[\d.]+), hand (-?[\d.]+), ok") == (
        f"{z.grad:.4f}",
        f"{hand:.4f}",
    )


def test_the_landscape_gradient_lengths_are_the_runs():
    lengths = {}
    for cost in ("mse", "bce"):
        _, dw, db = experiments.neuron_cost(cost, *landscape.FAR)
        lengths[cost] = (dw * dw + db * db) ** 0.5
    assert landscape.FAR == (-6.0, 6.0)
    assert stated(r"the gradient's length is ([\d.]+) under MSE and ([\d.]+) under BCE") == (
        f"{lengths['mse']:.4f}",
        f"{lengths['bce']:.2f}",
    )


def test_the_two_moons_loss_and_accuracy_are_the_runs():
    run = experiments.train_two_moons()
    assert stated(r"the loss falls from ([\d.]+) to ([\d.]+); (\d+)% of the points") == (
        f"{run.losses[0]:.3f}",
        f"{run.losses[-1]:.3f}",
        f"{run.accuracy:.0%}".rstrip("%"),
    )
    assert (
        f"bce {run.losses[0]:.3f} -> {run.losses[-1]:.3f} after {len(run.losses)} epochs, "
        f"accuracy {run.accuracy:.0%}"
    ) in saved_output("training_an_mlp")
