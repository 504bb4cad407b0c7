"""The step-by-step page in a real browser: headless Chromium driven by Playwright.

The page is opened straight from disk, as a learner opens it, and read the way
they read it: the grads its nodes show at each step, the ledger line under the
graph. The browser comes from the ``browser`` fixture of conftest.py (skipped where
Chromium or Playwright is missing, except in CI).
"""

import math
import os
from pathlib import Path

import pytest
from test_steps import bce_neuron, four

from micrograd_xent import Value, backward_steps

# screenshots for a person to look at; a temporary folder unless SHOTS names one
SHOTS = Path(os.environ["SHOTS"]) if os.environ.get("SHOTS") else None


@pytest.fixture
def open_page(browser, tmp_path):
    """Opens a Steps' page from disk; records console errors and every request."""
    opened = []

    def open_(steps, **options):
        path = steps.save(tmp_path / f"page{len(opened)}.html", **options)
        page = browser.new_page(viewport={"width": 1400, "height": 800})
        page.errors, page.requests = [], []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("request", lambda r: page.requests.append(r.url))
        page.goto(path.as_uri())
        page.path = path
        opened.append(page)
        return page

    yield open_
    for page in opened:
        page.close()


def node_texts(page):
    """{label: [texts]} of every labelled node the page draws."""
    return page.evaluate(
        """() => {
          const out = {};
          document.querySelectorAll("g.node").forEach(g => {
            const texts = Array.from(g.querySelectorAll("text")).map(t => t.textContent);
            const bold = g.querySelector("text[font-weight=bold]");
            if (bold) out[bold.textContent] = texts;
          });
          return out;
        }"""
    )


def grad_shown(texts):
    return next(t[len("grad ") :] for t in texts if t.startswith("grad "))


def step_count(page):
    return page.locator(".mx-count").text_content()


def test_stepping_to_the_end_shows_the_grads_backward_gives(open_page):
    loss, v = bce_neuron()
    steps = backward_steps(loss)
    page = open_page(steps, deltas={v["z"]: v["a"].data - 1.0})
    assert step_count(page) == f"step 0 of {len(steps)}"
    for _ in range(len(steps)):
        page.keyboard.press("ArrowRight")
    assert step_count(page) == f"step {len(steps)} of {len(steps)}"
    page.keyboard.press("ArrowRight")  # past the end: stays there
    assert step_count(page) == f"step {len(steps)} of {len(steps)}"
    shown = node_texts(page)

    loss.backward()
    for name in ("w", "x", "b", "z", "a", "L"):
        assert grad_shown(shown[name]) == four(v[name].grad if name in v else loss.grad)
        assert float(grad_shown(shown[name])) == pytest.approx(
            v[name].grad if name in v else 1.0, rel=1e-3
        )
    # the hand-derived δ beside autograd's, as draw_dot shows it: a − 1 = −0.6682
    assert any("δ" in t and "ok" in t and four(v["a"].data - 1) in t for t in shown["z"])
    page.keyboard.press("Home")
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    shots = SHOTS or page.path.parent
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "steps_bce_step12.png"))
    assert page.errors == []
    assert page.requests == [page.path.as_uri()]


def test_stepping_back_to_the_start_shows_every_grad_but_the_roots_as_unknown(open_page):
    loss, v = bce_neuron()
    steps = backward_steps(loss)
    page = open_page(steps, deltas={v["z"]: v["a"].data - 1.0})
    page.keyboard.press("End")
    page.locator("[data-go=back]").click()
    assert step_count(page) == f"step {len(steps) - 1} of {len(steps)}"
    for _ in range(len(steps)):
        page.locator("[data-go=back]").click()
    assert step_count(page) == f"step 0 of {len(steps)}"
    shown = node_texts(page)
    assert grad_shown(shown["L"]) == "1.000"
    for name in ("w", "x", "b", "z", "a"):
        assert grad_shown(shown[name]) == "?"
    # the δ row: autograd's δ not known yet, and no verdict before it is
    [delta] = [t for t in shown["z"] if "δ" in t]
    assert "?" in delta and "ok" not in delta
    assert page.locator(".mx-line").text_content() == steps.text().splitlines()[0]
    assert page.errors == [] and page.requests == [page.path.as_uri()]


