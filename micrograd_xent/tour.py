"""The report ``micrograd-xent tour`` writes: plots, tables and an ``index.html``.

Each section draws its graphs (``graph``), runs its comparison (``compare``)
or experiment (``experiments``), saves its figures as PNG next to the index,
and returns the HTML that shows them with a sentence or two; every number in
that text is taken from the run. ``summary.txt`` holds the key figures in
plain text for the command line.

``write_tour("tour-output")`` writes the report there and returns the path
of its ``index.html``.
"""

from __future__ import annotations

import html
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

# Figure without pyplot: no backend or global state is touched, so importing
# the tour inside Jupyter leaves the notebook's inline plots alone.
from matplotlib.figure import Figure

from . import compare, deltas, losses
from . import experiments as ex
from .engine import Value
from .graph import GraphvizNotFoundError, draw_dot, render

Progress = Callable[[str], None]


@dataclass
class Section:
    """What a section adds to the report, shown in this order: a title, a
    paragraph of HTML, figures as (file name, caption), an HTML table; the
    lines it adds to summary.txt, and the files it writes besides its figures."""

    title: str
    text: str
    figures: list[tuple[str, str]]
    table: str = ""
    summary: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def write_tour(out_dir, progress: Optional[Progress] = None) -> Path:
    """Run every section into ``out_dir`` and return the path of its ``index.html``.

    ``progress`` receives one line per step, e.g. "[4/6] the loss landscape";
    by default the lines go to stderr.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = progress or _to_stderr
    sections = []
    for number, (what, make) in enumerate(SECTIONS, start=1):
        report(f"[{number}/{len(SECTIONS)}] {what}…")
        sections.append(make(out))
    files = [name for s in sections for name in [f for f, _ in s.figures] + s.files]
    summary = [line for s in sections for line in s.summary]
    summary.append(f"wrote index.html, summary.txt and {', '.join(files)}")
    (out / "summary.txt").write_text("\n".join(summary) + "\n", encoding="utf-8")
    index = out / "index.html"
    index.write_text(_page(sections), encoding="utf-8")
    return index


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- the expression graphs ---------------------------------------------------------

# micrograd's lecture neuron: b is chosen so that n = 0.8813…, tanh(n) = 1/√2
TANH_NEURON = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
BCE_NEURON = {"x": 1.5, "w": -0.8, "b": 0.5, "y": 1.0}
SOFTMAX = {"logits": (2.0, 1.0, 0.1), "target": 0}


@dataclass
class Drawing:
    """An expression after ``backward()``: its file name, root, how to draw it
    (``draw_dot`` options) and a caption quoting its numbers."""

    name: str
    root: Value
    options: dict
    caption: str


def _labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def tanh_neuron() -> Drawing:
    """micrograd's classic neuron o = tanh(x1·w1 + x2·w2 + b), labelled as in the lecture.

    >>> round(tanh_neuron().root.data, 4)  # 1/√2
    0.7071
    """
    x1, x2, w1, w2, b = (Value(v, label=k) for k, v in TANH_NEURON.items())
    x1w1 = _labelled(x1 * w1, "x1*w1")
    x2w2 = _labelled(x2 * w2, "x2*w2")
    x1w1x2w2 = _labelled(x1w1 + x2w2, "x1*w1 + x2*w2")
    n = _labelled(x1w1x2w2 + b, "n")
    o = _labelled(n.tanh(), "o")
    o.backward()
    caption = (
        f"micrograd's neuron o = tanh(n) = {o.data:.4f}. Each edge carries its local "
        f"derivative; multiplying along the path from x1 gives x1.grad = w1 · (1 − o²) = "
        f"{w1.data:g} · {n.grad:.4f} = {x1.grad:.4f}, and w2.grad = x2 · {n.grad:.4f} = "
        f"{w2.grad:.4f} because x2 = {x2.data:g}."
    )
    return Drawing("neuron_tanh", o, {"edge_labels": True}, caption)


def bce_neuron() -> Drawing:
    """A sigmoid neuron with its BCE: L = bce(σ(w·x + b), y), δ annotated at z.

    >>> ((z, hand),) = bce_neuron().options["deltas"].items()
    >>> z.label, round(z.grad, 4), round(hand, 4)  # autograd's δ, the hand-derived σ(z) − y
    ('z', -0.6682, -0.6682)
    """
    x, w, b, y = (Value(BCE_NEURON[k], label=k) for k in ("x", "w", "b", "y"))
    z = _labelled(_labelled(w * x, "w*x") + b, "z")
    a = _labelled(z.sigmoid(), "a")
    loss = _labelled(losses.bce(a, y), "L")
    loss.backward()
    hand = deltas.output_delta("bce", "sigmoid", [z.data], [y.data])[0]
    caption = (
        f"A sigmoid neuron a = σ(z) = {a.data:.4f} with target y = {y.data:g} and "
        f"L = bce(a, y) = {loss.data:.4f}, the loss written only as logs, products and sums. "
        f"Autograd gives δ = ∂L/∂z = {z.grad:.6f} at z; the hand formula σ(z) − y gives "
        f"{hand:.6f}: the σ'(z) = {a.data * (1 - a.data):.4f} of the sigmoid has cancelled."
    )
    return Drawing("neuron_bce", loss, {"deltas": {z: hand}}, caption)


def softmax_cross_entropy() -> Drawing:
    """Cross-entropy over three logits: L = cross_entropy([z1, z2, z3], target).

    >>> [round(hand, 4) for hand in softmax_cross_entropy().options["deltas"].values()]
    [-0.341, 0.2424, 0.0986]
    """
    logits = [Value(v, label=f"z{i}") for i, v in enumerate(SOFTMAX["logits"], start=1)]
    target = SOFTMAX["target"]
    loss = _labelled(losses.cross_entropy(logits, target), "L")
    loss.backward()
    hand = deltas.output_delta("cross_entropy", "softmax", [z.data for z in logits], target)
    p = [q.data for q in losses.softmax([z.data for z in logits])]
    caption = (
        f"Softmax cross-entropy over logits ({_numbers(z.data for z in logits)}) with class "
        f"{target} (z{target + 1}): p = softmax(z) = ({_numbers(p)}), "
        f"L = −log p{target + 1} = {loss.data:.4f}. Autograd's δ at the logits is "
        f"({_numbers(z.grad for z in logits)}); the hand formula p − onehot(y) gives "
        f"({_numbers(hand)})."
    )
    return Drawing("softmax_cross_entropy", loss, {"deltas": dict(zip(logits, hand))}, caption)


def _numbers(xs) -> str:
    return ", ".join(f"{x:.4f}" for x in xs)


_GRAPHS_TITLE = "Expression graphs, with the deltas derived by hand"


def graphs_section(out: Path) -> Section:
    drawings = [tanh_neuron(), bce_neuron(), softmax_cross_entropy()]
    # top to bottom: each graph then fits the page's width at full size
    dots = [draw_dot(d.root, rankdir="TB", **d.options) for d in drawings]
    try:
        for d, dot in zip(drawings, dots):
            for suffix in (".svg", ".png"):
                render(dot, out / f"{d.name}{suffix}")
    except GraphvizNotFoundError as missing:
        for d, dot in zip(drawings, dots):
            render(dot, out / f"{d.name}.gv")
        return _graphs_without_dot(drawings, missing)
    svgs = ", ".join(f'<a href="{d.name}.svg">{d.name}.svg</a>' for d in drawings)
    return Section(
        _GRAPHS_TITLE,
        _GRAPHS_INTRO + f"<p>Each is also saved as SVG, which zooms without blurring: {svgs}.</p>",
        [(f"{d.name}.png", d.caption) for d in drawings],
        summary=[f"graphs: {_delta_line(drawings)}"],
        files=[f"{d.name}.svg" for d in drawings],
    )


_GRAPHS_INTRO = (
    "<p>Three expressions after <code>backward()</code>, drawn by <code>draw_dot</code>. "
    "Each box is a Value: its label, data and grad (∂ of the output with respect to it); "
    "inputs and parameters are blue, the output amber, and each ellipse is an operation. "
    "Where a loss follows an activation, the pre-activation node also shows the δ derived "
    "by hand next to autograd's, green when they agree.</p>"
)


def _graphs_without_dot(drawings: list[Drawing], missing: GraphvizNotFoundError) -> Section:
    """The graphs' section when only their DOT source could be saved."""
    sources = [f"{d.name}.gv" for d in drawings]
    links = ", ".join(f'<a href="{name}">{name}</a>' for name in sources)
    text = (
        f"{_GRAPHS_INTRO}<p><strong>No images here:</strong> {html.escape(str(missing))}</p>"
        f"<p>The DOT source of each graph was saved instead ({links}); after installing "
        f"Graphviz, <code>dot -Tsvg NAME.gv -o NAME.svg</code> draws one, or run the tour "
        f"again.</p><ul>"
        + "".join(f"<li>{html.escape(d.caption)}</li>" for d in drawings)
        + "</ul>"
    )
    return Section(
        _GRAPHS_TITLE,
        text,
        [],
        summary=[
            "graphs: Graphviz's dot was not found, so only the DOT source (.gv) was saved; "
            "install Graphviz (apt-get install graphviz, brew install graphviz, ...) for images",
            f"graphs: {_delta_line(drawings)}",
        ],
        files=sources,
    )


