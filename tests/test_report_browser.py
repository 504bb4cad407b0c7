"""The report as a learner sees it: index.html in headless Chromium at 1280 × 800.

Every image loads, every link leads somewhere, nothing logs an error, nothing
needs scrolling sideways, and the first screen holds the answer: the δ_L table,
the BCE neuron's graph and the slowdown plot.
"""

import shutil
from urllib.parse import unquote, urlparse

import pytest

SCREEN = {"width": 1280, "height": 800}

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


@pytest.fixture(scope="module")
def report_page(browser, tour):
    """index.html loaded in a 1280 × 800 window, with the errors it logged."""
    page = browser.new_page(viewport=SCREEN)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"failed to load {request.url}"))
    page.goto((tour[0] / "index.html").resolve().as_uri())
    page.wait_for_load_state("load")
    yield page, errors
    page.close()


def test_the_page_loads_without_an_error(report_page):
    _, errors = report_page
    assert errors == []


def test_every_image_loads(report_page):
    page, _ = report_page
    images = page.eval_on_selector_all(
        "img", "images => images.map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    assert len(images) >= 6
    for src, complete, width in images:
        assert complete and width > 0, f"{src} did not load"


def test_every_link_leads_to_a_file_or_an_anchor_on_the_page(report_page, tour):
    page, _ = report_page
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    ids = set(page.eval_on_selector_all("[id]", "nodes => nodes.map(n => n.id)"))
    assert hrefs
    for href in hrefs:
        target = urlparse(href)
        assert target.scheme in ("", "file"), f"{href} leaves the report"
        if href.startswith("#"):
            assert href[1:] in ids, f"{href}: no such anchor"
        else:
            assert (tour[0] / unquote(target.path)).is_file(), f"{href}: no such file"


def test_nothing_needs_scrolling_sideways(report_page):
    page, _ = report_page
    assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    too_wide = page.eval_on_selector_all(
        "img, table",
        f"nodes => nodes.filter(n => n.getBoundingClientRect().right > {SCREEN['width']})"
        ".map(n => n.getAttribute('src') || n.tagName)",
    )
    assert too_wide == []


def on_first_screen(page, selector):
    """Whether the element ``selector`` finds is wholly inside the first 1280 × 800."""
    box = page.locator(selector).first.bounding_box()
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= SCREEN["width"]
        and box["y"] + box["height"] <= SCREEN["height"]
    )


def test_the_first_screen_shows_the_output_deltas_and_the_slowdown(report_page, tmp_path):
    page, _ = report_page
    page.screenshot(path=tmp_path / "first-screen.png")  # what a learner sees first
    assert on_first_screen(page, ".answer table")
    assert "bce + sigmoid" in page.locator(".answer table").inner_text()
    assert on_first_screen(page, 'img[src="slowdown.png"]')


@needs_dot
def test_the_first_screen_shows_the_bce_neuron_graph(report_page):
    page, _ = report_page
    assert on_first_screen(page, 'img[src="neuron_bce.svg"]')