def test_each_step_shows_its_ledger_line_and_marks_its_node_edge_and_parent(open_page):
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    steps = backward_steps(y.tanh())
    page = open_page(steps)
    ledger = steps.text().splitlines()
    slider = page.locator("input[type=range]")
    for k in range(len(steps) + 1):
        slider.fill(str(k))  # moves the slider and fires its input event
        expected = ledger[0] if k == 0 else ledger[k].split(". ", 1)[1]  # "  1. " numbers it
        assert page.locator(".mx-line").text_content() == expected
        marked = page.evaluate(
            """() => ["mx-from", "mx-to", "mx-edge"].map(c =>
                 document.getElementsByClassName(c).length)"""
        )
        assert marked == ([0, 0, 0] if k == 0 else [2, 1, 1])  # node and its op; parent; edge
    # steps 2 and 3 are the two edges of x*x into x: two different edges are marked
    edges = []
    for k in (2, 3):
        slider.fill(str(k))
        edges.append(page.evaluate("() => document.querySelector('.mx-edge').id"))
    assert edges[0] != edges[1]
    assert grad_shown(node_texts(page)["x"]) == four(2 * 3.0 * (1 - math.tanh(9.0) ** 2))
    assert page.errors == []


def test_the_layout_stays_still_while_stepping(open_page):
    loss, _ = bce_neuron()
    steps = backward_steps(loss)
    page = open_page(steps)
    geometry = """() => Array.from(document.querySelectorAll("g.node, g.edge")).map(g =>
        Array.from(g.querySelectorAll("polygon, ellipse, path")).map(s =>
          s.getAttribute("points") || s.getAttribute("d") ||
          [s.getAttribute("cx"), s.getAttribute("cy")].join()).join(";"))"""
    size = "() => { const r = document.querySelector('svg').getBoundingClientRect(); return [r.width, r.height]; }"
    at_start = page.evaluate(geometry), page.evaluate(size)
    page.keyboard.press("End")
    assert (page.evaluate(geometry), page.evaluate(size)) == at_start


def test_play_runs_to_the_end(open_page):
    w, x = Value(-0.8, label="w"), Value(1.5, label="x")
    steps = backward_steps(w * x)
    page = open_page(steps)
    page.locator("[data-go=play]").click()
    page.wait_for_function(
        f"() => document.querySelector('.mx-count').textContent === 'step {len(steps)} of {len(steps)}'",
        timeout=10_000,
    )
    assert grad_shown(node_texts(page)["w"]) == "1.500"


def test_two_viewers_inline_in_one_notebook_page_step_independently(browser, tmp_path):
    x = Value(3.0, label="x")
    steps = backward_steps(x * x)
    notebook = tmp_path / "notebook.html"
    notebook.write_text(
        f"<!DOCTYPE html><meta charset=utf-8><body>{steps._repr_html_()}{steps._repr_html_()}",
        encoding="utf-8",
    )
    page = browser.new_page()
    errors, requests = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(notebook.as_uri())
    page.wait_for_function("() => document.querySelectorAll('iframe').length === 2")
    first, second = (frame for frame in page.frames if frame != page.main_frame)
    for frame in (first, second):
        frame.wait_for_selector(".mx-count")
    first.locator("[data-go=forward]").click()
    first.locator("[data-go=forward]").click()
    assert first.locator(".mx-count").text_content() == "step 2 of 2"
    assert second.locator(".mx-count").text_content() == "step 0 of 2"
    assert errors == [] and all(
        url == notebook.as_uri() or url.startswith("about:") for url in requests
    )
    page.close()