def _delta_line(drawings: list[Drawing]) -> str:
    """Autograd's δ beside the hand-derived one, for every annotated node."""
    pairs = [(node, hand) for d in drawings for node, hand in d.options.get("deltas", {}).items()]
    worst = max(abs(node.grad - hand) for node, hand in pairs)
    return f"{len(pairs)} deltas annotated, max |autograd − hand| {worst:.1e}"


# --- autograd vs hand-derived vs finite differences ----------------------------------


COMPARISON = {"layers": compare.LAYERS, "hidden_activation": "sigmoid", "seed": 0}


def comparison_section(out: Path) -> Section:
    reports = compare.compare_all(**COMPARISON)
    (out / "compare.json").write_text(compare.render(reports, "json") + "\n", encoding="utf-8")
    (out / "compare.md").write_text(compare.render(reports, "markdown") + "\n", encoding="utf-8")
    line = compare.summary(reports)
    layers = COMPARISON["layers"]
    text = (
        f"<p>One small network with random weights (layers {'-'.join(map(str, layers))}, "
        f"{COMPARISON['hidden_activation']} hidden layer, seed {COMPARISON['seed']}) for "
        f"every loss and output activation that has a hand-derived δ_L. Each gradient is "
        f"found three ways: <code>backward()</code> on the forward-only loss, the textbook "
        f"recursion in <code>deltas.backprop</code>, and central finite differences of the "
        f"loss. Layers are numbered as in Nielsen's book: layer 1 is the input (it has no "
        f"weights), layer {len(layers)} the output, and those between are hidden, so the "
        f"hidden rows check BP2 and the output rows the loss's own δ_L. In each row δ is "
        f"∂C/∂z of one neuron, b and w[k] the gradients of its bias and of its weight from "
        f"input k; |diff| is the spread of the three values.</p>"
        f"<p><strong>{html.escape(line)}</strong></p>"
        f'<p>Every row is also in <a href="compare.md">compare.md</a> and '
        f'<a href="compare.json">compare.json</a>; below, one summary line per pair, and '
        f"each pair's full table when opened.</p>"
    )
    overview = _table(
        ["loss + output activation", "rows", "max |autograd − hand|", "max |diff|", "verdict"],
        [
            [
                f"{r.loss} + {r.activation}",
                str(len(r.rows)),
                f"{r.max_autograd_vs_hand:.1e}",
                f"{r.max_diff:.1e}",
                "ok" if r.ok else "DISAGREE",
            ]
            for r in reports
        ],
    )
    details = "".join(
        f"<details><summary>{html.escape(r.title())}: {html.escape(r.verdict())}</summary>\n"
        + _table(
            [
                "layer",
                "neuron",
                "parameter",
                "autograd",
                "hand-derived",
                "finite difference",
                "|diff|",
                "ok",
            ],
            [
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
                for row in r.rows
            ],
        )
        + "</details>\n"
        for r in reports
    )
    return Section(
        "Autograd vs the hand-derived deltas vs finite differences",
        text,
        [],
        overview + details,
        summary=[f"compare: {line}"],
        files=["compare.json", "compare.md"],
    )


