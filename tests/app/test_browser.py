"""The app in a real headless Chromium: Home loads, the Cuboid attention page draws and reacts."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import offline_page

# Plotly's own data of every 3D view on the page, as JSON (typed arrays become plain lists).
_PLOT_DATA_JS = """() => JSON.stringify(
    Array.from(document.querySelectorAll('.js-plotly-plot')).map(
        el => (el.data || []).map(t => ({
            type: t.type, name: t.name, opacity: t.opacity,
            x: Array.from(t.x || []), y: Array.from(t.y || []), z: Array.from(t.z || []),
        }))
    )
)"""

_CHANGED_JS = f"previous => ({_PLOT_DATA_JS})() !== previous"


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_cuboid_page_redraws_in_a_real_browser(chromium: Path, streamlit_server: str, tmp_path: Path):
    from playwright.sync_api import expect

    with offline_page(chromium, streamlit_server, height=1400) as (page, outside):
        expect(page.get_by_role("heading", name="Earth Forecast Studio")).to_be_visible(timeout=30_000)

        page.locator('[data-testid="stSidebarNav"] a', has_text="Cuboid attention").click()
        expect(page.get_by_role("heading", name="Cuboid attention")).to_be_visible(timeout=30_000)
        expect(page.locator(".js-plotly-plot")).to_have_count(4, timeout=30_000)  # 3 views + cost
        expect(page.get_by_text("Shifted (1, 1, 1), local").first).to_be_visible()
        before = page.evaluate(_PLOT_DATA_JS)

        page.get_by_text("Follow one query").click()
        page.wait_for_function(_CHANGED_JS, arg=before, timeout=30_000)
        expect(page.get_by_text("attends to 12 elements").first).to_be_visible()
        following = page.evaluate(_PLOT_DATA_JS)
        assert '"name":"query"' in following

        query_t = page.get_by_label("query t")
        query_t.fill("4")
        query_t.press("Enter")
        page.wait_for_function(_CHANGED_JS, arg=following, timeout=30_000)

        assert not outside, f"the app fetched from outside: {sorted(set(outside))}"
        page.screenshot(path=str(tmp_path / "cuboid_page.png"))
        if os.environ.get("EFS_SCREENSHOT"):  # e.g. EFS_SCREENSHOT=/tmp/cuboid_page.png
            page.screenshot(path=os.environ["EFS_SCREENSHOT"])
