"""The tour section "The curvature of each loss": its files, and text whose
numbers come from the run (checked here against formulas written out)."""

import math

import pytest

from micrograd_xent import experiments as ex
from micrograd_xent.tour_sections_pending.curvature import curvature_section


@pytest.fixture(scope="module")
def section(tmp_path_factory):
    out = tmp_path_factory.mktemp("curvature")
    title, body, files = curvature_section(out)
    return out, title, body, files


def test_section_writes_the_three_figures_it_shows(section):
    out, title, body, files = section
    assert "curvature" in title.lower()
    assert files == ["curvature.png", "curvature_landscape.png", "newton.png"]
    for name in files:
        assert (out / name).read_bytes().startswith(b"\x89PNG")
        assert f'<img src="{name}"' in body


def test_section_text_gives_the_sign_change_at_ln2_and_the_curvature_at_z_4(section):
    _, _, body, _ = section
    assert f"above {math.log(2):.4f}" in body
    a = 1 / (1 + math.exp(-4.0))
    s1 = a * (1 - a)
    assert f"at z = 4 the curvature is {s1 * s1 + a * s1 * (1 - 2 * a):.4f}" in body


def test_section_text_quotes_the_newton_runs(section):
    _, _, body, _ = section
    runs = {(r.cost, r.method): r for r in ex.newton_vs_gradient_descent()}
    climb = " → ".join(f"{v:.3f}" for v in runs["quadratic", "Newton"].outputs[:5])
    assert climb in body and "0.982 → 0.994" in climb
    assert f"{runs['bce', 'Newton'].outputs[1]:.1e} in a single step" in body
    assert "below 0.2 at step 4" in body
