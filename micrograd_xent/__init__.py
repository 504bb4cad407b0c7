"""micrograd_xent: a tiny scalar autograd engine that shows where the loss goes in backprop.

>>> from micrograd_xent import Value
>>> x = Value(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)  # 2x · (1 − tanh²(x²))
0.005364
"""

from .engine import Value, grad

__all__ = ["Value", "backward_steps", "draw_dot", "grad"]
__version__ = "0.1.0"


def __getattr__(name: str):
    # graphviz is imported only when a drawing is asked for
    if name == "draw_dot":
        from .graph import draw_dot

        return draw_dot
    if name == "backward_steps":
        from .steps import backward_steps

        return backward_steps
    raise AttributeError(f"module 'micrograd_xent' has no attribute {name!r}")
