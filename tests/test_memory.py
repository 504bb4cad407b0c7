"""A dropped graph is freed by reference counting alone.

No node refers back to itself (no closures, parents only point to older
nodes), so with the cyclic garbage collector switched off, ``del`` of the
root frees the whole graph at once and ``gc.collect()`` has nothing left to find.
"""

import gc

import pytest

from micrograd_xent import Value
from micrograd_xent.losses import mse
from micrograd_xent.nn import MLP


def live_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is Value)


@pytest.fixture
def gc_off():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def every_op(x: Value, y: Value) -> Value:
    terms = [x + y, x - y, 2 - x, -x, x * y, 3 * x, x / y, 1 / y, x**2, y**x, x**y]
    terms += [x.exp(), y.log(), x.tanh(), x.sigmoid(), (x - y).relu()]
    return Value.sum(terms + [1.5])


def test_dropped_graph_of_every_op_is_freed_without_the_cycle_collector(gc_off):
    before = live_values()
    x, y = Value(0.5, label="x"), Value(2.0, label="y")
    out = every_op(x, y)
    out.backward()
    del x, y, out
    assert live_values() == before
    assert gc.collect() == 0


def test_training_step_leaves_only_the_parameters_behind(gc_off):
    model = MLP(2, [4, 4, 1], seed=0)
    before = live_values()
    loss = mse([model([0.5, -1.0]), model([1.0, 2.0])], [1.0, -1.0])
    loss.backward()
    del loss
    assert live_values() == before
    assert gc.collect() == 0


def test_deep_chain_is_freed_without_recursion_trouble(gc_off):
    before = live_values()
    x = Value(1.0)
    for _ in range(100_000):
        x = x * 1.0001 + 0.001
    x.backward()
    del x
    assert live_values() == before
    assert gc.collect() == 0
