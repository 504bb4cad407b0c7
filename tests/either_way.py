"""Sums written once for Values and for plain floats or torch tensors alike.

A test writes an expression once and evaluates it with the engine and with an
oracle; these send a sum of Values to the engine's one-node ``Value.sum`` and
``Value.dot``, and anything else to plain Python arithmetic.
"""

from micrograd_xent import Value


def total(terms):
    """Value.sum for Values; the built-in sum for floats and tensors."""
    return Value.sum(terms) if any(isinstance(t, Value) for t in terms) else sum(terms)


def dot(weights, inputs):
    """Value.dot for Values; a plain sum of products for floats and tensors."""
    if any(isinstance(t, Value) for t in weights + inputs):
        return Value.dot(weights, inputs)
    return sum(w * x for w, x in zip(weights, inputs))
