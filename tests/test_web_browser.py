"""The page in real headless Chromium: change a lever, run, read the numbers and charts, and
reopen the shared link. Skips without Chromium, unless ENFORCESIM_REQUIRE_BROWSER=1 (CI),
where a missing browser fails. A screenshot is kept in $ENFORCESIM_ARTIFACTS (default
tests/artifacts/, git-ignored)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")
sync_api = pytest.importorskip("playwright.sync_api")

from enforcesim.web import Settings  # noqa: E402
from web_support import NAME, ROOT, Server, settings, tiny_library  # noqa: E402

CHROMIUM = Path(os.environ.get("ENFORCESIM_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
ARTIFACTS = Path(os.environ.get("ENFORCESIM_ARTIFACTS", ROOT / "tests" / "artifacts"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("ENFORCESIM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"no Chromium at {CHROMIUM} and ENFORCESIM_REQUIRE_BROWSER=1")
        pytest.skip(f"no Chromium at {CHROMIUM}: install it (apt-get install chromium) to run")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("web")
    base = settings(tmp / "data", concurrent_jobs=2, threads_per_job=1)
    s = Settings(tmp / "data", tiny_library(tmp / "library"), precompute=False, limits=base.limits)
    with Server(s) as srv:
        yield srv


def finished(page: object) -> None:
    # Polled from Python: the page's CSP forbids the string evaluation of wait_for_function.
    sync_api.expect(page.locator("#status")).to_have_text(  # type: ignore[attr-defined]
        re.compile("^Done"), timeout=90_000
    )


def compare_cells(page: object, label: str) -> list[str]:
    row = page.locator("#compare tr", has_text=label).first  # type: ignore[attr-defined]
    return [c.split("\n")[0] for c in row.locator("td").all_inner_texts()]


def test_change_a_lever_run_and_share(browser: object, server: Server) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.url}/?scenario={NAME}")
    finished(page)
    # Change a lever with the keyboard: beds down to 30,000, then Enter runs.
    beds = page.get_by_label("Detention beds")
    beds.focus()
    beds.fill("30000")
    beds.press("Tab")
    page.get_by_label("Detention beds").press("Enter")
    page.wait_for_url(re.compile("beds=30000"))
    finished(page)
    assert "beds=30000" in page.url and f"scenario={NAME}" in page.url
    # The numbers on the page are the API's for the same request.
    import httpx

    body = {"library": NAME, "levers": {"beds": 30000}, "replicates": 4, "seed": 0}
    job = httpx.post(f"{server.url}/api/runs", json=body).json()
    assert job["cached"] is True
    summary = httpx.get(f"{server.url}/api/runs/{job['id']}").json()["summary"]
    unchanged, changed, _ = compare_cells(page, "Detained (mean)")
    assert changed == f"{summary['metrics']['detained']['mean']:,.0f}"
    assert changed != unchanged
    # Charts: drawn, labelled, with a data table.
    for key in ("arrests", "detained", "removals", "costs", "binding"):
        fig = page.locator(f"figure[data-chart={key}]")
        assert fig.locator("svg path").count() >= 2
        assert "mean" in (fig.locator("svg desc").text_content() or "") or key == "binding"
    assert page.locator("figure[data-chart=detained] details table tr").count() >= 2
    assert page.locator("#downloads a", has_text="daily.parquet").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-page.png"), full_page=True)
    # The shared link in a new page shows the same numbers.
    shared = browser.new_page()  # type: ignore[attr-defined]
    shared.goto(page.url)
    finished(shared)
    assert shared.get_by_label("Detention beds").input_value() == "30000"
    assert compare_cells(shared, "Detained (mean)")[1] == changed
    assert not errors


def test_phone_sized_screen(browser: object, server: Server) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 800})  # type: ignore[attr-defined]
    page.goto(f"{server.url}/?scenario={NAME}")
    finished(page)
    width = page.locator("html").evaluate("el => el.scrollWidth")
    assert width <= 390
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-phone.png"), full_page=True)


def test_bad_lever_value_shows_the_problem(browser: object, server: Server) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.url}/?scenario={NAME}&seats=-3")
    page.wait_for_selector("#errors:not([hidden])")
    assert "transport.seats_per_departure" in page.inner_text("#errors")
