"""``micrograd-xent tour`` end to end: the report, its files and its numbers."""

import contextlib
import io
import re
from html.parser import HTMLParser

import pytest

from micrograd_xent import experiments as ex
from micrograd_xent.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """One run of the command into a fresh folder: (folder, exit status, stdout, stderr)."""
    out = tmp_path_factory.mktemp("tour") / "report"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["tour", "--out", str(out)])
    return out, status, stdout.getvalue(), stderr.getvalue()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.files = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and not value.startswith("#"):
                self.files.append(value)


def referenced_files(index):
    parser = Links()
    parser.feed(index.read_text(encoding="utf-8"))
    return parser.files


def test_tour_exits_0_and_prints_the_path_of_index_html(tour):
    out, status, stdout, _ = tour
    assert status == 0
    assert str((out / "index.html").resolve()) in stdout


def test_tour_writes_every_file_index_html_references(tour):
    out = tour[0]
    files = referenced_files(out / "index.html")
    assert {"slowdown.png", "only_printed.png", "landscape.png", "moons.png"} <= set(files)
    for name in files:
        path = out / name
        assert path.is_file(), f"index.html shows {name}, which was not written"
        if name.endswith(".png"):
            assert path.read_bytes().startswith(PNG_SIGNATURE)
            assert path.stat().st_size > 10_000, f"{name} looks empty"


def test_tour_prints_the_summary_with_the_slowdown_figures(tour):
    out, _, stdout, _ = tour
    assert stdout.startswith((out / "summary.txt").read_text(encoding="utf-8"))
    quadratic_saturated = ex.learning_slowdown()[1]
    assert quadratic_saturated.start == (2.0, 2.0)
    epoch = ex.first_epoch_below(quadratic_saturated.outputs, 0.5)
    start = quadratic_saturated.outputs[0]
    assert f"slowdown: quadratic from (w, b) = (2.0, 2.0): output {start:.3f} → " in stdout
    assert f"below 0.5 at epoch {epoch}" in stdout


def test_tour_shows_progress_on_stderr_as_a_step_counter(tour):
    steps = re.findall(r"^\[(\d+)/(\d+)\] ", tour[3], flags=re.MULTILINE)
    total = int(steps[0][1])
    assert [int(k) for k, _ in steps] == list(range(1, total + 1))


def test_report_text_quotes_the_runs_numbers(tour):
    page = (tour[0] / "index.html").read_text(encoding="utf-8")
    runs = ex.learning_slowdown()
    assert f"outputs {runs[1].outputs[0]:.2f}" in page  # 0.98, Nielsen's saturated start
    for run in runs:
        assert f"<td>{run.outputs[0]:.3f}</td>" in page
        assert f"<td>{run.outputs[-1]:.3f}</td>" in page
    assert "{" not in page.split("</style>")[1], "an unformatted placeholder in the text"


def test_tour_into_a_path_that_is_a_file_exits_2_with_one_line(tmp_path, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    assert main(["tour", "--out", str(blocker)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("micrograd-xent: error: tour: cannot write the report to")
