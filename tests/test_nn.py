"""Neuron, Layer, MLP and SGD: micrograd's shapes and defaults, the named
activations, reproducible initialisation, and a network that learns.

The oracle for a forward pass is the same network computed by hand in plain
floats from its weights.
"""

import math
import random

import pytest

from micrograd_xent import Value
from micrograd_xent.losses import mse
from micrograd_xent.nn import MLP, SGD, Layer, Neuron, activation_function, weighted_input

FORMULAS = {
    "relu": lambda z: max(z, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "linear": lambda z: z,
}
INPUTS = [[0.7, -1.1], [-0.3, 0.4], [1.5, 2.0], [-2.0, -0.5]]


def pre_activation(neuron, x):
    return sum(w.data * xi for w, xi in zip(neuron.w, x)) + neuron.b.data


def by_hand(model, x, activations):
    """The forward pass in floats, with one activation name per layer."""
    for layer, name in zip(model.layers, activations):
        x = [FORMULAS[name](pre_activation(n, x)) for n in layer.neurons]
    return x


def data(out):
    return [v.data for v in out] if isinstance(out, list) else [out.data]


def set_weights(neuron, w, b):
    for wi, value in zip(neuron.w, w):
        wi.data = value
    neuron.b.data = b


# --- shapes --------------------------------------------------------------------


def test_mlp_2_3_1_has_13_parameters_and_returns_a_single_value():
    model = MLP(2, [3, 1])
    assert len(model.parameters()) == 13  # (2 + 1)·3 + (3 + 1)·1
    assert all(isinstance(p, Value) for p in model.parameters())
    assert isinstance(model([1.0, -2.0]), Value)


def test_a_last_layer_of_several_neurons_returns_a_list():
    out = MLP(2, [3, 2])([1.0, -2.0])
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, Value) for v in out)


def test_layer_of_one_neuron_returns_a_single_value():
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    assert len(Layer(2, 3)([1.0, 2.0])) == 3


def test_a_hidden_layer_of_one_neuron_still_feeds_the_next_layer():
    model = MLP(2, [1, 2], seed=0)
    x = [0.7, -1.1]
    assert data(model(x)) == pytest.approx(by_hand(model, x, ["relu", "linear"]), rel=1e-13)


def test_an_mlp_called_on_values_passes_gradients_back_to_its_inputs():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    xs = [Value(0.7), Value(-1.1)]
    out = model(xs)
    out.backward()
    assert out.data == model([0.7, -1.1]).data
    # ∂out/∂x₀ = Σⱼ vⱼ·tanh'(zⱼ)·wⱼ₀ for the linear output weights vⱼ
    hidden, (output,) = model.layers[0].neurons, model.layers[1].neurons
    slopes = [1 - math.tanh(pre_activation(n, [0.7, -1.1])) ** 2 for n in hidden]
    expected = sum(v.data * s * n.w[0].data for v, s, n in zip(output.w, slopes, hidden))
    assert xs[0].grad == pytest.approx(expected, rel=1e-12)


def test_initial_weights_lie_in_minus_1_to_1_and_biases_are_zero():
    model = MLP(3, [5, 4, 1], seed=0)
    for layer in model.layers:
        for n in layer.neurons:
            assert all(-1.0 <= w.data <= 1.0 for w in n.w)
            assert n.b.data == 0.0


def test_a_neuron_called_with_the_wrong_number_of_inputs_raises():
    with pytest.raises(ValueError, match="Neuron"):
        Neuron(3)([1.0, 2.0])


# --- activations -------------------------------------------------------------


def test_default_mlp_is_relu_hidden_and_linear_output_like_micrograd():
    model = MLP(2, [4, 3, 2], seed=1)
    for n in model.layers[0].neurons:  # biases make some hidden units dead, some alive
        n.b.data = 0.3
    model.layers[0].neurons[0].b.data = -5.0
    for x in INPUTS:
        assert data(model(x)) == pytest.approx(
            by_hand(model, x, ["relu", "relu", "linear"]), rel=1e-13
        )
    # the check above would not notice a wrong activation unless these happen
    assert any(by_hand(model, x, ["linear"])[0] < 0 for x in INPUTS)
    assert any(v < 0 for x in INPUTS for v in by_hand(model, x, ["relu", "relu", "linear"]))


@pytest.mark.parametrize(
    "nonlin, z, expected", [(True, -1.5, 0.0), (True, 2.0, 2.0), (False, -1.5, -1.5)]
)
def test_neuron_accepts_micrograds_nonlin_flag(nonlin, z, expected):
    n = Neuron(1, nonlin=nonlin)
    set_weights(n, [1.0], 0.0)
    assert n([z]).data == expected


def test_layer_accepts_micrograds_nonlin_flag():
    x = [1.0, 3.0]
    for nonlin, name in [(True, "relu"), (False, "linear")]:
        layer = Layer(2, 3, nonlin=nonlin)
        for n, b in zip(layer.neurons, [-5.0, 0.0, 5.0]):
            n.b.data = b
        assert data(layer(x)) == pytest.approx(
            [FORMULAS[name](pre_activation(n, x)) for n in layer.neurons], rel=1e-13
        )


@pytest.mark.parametrize("name", sorted(FORMULAS))
@pytest.mark.parametrize("z", [-1.7, 0.6])
def test_neuron_applies_the_named_activation(name, z):
    n = Neuron(2, activation=name)
    set_weights(n, [1.0, 2.0], z - 3.0)
    assert n([1.0, 1.0]).data == pytest.approx(FORMULAS[name](z), rel=1e-13)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_layer_applies_the_named_activation_to_every_neuron(name):
    layer = Layer(2, 3, activation=name)
    x = [0.8, -1.9]
    assert data(layer(x)) == pytest.approx(
        [FORMULAS[name](pre_activation(n, x)) for n in layer.neurons], rel=1e-13
    )