# --- the learning slowdown ------------------------------------------------------------

# Nielsen's settings; the report's text quotes them from here
SLOWDOWN = {"epochs": 300, "eta": 0.15, "x": 1.0, "y": 0.0}


def slowdown_section(out: Path) -> Section:
    runs = ex.learning_slowdown(**SLOWDOWN)
    epochs, eta, x, y = (SLOWDOWN[k] for k in ("epochs", "eta", "x", "y"))
    starts = list(ex.NIELSEN_STARTS)
    fig, axes = _new_figure(2, 2, figsize=(10, 7), sharex=True)
    for row, start in zip(axes, starts):
        for run in (r for r in runs if r.start == start):
            style = _COST_STYLE[run.cost]
            row[0].plot(run.outputs, **style)
            row[1].plot(run.costs, **style)
        a0 = runs[starts.index(start)].outputs[0]
        row[0].set_title(f"output a, start w = {start[0]}, b = {start[1]} (a = {a0:.2f})")
        row[1].set_title(f"the cost being minimised, start w = {start[0]}, b = {start[1]}")
        row[0].set_ylim(0, 1)
        row[0].set_ylabel("output a (target 0)")
        row[1].set_yscale("log")
        row[1].set_ylabel("cost (log scale)")
    axes[0][0].legend()
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    _grid(axes)
    _save(fig, out, "slowdown.png")

    rows, summary = [], []
    for run in runs:
        half = ex.first_epoch_below(run.outputs, 0.5)
        fifth = ex.first_epoch_below(run.outputs, 0.2)
        rows.append(
            [
                _COST_STYLE[run.cost]["label"],
                f"w = {run.start[0]}, b = {run.start[1]}",
                f"{run.outputs[0]:.3f}",
                _epoch(half),
                _epoch(fifth),
                f"{run.outputs[-1]:.3f}",
            ]
        )
        summary.append(
            f"slowdown: {run.cost:9} from (w, b) = {run.start}: output {run.outputs[0]:.3f} → "
            f"{run.outputs[-1]:.3f} after {epochs} epochs; below 0.5 at epoch {_epoch(half)}"
        )
    slow, fast = runs[1], runs[3]  # start (2, 2): quadratic, cross-entropy
    text = (
        f"<p>One sigmoid neuron, input {x:g}, target {y:g}, learning rate {eta:g}, {epochs} "
        f"epochs of gradient descent — Nielsen's example from chapter 3 of <i>Neural Networks "
        f"and Deep Learning</i>. Both costs are only forward expressions; autograd supplies the "
        f"gradient. Starting from w = {slow.start[0]:g}, b = {slow.start[1]:g} the neuron "
        f"outputs {slow.outputs[0]:.2f}, deep in the flat "
        f"part of the sigmoid: under the quadratic cost the gradient carries the factor σ'(z) "
        f"≈ {slow.outputs[0] * (1 - slow.outputs[0]):.3f}, so the output needs "
        f"{_epoch(ex.first_epoch_below(slow.outputs, 0.5))} epochs to fall below 0.5; under "
        f"cross-entropy the factor cancels and it takes "
        f"{_epoch(ex.first_epoch_below(fast.outputs, 0.5))}. (Nielsen's own cross-entropy "
        f"animation uses η = 0.005, since his point is the shape of the curve; here both "
        f"costs use the same η, so only the cost differs.)</p>"
    )
    table = _table(
        [
            "cost",
            "start",
            "output at epoch 0",
            "epochs to a < 0.5",
            "epochs to a < 0.2",
            f"output at epoch {epochs}",
        ],
        rows,
    )
    return Section(
        "The learning slowdown of a saturated neuron",
        text,
        [("slowdown.png", "Output and cost per epoch, quadratic cost vs cross-entropy")],
        table,
        summary,
    )


