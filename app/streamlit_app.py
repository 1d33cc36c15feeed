"""Earth Forecast Studio: the Streamlit entry point.

Run from the repository root with ``python -m streamlit run app/streamlit_app.py``. This file
only sets the page up, initialises session state and routes; each page lives in
``app_pages/`` and talks to the engine through the ``app/services/`` package.
"""
from __future__ import annotations

import sys
from pathlib import Path

# Fallback for a checkout that is not pip-installed: make `engine` and `app` importable.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from app import state  # noqa: E402

# An emoji favicon is drawn locally; a ":material/...:" one would be fetched from Google's CDN.
st.set_page_config(page_title="Earth Forecast Studio", page_icon="🌍", layout="wide")
state.init()

# Sections of the sidebar. Later pages (storm explorer, ENSO outlook, scenario lab) join a
# section here with one st.Page line each.
PAGES = {
    "Overview": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    ],
    "Explore": [
        st.Page("app_pages/storm_explorer.py", title="Storm explorer", icon=":material/thunderstorm:"),
        st.Page("app_pages/enso_outlook.py", title="ENSO outlook", icon=":material/waves:"),
    ],
    "Simulate": [
        st.Page("app_pages/scenario_lab.py", title="Scenario lab", icon=":material/science:"),
    ],
    "Learn": [
        st.Page("app_pages/cuboid_attention.py", title="Cuboid attention", icon=":material/view_in_ar:"),
    ],
}

st.navigation(PAGES).run()
