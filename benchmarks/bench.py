"""Speed of micrograd_xent against micrograd 0.1.0 and hand-written floats.

    python benchmarks/bench.py            # full run, about two minutes
    python benchmarks/bench.py --quick    # about twenty seconds

Three workloads, each engine measured in this one process, interleaved, with
the median and the min–max of several repetitions:

1. one SGD step of MLP(2, [16, 16, 1]) (ReLU hidden, linear output, mean
   squared error) over N two-moons points (``experiments.two_moons``), for
   micrograd_xent, micrograd and a hand-written plain-float step with
   hand-derived gradients — the floor for scalar Python. All three start from
   the same weights and must agree on the loss and every gradient before
   anything is timed;
2. a deep chain ``x = x*1.0001 + 0.001`` repeated D times, then backward: the
   time per node must not grow with D;
3. memory: bytes held per chain step, and whether a dropped graph is freed by
   reference counting alone.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

# benchmark the checkout this file sits in, installed or not
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micrograd_xent.engine import Value  # noqa: E402
from micrograd_xent.experiments import two_moons  # noqa: E402
from micrograd_xent.losses import mse  # noqa: E402
from micrograd_xent.nn import MLP  # noqa: E402

try:
    import micrograd.engine
    import micrograd.nn
except ImportError:
    micrograd = None

SIZES = [2, 16, 16, 1]
LR = 0.01
MEMORY_STEPS = 10**5


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- data and weights --------------------------------------------------------


def initial_weights(seed: int = 1) -> tuple[list, list]:
    """W[l][j][i]: layer l, neuron j, input i, uniform in [-1, 1]; biases 0."""
    rng = random.Random(seed)
    W = [
        [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        for nin, nout in zip(SIZES, SIZES[1:])
    ]
    B = [[0.0] * nout for nout in SIZES[1:]]
    return W, B


def flat(W: list, B: list) -> list[float]:
    """Weights in the order MLP.parameters() lists them: per neuron, w then b."""
    return [v for Wl, bl in zip(W, B) for row, b in zip(Wl, bl) for v in row + [b]]


# --- the three SGD steps ------------------------------------------------------


def float_gradients(W: list, B: list, X: list, Y: list) -> tuple[float, list, list]:
    """mse loss and its gradients by the textbook recursion, plain floats only."""
    last = len(W) - 1
    gW = [[[0.0] * len(row) for row in Wl] for Wl in W]
    gB = [[0.0] * len(bl) for bl in B]
    loss = 0.0
    for x, y in zip(X, Y):
        a, zs = [x], []
        for l, (Wl, bl) in enumerate(zip(W, B)):
            z = [sum([w * ai for w, ai in zip(row, a[l])]) + b for row, b in zip(Wl, bl)]
            zs.append(z)
            a.append(z if l == last else [zj if zj > 0.0 else 0.0 for zj in z])
        error = a[-1][0] - y
        loss += error * error
        delta = [2.0 * error / len(X)]  # ∂C/∂z of mse after a linear output
        for l in range(last, -1, -1):
            for j, d in enumerate(delta):
                gB[l][j] += d
                row = gW[l][j]
                for i, ai in enumerate(a[l]):
                    row[i] += d * ai
            if l:  # δ_{l-1} = (W_lᵀ δ_l) ⊙ relu'(z_{l-1})
                Wl = W[l]
                delta = [
                    sum([Wl[j][i] * d for j, d in enumerate(delta)]) if zi > 0.0 else 0.0
                    for i, zi in enumerate(zs[l - 1])
                ]
    return loss / len(X), gW, gB


def float_step(W: list, B: list, X: list, Y: list) -> float:
    loss, gW, gB = float_gradients(W, B, X, Y)
    for Wl, gWl, bl, gbl in zip(W, gW, B, gB):
        for row, grow in zip(Wl, gWl):
            for i, g in enumerate(grow):
                row[i] -= LR * g
        for j, g in enumerate(gbl):
            bl[j] -= LR * g
    return loss


def engine_model(make_mlp, weights: list[float]):
    model = make_mlp(SIZES[0], SIZES[1:])
    for p, w in zip(model.parameters(), weights):
        p.data = w
    return model


def xent_loss(model, X: list, Y: list) -> Value:
    return mse([model(x) for x in X], Y)


def micrograd_loss(model, X: list, Y: list):
    return sum((model(x) - y) ** 2 for x, y in zip(X, Y)) / len(X)


def engine_step(model, loss_fn, X: list, Y: list) -> float:
    loss = loss_fn(model, X, Y)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LR * p.grad
    return loss.data


def check_agreement(X: list, Y: list) -> None:
    """All engines give the same loss and gradients from the same weights."""
    W, B = initial_weights()
    loss, gW, gB = float_gradients(W, B, X, Y)
    expected = [loss] + flat(gW, gB)
    engines = [("micrograd_xent", MLP, xent_loss)]
    if micrograd:
        engines.append(("micrograd", micrograd.nn.MLP, micrograd_loss))
    for name, make_mlp, loss_fn in engines:
        model = engine_model(make_mlp, flat(W, B))
        out = loss_fn(model, X, Y)
        out.backward()
        got = [out.data] + [p.grad for p in model.parameters()]
        worst = max(abs(g - e) / max(1.0, abs(e)) for g, e in zip(got, expected))
        if worst > 1e-9:
            sys.exit(f"{name} disagrees with the hand-written gradients (error {worst:.2e})")
    progress(f"  N={len(X)}: loss and {len(expected) - 1} gradients agree to 1e-9")


# --- measuring ----------------------------------------------------------------


def timed(fn, collector: bool = True) -> float:
    """Seconds fn takes, after a full collection so no engine pays for another's garbage."""
    gc.collect()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