def test_mlp_uses_activation_for_hidden_layers_and_output_activation_for_the_last():
    model = MLP(2, [4, 3, 2], activation="tanh", output_activation="sigmoid", seed=2)
    for x in INPUTS:
        assert data(model(x)) == pytest.approx(
            by_hand(model, x, ["tanh", "tanh", "sigmoid"]), rel=1e-13
        )


def test_activation_wins_over_nonlin_when_both_are_given():
    n = Neuron(1, nonlin=True, activation="linear")
    set_weights(n, [1.0], 0.0)
    assert n([-2.0]).data == -2.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Neuron(2, activation="gelu"),
        lambda: Layer(2, 2, activation="gelu"),
        lambda: MLP(2, [2, 1], activation="gelu"),
        lambda: MLP(2, [2, 1], output_activation="gelu"),
    ],
    ids=["Neuron", "Layer", "MLP activation", "MLP output_activation"],
)
def test_unknown_activation_raises_value_error_naming_it_and_the_choices(make):
    with pytest.raises(ValueError, match="gelu") as info:
        make()
    assert all(name in str(info.value) for name in FORMULAS)


# --- initialisation ------------------------------------------------------------


def weights(model):
    return [p.data for p in model.parameters()]


def test_the_same_seed_gives_the_same_network():
    assert weights(MLP(2, [4, 1], seed=3)) == weights(MLP(2, [4, 1], seed=3))
    assert weights(MLP(2, [4, 1], seed=3)) != weights(MLP(2, [4, 1], seed=4))


def test_a_seed_leaves_the_global_random_state_alone():
    state = random.getstate()
    MLP(2, [4, 1], seed=3)
    assert random.getstate() == state


# --- training --------------------------------------------------------------------


def test_zero_grad_sets_every_parameter_grad_to_zero():
    model = MLP(2, [3, 3, 1], activation="tanh", seed=0)
    for part in (model.layers[0].neurons[0], model.layers[1], model):
        mse(model([0.5, -0.5]), 1.0).backward()
        assert any(p.grad != 0.0 for p in part.parameters())
        part.zero_grad()
        assert all(p.grad == 0.0 for p in part.parameters())


def test_sgd_step_moves_each_parameter_by_minus_lr_times_grad():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    mse(model([0.5, -0.5]), 1.0).backward()
    before = [(p.data, p.grad) for p in model.parameters()]
    opt = SGD(model.parameters(), lr=0.1)
    opt.step()
    assert weights(model) == [d - 0.1 * g for d, g in before]
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_sgd_on_xor_reduces_the_loss_substantially():
    rng = random.Random(0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(24)]
    ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]  # XOR of the signs: not linearly separable
    model = MLP(2, [8, 8, 1], activation="tanh", output_activation="tanh", seed=2)
    opt = SGD(model.parameters(), lr=0.5)
    history = []
    for _ in range(80):
        loss = mse([model(x) for x in xs], ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        history.append(loss.data)
    assert history[-1] < 0.2 * history[0]


@pytest.mark.parametrize("make", [lambda: Neuron(3, "tanh"), lambda: Neuron(3, nonlin="tanh")])
def test_an_activation_name_in_micrograds_nonlin_place_is_honoured(make):
    assert make().activation == "tanh"


def test_a_layer_takes_an_activation_name_positionally():
    assert all(n.activation == "sigmoid" for n in Layer(2, 3, "sigmoid").neurons)


def test_an_unknown_name_in_the_nonlin_place_is_a_value_error():
    with pytest.raises(ValueError, match="unknown activation 'tnah'"):
        Neuron(3, "tnah")


def test_a_one_input_network_takes_a_bare_number():
    model = MLP(1, [3, 1], seed=0)
    assert model(0.5).data == model([0.5]).data


# --- the shared forward step: weighted_input and activation_function -----------------------------


@pytest.mark.parametrize("name", sorted(FORMULAS))
@pytest.mark.parametrize("z", [-2.5, 0.0, 0.8])
def test_activation_function_maps_each_name_to_its_formula(name, z):
    x = Value(z)
    out = activation_function(name)(x)
    assert out.data == pytest.approx(FORMULAS[name](z), rel=1e-15)
    assert out is x if name == "linear" else out._prev == (x,)


@pytest.mark.parametrize("name", ["softmax", "gelu", "Tanh"])
def test_activation_function_refuses_a_name_that_is_no_elementwise_activation(name):
    with pytest.raises(ValueError, match=f"unknown activation '{name}'; choose one of relu"):
        activation_function(name)


def test_weighted_input_is_the_dot_product_plus_the_bias_in_two_nodes():
    w, b = [Value(0.5), Value(-2.0)], Value(0.25)
    z = weighted_input(w, b, [3.0, Value(1.5)])
    assert z.data == 0.5 * 3.0 - 2.0 * 1.5 + 0.25
    assert z._op == "+" and z._prev[0]._op == "dot"


def test_a_neuron_is_three_nodes_dot_plus_bias_and_activation():
    neuron = Neuron(3, activation="sigmoid", rng=random.Random(1))
    out = neuron([1.0, 2.0, 3.0])
    assert out._op == "sigmoid"
    assert out._prev[0]._op == "+" and out._prev[0]._prev[0]._op == "dot"


@pytest.mark.parametrize("bad", [None, "ab", object()])
def test_an_input_that_is_no_list_is_a_type_error_naming_the_neuron(bad):
    with pytest.raises(TypeError, match="Neuron: expected a list of 2 inputs"):
        MLP(2, [3, 1], seed=0)(bad)


def test_nouts_that_is_no_list_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match="MLP: nouts must be a list of layer sizes"):
        MLP(2, 3)