_COST_STYLE = {
    "quadratic": {"label": "quadratic cost ½(a − y)²", "color": "tab:red"},
    "bce": {"label": "cross-entropy (bce)", "color": "tab:blue"},
}


def _epoch(epoch: Optional[int]) -> str:
    return "never" if epoch is None else str(epoch)


# --- the loss that is only printed ------------------------------------------------------

PRINTED = {"epochs": 150, "eta": 2.0, "hidden": 3, "points": 24}


def only_printed_section(out: Path) -> Section:
    runs = ex.only_printed(**PRINTED)
    mse_run, bce_run, tutorial = runs
    fig, (printed, common) = _new_figure(1, 2, figsize=(11, 4.2))
    for run, style in zip(runs, _PRINTED_STYLES):
        printed.plot(run.reported, label=f"{run.name} (prints {run.printed})", **style)
        common.plot(run.losses["bce"], label=run.name, **style)
    printed.set_title("what each program prints")
    common.set_title("bce of each network on the same data")
    for ax in (printed, common):
        ax.set_xlabel("epoch")
        ax.legend()
    printed.set_ylabel("printed loss")
    common.set_ylabel("bce")
    _grid([printed, common])
    _save(fig, out, "only_printed.png")

    same = _max_difference(mse_run.weights, tutorial.weights)
    apart = _max_difference(mse_run.weights, bce_run.weights)
    epochs = PRINTED["epochs"]
    text = (
        f"<p>The same sigmoid network (2 inputs, {PRINTED['hidden']} hidden, 1 output; same "
        f"seed, same {len(mse_run.weights[0])} starting weights) trained for {epochs} epochs "
        f"on {PRINTED['points']} two-moons points three ways. The third program uses the "
        f"tutorial's fixed MSE-style output delta (a − y)·a(1 − a) (times 2/n, as the mean "
        f"in mse has it) and only <em>prints</em> cross-entropy: its weights never "
        f"differ from those of the MSE-gradient program by more than {same:.1e} (float "
        f"rounding), so switching the printed loss changed nothing. Taking the gradient of "
        f"cross-entropy does: those weights move up to {apart:.2f} away, and its bce ends at "
        f"{bce_run.losses['bce'][-1]:.3f} instead of {tutorial.losses['bce'][-1]:.3f}.</p>"
    )
    table = _table(
        [
            "training",
            "loss printed",
            "printed at epoch 0",
            f"printed at epoch {epochs}",
            f"bce at epoch {epochs}",
            "largest weight difference from the mse-gradient run",
        ],
        [
            [
                run.name,
                run.printed,
                f"{run.reported[0]:.4f}",
                f"{run.reported[-1]:.4f}",
                f"{run.losses['bce'][-1]:.4f}",
                f"{_max_difference(mse_run.weights, run.weights):.1e}",
            ]
            for run in runs
        ],
    )
    summary = [
        f"only printed: weights of the MSE-delta run differ from the MSE-gradient run by at "
        f"most {same:.1e}; the BCE-gradient run by up to {apart:.2f}"
    ]
    return Section(
        "“I print MSE or cross-entropy and training doesn't change”",
        text,
        [("only_printed.png", "Printed loss, and cross-entropy of each network")],
        table,
        summary,
    )


