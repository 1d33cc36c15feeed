"""Home: what Earth Forecast Studio is, what it shows today, and where to go next."""
from __future__ import annotations

import streamlit as st

st.title("Earth Forecast Studio")
st.markdown(
    "An open workbench for two deep-learning methods for Earth-system forecasting, "
    "built so the ideas can be seen and questioned, not only run."
)

left, right = st.columns(2, gap="large")
with left:
    st.subheader("Earthformer: cuboid attention")
    st.markdown(
        "Earthformer (Gao et al., NeurIPS 2022) is a space-time Transformer. Attention over every "
        "pair of points in a radar movie or an ocean field is far too expensive, so Earthformer "
        "cuts the data cube (time × height × width) into small **cuboids** and lets each point "
        "attend only within its cuboid. Stacking *local*, *dilated* and *shifted* cuboids, plus a "
        "few **global vectors** that see everything, spreads information across the whole cube "
        "at a fraction of the cost."
    )
with right:
    st.subheader("PreDiff: forecasts that respect what we know")
    st.markdown(
        "PreDiff (Gao et al., NeurIPS 2023) draws many possible futures with a latent diffusion "
        "model, so forecasts carry their uncertainty. Its **knowledge control** nudges each sample, "
        "while it is being generated, towards physical constraints an expert supplies (for "
        "example the total rain intensity expected), without retraining the model."
    )

st.divider()
st.subheader("What you can open today")
st.markdown(
    "- **Cuboid attention** (available): a classroom view of how Earthformer splits a tensor "
    "into cuboids, which points one query can see, and what each choice costs.\n"
    "- **Storm explorer** (available): browse storm events on a map of the US, play their "
    "radar (VIL) animations and follow how much area passes each intensity threshold.\n"
    "- **ENSO outlook** (available): sea-surface temperature anomaly maps, Niño3.4 forecast "
    "plumes and correlation skill by lead month for Earthformer and simple baselines.\n"
    "- **Scenario lab** (available): PreDiff ensembles of a storm's next hour, steered toward more or "
    "less intense outcomes by knowledge control, beside the Earthformer; trained demo sets are coming."
)
st.info(
    "**About the data.** Unless whoever runs the app configures real data, the data pages show "
    "a synthetic demo generated on first start in the exact formats of SEVIR (storm radar) and "
    "ICAR-ENSO (sea-surface temperature). Synthetic storms look and move like real ones but are "
    "not observations.",
    icon=":material/info:",
)

audiences = st.columns(3)
audiences[0].markdown(
    "**Analysts** — compare attention patterns and their compute cost at the sizes the published "
    "SEVIR and ICAR-ENSO models use."
)
audiences[1].markdown(
    "**Teachers** — the Cuboid attention page opens on the paper's own illustration; click "
    "a query element to see what it attends to."
)
audiences[2].markdown(
    "**Stakeholders** — see why these models can run on whole radar movies, and, soon, how "
    "forecasts and their uncertainty look."
)

st.divider()
st.subheader("Where to go next")
st.page_link(
    "app_pages/storm_explorer.py",
    label="Storm explorer: events, maps and radar animations",
    icon=":material/thunderstorm:",
)
st.page_link(
    "app_pages/enso_outlook.py",
    label="ENSO outlook: sea-surface temperature and Niño3.4 forecasts",
    icon=":material/waves:",
)
st.page_link(
    "app_pages/cuboid_attention.py",
    label="Cuboid attention: how Earthformer splits space and time",
    icon=":material/view_in_ar:",
)
