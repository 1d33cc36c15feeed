"""The Storm explorer in a real headless Chromium: pick an event, see its map and play the animation."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import offline_page
from .test_storm_explorer import write_tiny_sevir

# The player's current frame: the title plotly shows (it names the frame's minute offset) and a
# checksum of the heatmap it draws now.
_PLAYER_STATE_JS = """() => {
    const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
    const player = plots.find(el => (el.data || []).some(t => t.type === 'heatmap'));
    if (!player) return null;
    const flat = a => (a !== null && typeof a === 'object' && a.length !== undefined)
        ? Array.from(a).flatMap(flat) : [a];
    let sum = 0;
    for (const v of flat(player.data[0].z)) sum = (sum * 31 + Number(v)) % 1000000007;
    return JSON.stringify({title: player.layout.title.text, sum: sum});
}"""


_ROW_PX = 35  # height of a header or body row of st.dataframe's grid


@pytest.fixture
def storm_server(tmp_path: Path, monkeypatch, request) -> str:
    """The app served over the tiny SEVIR-format dataset (as the embedded demo)."""
    write_tiny_sevir(tmp_path / "demo" / "sevir")
    monkeypatch.setenv("EFS_DEMO_DIR", str(tmp_path / "demo"))  # inherited by the server process
    monkeypatch.delenv("EFS_SEVIR_ROOTS", raising=False)
    monkeypatch.delenv("EFS_CONFIG", raising=False)
    return request.getfixturevalue("streamlit_server")


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_storm_explorer_selects_an_event_and_plays_it(chromium: Path, storm_server: str, tmp_path: Path):
    from playwright.sync_api import expect

    with offline_page(chromium, storm_server, height=2400) as (page, outside):
        expect(page.get_by_role("heading", name="Earth Forecast Studio")).to_be_visible(timeout=30_000)

        page.locator('[data-testid="stSidebarNav"] a', has_text="Storm explorer").click()
        expect(page.get_by_role("heading", name="Storm explorer")).to_be_visible(timeout=30_000)
        expect(page.locator(".js-plotly-plot")).to_have_count(2, timeout=30_000)  # player + stats

        # select the third row of the event table (a canvas grid: click its row-selection cell)
        grid = page.locator('[data-testid="stDataFrame"]').bounding_box()
        page.mouse.click(grid["x"] + 15, grid["y"] + _ROW_PX * 3 + _ROW_PX / 2)  # header, S1001, S1002, S1003
        expect(page.get_by_role("heading", name="S1003 · Flash Flood", exact=False)).to_be_visible(timeout=30_000)
        # and the event selector: S1002, then back to S1003
        page.get_by_label("Event", exact=True).click()
        page.get_by_role("option", name="S1002").click()
        expect(page.get_by_role("heading", name="S1002 · Tornado", exact=False)).to_be_visible(timeout=30_000)
        page.get_by_label("Event", exact=True).click()
        page.get_by_role("option", name="S1003").click()
        expect(page.get_by_role("heading", name="S1003 · Flash Flood", exact=False)).to_be_visible(timeout=30_000)
        map_image = page.locator('[data-testid="stImage"] img')
        expect(map_image).to_have_count(1, timeout=30_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 300", arg=map_image.element_handle(),
                               timeout=30_000)  # the PNG may still be loading on a busy machine
        page.wait_for_function(f"() => (({_PLAYER_STATE_JS})() || '').includes('S1003')", timeout=30_000)
        before = page.evaluate(_PLAYER_STATE_JS)
        assert '-120 min' in before

        play = page.locator(".updatemenu-item-text", has_text="Play")
        expect(play).to_have_count(1, timeout=30_000)  # under load a stale player may linger during a rerun
        play.click()
        page.wait_for_function(f"prev => ({_PLAYER_STATE_JS})() !== prev", arg=before, timeout=15_000)
        page.wait_for_timeout(600)  # a few more frames at ~100 ms each
        page.locator(".updatemenu-item-text", has_text="Pause").click()
        after = page.evaluate(_PLAYER_STATE_JS)
        assert after != before and '-120 min' not in after

        assert not outside, f"the app fetched from outside: {sorted(set(outside))}"
        page.screenshot(path=str(tmp_path / "storm_explorer.png"))
        if os.environ.get("EFS_SCREENSHOT_STORMS"):  # e.g. EFS_SCREENSHOT_STORMS=/tmp/storms.png
            page.screenshot(path=os.environ["EFS_SCREENSHOT_STORMS"])