_PRINTED_STYLES = (
    {"color": "tab:red", "linewidth": 3, "alpha": 0.6},
    {"color": "tab:blue", "linewidth": 2},
    # dashed and thin, so the red line it lies on stays visible
    {"color": "black", "linewidth": 1.2, "linestyle": "--"},
)


def _max_difference(a: list[list[float]], b: list[list[float]]) -> float:
    return max(abs(x - y) for row_a, row_b in zip(a, b) for x, y in zip(row_a, row_b))


# --- the loss landscape ------------------------------------------------------------------


def landscape_section(out: Path) -> Section:
    landscape = ex.loss_landscape()
    xs, ys = ex.LANDSCAPE_DATA
    far = (-6.0, 6.0)  # saturated and wrong: a ≈ 1 at x = −2, a ≈ 0 at x = 2
    fig, axes = _new_figure(1, 2, figsize=(11, 4.6))
    at_far = {}
    for ax, cost in zip(axes, ("mse", "bce")):
        surface = landscape.w, landscape.b, landscape.costs[cost]
        filled = ax.contourf(*surface, levels=20, cmap="viridis")
        ax.contour(*surface, levels=20, colors="white", linewidths=0.4)
        fig.colorbar(filled, ax=ax, label=cost)
        low, w, b = ex.grid_minimum(landscape, cost)
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
            *far,
            marker="o",
            color="white",
            markeredgecolor="black",
            linestyle="none",
            label=f"(w, b) = {far}",
        )
        ax.set_title(f"{cost} of one sigmoid neuron")
        ax.set_xlabel("w")
        ax.set_ylabel("b")
        ax.legend(loc="lower left", fontsize="small")
        value, dw, db = ex.neuron_cost(cost, *far)
        at_far[cost] = value, (dw * dw + db * db) ** 0.5
    _save(fig, out, "landscape.png")

    (mse_far, mse_slope), (bce_far, bce_slope) = at_far["mse"], at_far["bce"]
    text = (
        f"<p>The cost of a single sigmoid neuron a = σ(w·x + b) on {len(xs)} points "
        f"(x = {', '.join(f'{x:g}' for x in xs)}; targets {', '.join(f'{y:g}' for y in ys)}), "
        f"for every (w, b) on a grid. The MSE surface has flat plateaus where the neuron "
        f"saturates: at (w, b) = {far} its value is {mse_far:.3f} but its gradient has length "
        f"only {mse_slope:.4f}, so gradient descent barely moves. The cross-entropy surface is "
        f"a bowl (for one sigmoid neuron it is convex); at the same point it is {bce_far:.2f} "
        f"and its gradient has length {bce_slope:.2f}.</p>"
    )
    return Section(
        "What a loss looks like: the landscape of one neuron",
        text,
        [("landscape.png", "MSE and cross-entropy over (w, b), side by side")],
        summary=[
            f"landscape: at (w, b) = {far} the gradient length is {mse_slope:.4f} for mse, "
            f"{bce_slope:.2f} for bce"
        ],
    )