def summary(times: list[float]) -> tuple[float, float, float]:
    return statistics.median(times), min(times), max(times)


def fmt(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_spread(times: list[float], per: float = 1.0) -> str:
    med, lo, hi = summary(times)
    return f"{fmt(med / per)} ({fmt(lo / per)}–{fmt(hi / per)})"


def ratios(times: dict, slow: str, fast: str) -> str:
    """slow/fast as the ratio of the medians, and in brackets of the minima, the
    runs least disturbed by whatever else the machine was doing."""
    median = statistics.median(times[slow]) / statistics.median(times[fast])
    return f"{median:.1f}× ({min(times[slow]) / min(times[fast]):.1f}×)"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule] + [line(r) for r in rows])


# --- 1. MLP step ----------------------------------------------------------------


def bench_mlp(sizes: list[int], reps: int) -> tuple[str, dict]:
    """The table, and the median times at each N by engine."""
    rows, medians = [], {}
    for n in sizes:
        X, Y = two_moons(n)
        check_agreement(X, Y)
        W, B = initial_weights()
        steps = {
            "float": lambda: float_step(W, B, X, Y),
            "xent": lambda m=engine_model(MLP, flat(W, B)): engine_step(m, xent_loss, X, Y),
        }
        if micrograd:
            model = engine_model(micrograd.nn.MLP, flat(W, B))
            steps["micrograd"] = lambda: engine_step(model, micrograd_loss, X, Y)
        times = {name: [] for name in steps}
        names = list(steps)
        for rep in range(reps):
            progress(f"  MLP step N={n}: repetition {rep + 1}/{reps}")
            # rotate who goes first: no engine always runs in the heap the same other left behind
            for name in names[rep % len(names) :] + names[: rep % len(names)]:
                times[name].append(timed(steps[name]))
        medians[n] = {name: statistics.median(t) for name, t in times.items()}
        mg = times.get("micrograd")
        rows.append(
            [
                str(n),
                fmt_spread(times["float"]),
                fmt_spread(times["xent"]),
                fmt_spread(mg) if mg else "not installed",
                ratios(times, "xent", "float"),
                ratios(times, "micrograd", "xent") if mg else "—",
            ]
        )
    header = [
        "N",
        "hand-written floats",
        "micrograd_xent",
        "micrograd 0.1.0",
        "xent / floats",
        "micrograd / xent",
    ]
    return table(header, rows), medians


# --- 2. deep chain ----------------------------------------------------------------


def chain(make, depth: int):
    x = make(1.0)
    for _ in range(depth):
        x = x * 1.0001 + 0.001
    return x


def bench_chain(depths: list[int], reps: int) -> tuple[str, dict]:
    """The table, and micrograd_xent's median backward time per node at each D.

    The build is timed twice: as users run it, and with the cyclic collector
    off, which shows how much of its growth with D is the collector scanning
    the ever larger graph rather than the engine's own work.
    """
    engines = [("micrograd_xent", Value)]
    if micrograd:
        engines.append(("micrograd", micrograd.engine.Value))
    rows, backward, failed = [], {}, set()
    for depth in depths:
        nodes = 2 * depth  # one * and one + per step
        for name, make in engines:
            if name in failed:
                rows.append(
                    [f"{depth:.0e}", name, "not run: RecursionError at a smaller D", "", "", ""]
                )
                continue
            build, build_gc_off, back, error = [], [], [], ""
            for rep in range(reps):
                progress(f"  chain D={depth:.0e} {name}: repetition {rep + 1}/{reps}")
                graph = []
                build_gc_off.append(
                    timed(lambda: graph.append(chain(make, depth)), collector=False)
                )
                graph.clear()
                build.append(timed(lambda: graph.append(chain(make, depth))))
                try:
                    back.append(timed(graph[0].backward))
                except RecursionError:
                    error = "RecursionError"
                    failed.add(name)
                    break
                finally:
                    graph.clear()
            if not error and name == "micrograd_xent":
                backward[depth] = statistics.median(back) / nodes
            rows.append(
                [
                    f"{depth:.0e}",
                    name,
                    fmt_spread(build, nodes),
                    fmt_spread(build_gc_off, nodes),
                    error or fmt_spread(back, nodes),
                    f"{backward[depth] / backward[depths[0]]:.2f}×"
                    if name == "micrograd_xent"
                    else "",
                ]
            )
    header = [
        "D",
        "engine",
        "build per node",
        "build, gc off",
        "backward per node",
        f"backward vs D={depths[0]:.0e}",
    ]
    return table(header, rows), backward