# --- an MLP on two moons ----------------------------------------------------------------


def moons_section(out: Path) -> Section:
    run = ex.train_two_moons()
    gx, gy, p = ex.decision_grid(run.model, (-1.6, 2.6), (-1.1, 1.6))
    fig, (boundary, curve) = _new_figure(
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
    boundary.legend(loc="lower left")
    curve.plot(run.losses, color="tab:blue")
    curve.set_title("bce per epoch")
    curve.set_xlabel("epoch")
    curve.set_ylabel("bce")
    _grid([curve])
    _save(fig, out, "moons.png")

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
        "Training an MLP on two moons with cross-entropy",
        text,
        [("moons.png", "Decision boundary and loss curve")],
        summary=[
            f"two moons: bce {run.losses[0]:.3f} → {run.losses[-1]:.3f}, "
            f"accuracy {run.accuracy:.0%}"
        ],
    )


SECTIONS: list[tuple[str, Callable[[Path], Section]]] = [
    ("drawing the expression graphs", graphs_section),
    ("comparing autograd with the hand-derived deltas", comparison_section),
    ("reproducing Nielsen's learning slowdown", slowdown_section),
    ("training one network three ways", only_printed_section),
    ("computing the loss landscape", landscape_section),
    ("training the two-moons MLP", moons_section),
]


# --- HTML and figure helpers ------------------------------------------------------------


def _grid(axes) -> None:
    for ax in getattr(axes, "flat", axes):
        ax.grid(alpha=0.3)


def _new_figure(rows: int, columns: int, figsize: tuple[float, float], **options):
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(rows, columns, **options)


def _save(fig: Figure, out: Path, name: str) -> None:
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)


def _figure(src: str, caption: str) -> str:
    return (
        f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>\n"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>\n"
        for row in rows
    )
    return f"<table>\n<tr>{head}</tr>\n{body}</table>\n"


def _page(sections: list[Section]) -> str:
    contents = "".join(
        f'<li><a href="#s{i}">{html.escape(s.title)}</a></li>' for i, s in enumerate(sections, 1)
    )
    body = "".join(
        f'<section id="s{i}"><h2>{html.escape(s.title)}</h2>\n{s.text}\n'
        + "".join(_figure(*figure) for figure in s.figures)
        + f"{s.table}</section>\n"
        for i, s in enumerate(sections, 1)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>micrograd_xent tour: where the loss goes in backpropagation</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       line-height: 1.5; }}
img {{ max-width: 100%; }}
figcaption {{ color: #555; font-size: 0.9em; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #f3f3f3; }}
</style>
</head>
<body>
<h1>Where does the loss go in backpropagation?</h1>
<p>Everything below was computed by this run of <code>micrograd-xent tour</code>, with the
losses written only as forward expressions of <code>Value</code> operations.</p>
<ol>{contents}</ol>
{body}</body>
</html>
"""