# --- 3. memory --------------------------------------------------------------------


def held_bytes(make, depth: int) -> tuple[int, int | None]:
    """Bytes held by a chain's graph, before and after backward (None: it failed)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    root = chain(make, depth)
    before = tracemalloc.get_traced_memory()[0] - base
    try:
        root.backward()
        after = tracemalloc.get_traced_memory()[0] - base
    except RecursionError:
        after = None
    tracemalloc.stop()
    return before, after


def bytes_per_step(make, depth: int) -> tuple[float, float | None]:
    """What one more chain step holds: the growth from D to 2D steps, over D,
    so that what does not grow with D (the leaf, the root) is left out."""
    small, large = held_bytes(make, depth), held_bytes(make, 2 * depth)
    per_step = [None if a is None else (b - a) / depth for a, b in zip(small, large)]
    return per_step[0], per_step[1]


def freed_by_refcount(make, depth: int) -> tuple[int, int]:
    """Drop a graph with the cyclic collector off: bytes still held (CPython's
    free lists keep ~100 kB whatever D is), and how many objects gc.collect()
    then finds."""
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        root = chain(make, depth)
        try:
            root.backward()
        except RecursionError:
            pass
        del root
        left = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        return left, gc.collect()
    finally:
        gc.enable()


def bench_memory(depth: int) -> tuple[str, dict]:
    """The table, and micrograd_xent's (before, after, left, found)."""
    engines = [("micrograd_xent", Value)]
    if micrograd:
        engines.append(("micrograd", micrograd.engine.Value))
    rows, results = [], {}
    for name, make in engines:
        progress(f"  memory D={depth:.0e} {name}")
        before, after = bytes_per_step(make, depth)
        left, found = freed_by_refcount(make, depth)
        results[name] = before, after, left, found
        rows.append(
            [
                name,
                f"{before:.1f}",
                "RecursionError" if after is None else f"{after:.1f}",
                f"{left / 1000:,.0f} kB",
                str(found),
            ]
        )
    header = [
        "engine",
        "per step",
        "after backward",
        "held after del, gc off",
        "gc.collect() then finds",
    ]
    return table(header, rows), results["micrograd_xent"]


def targets(mlp: dict, backward: dict, memory: tuple) -> str:
    """The project's speed and memory targets, each with its number from this run."""
    lines = []

    def check(ok: bool, text: str) -> None:
        lines.append(f"- [{'x' if ok else ' '}] {text}")

    if 64 in mlp:
        m = mlp[64]
        ratio = m["xent"] / m["float"]
        check(ratio <= 5, f"MLP step N=64 ≤ 5× the hand-written float step: {ratio:.1f}×")
        if "micrograd" in m:
            ratio = m["micrograd"] / m["xent"]
            check(ratio >= 20, f"MLP step N=64 ≥ 20× faster than micrograd: {ratio:.1f}×")
    before, after, left, found = memory
    check(
        before <= 450,
        f"≤ 450 bytes per chain step (measured as micrograd's 2,336): {before:.0f}; "
        f"after backward, with every grad its own float: {after:.0f}",
    )
    check(
        found == 0 and left < 0.01 * before * MEMORY_STEPS,
        f"a dropped graph is freed by reference counting: {left / 1000:.0f} kB of "
        f"{before * MEMORY_STEPS / 1e6:.0f} MB still held, "
        f"gc.collect() finds {found}",
    )
    small, large = 10**3, max(backward)
    lines.append(
        f"- (measured, not a target) backward per node at D={large:.0e} is "
        f"{backward[large] / backward[small]:.2f}× that at D={small:.0e}: the visited set "
        "that keeps backward() stateless is looked up all over memory in a large graph"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes and repetitions")
    args = parser.parse_args()
    if micrograd is None:
        print("micrograd is not installed; to compare with it: pip install -e '.[bench]'")
    mlp_sizes, mlp_reps = ([16, 64], 5) if args.quick else ([16, 64, 256], 11)
    depths = [10**3, 10**4, 10**5] + ([] if args.quick else [10**6])
    chain_reps = 3 if args.quick else 5

    progress("MLP step")
    mlp, mlp_medians = bench_mlp(mlp_sizes, mlp_reps)
    progress("deep chain")
    deep, backward = bench_chain(depths, chain_reps)
    progress("memory")
    memory, memory_numbers = bench_memory(MEMORY_STEPS)

    print(
        f"Python {sys.version.split()[0]}; times are median (min–max); ratios of medians (of minima)"
    )
    print(
        f"\nOne SGD step of MLP(2, [16, 16, 1]), mse, over N two-moons points, {mlp_reps} repetitions\n"
    )
    print(mlp)
    print(
        f"\nChain x = x*1.0001 + 0.001 of D steps (2D nodes), then backward, {chain_reps} repetitions\n"
    )
    print(deep)
    print(
        f"\nMemory per chain step (tracemalloc: growth from {MEMORY_STEPS:.0e} to twice that), bytes\n"
    )
    print(memory)
    print("\nTargets\n")
    print(targets(mlp_medians, backward, memory_numbers))


if __name__ == "__main__":
    main()
