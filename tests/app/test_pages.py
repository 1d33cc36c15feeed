"""Every page renders in AppTest, reacts to its widgets, and turns bad input into one clear error."""
from __future__ import annotations

import base64

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services import cuboid as services
from engine import api
from engine.viz.cuboid_figures import PALETTE, cuboid_colors, cuboid_figure

from .conftest import CUBOID_PAGE, plotly_specs


def _titles(at) -> list[str]:
    return [spec["layout"]["title"]["text"] for spec in plotly_specs(at)[:-1]]  # last chart: cost bars


def _stats(at) -> list[str]:
    return [m.value for m in at.markdown if "cuboid volume" in m.value]


def _array(value) -> np.ndarray:
    """A plotly JSON array: a plain list, or plotly's base64 typed-array encoding."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def _trace_names(spec: dict) -> set[str]:
    return {trace.get("name", "") for trace in spec["data"]}


# ----------------------------------------------------------------------------- home
def test_home_renders_and_points_to_the_available_pages(home):
    assert not home.exception
    assert home.title[0].value == "Earth Forecast Studio"
    pages = [link.proto.page for link in home.get("page_link")]
    assert any("cuboid_attention" in p for p in pages) and any("storm_explorer" in p for p in pages)
    text = " ".join(m.value for m in home.markdown)
    assert "Storm explorer** (available)" in text and "Cuboid attention" in text and "coming" in text


# ----------------------------------------------------------------------------- cuboid attention
def test_cuboid_page_opens_on_the_paper_illustration(cuboid_page):
    at = cuboid_page
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) == 4  # local, dilated, shifted + cost chart
    assert _titles(at) == ["Local (3, 2, 2)", "Dilated (3, 2, 2)", "Shifted (1, 1, 1), local"]
    assert all("cuboid volume **12** · **8** cuboids" in s for s in _stats(at))
    assert "MACs" in at.code[0].value
    assert len(at.dataframe) >= 1


def test_following_a_query_dims_the_rest_and_counts_what_it_sees(cuboid_page):
    at = cuboid_page
    before = plotly_specs(at)
    at.toggle(key="show_query").set_value(True).run()
    assert not at.exception
    after = plotly_specs(at)
    assert after[0]["data"] != before[0]["data"]
    assert "query" in _trace_names(after[0])
    # (2, 1, 1) sees a full cuboid of 12 in each paper layer (the shifted one included)
    assert _stats(at) == ["attends to **12** elements · cuboid volume **12** · **8** cuboids · **0** padded keys"] * 3

    for key in ("query_t", "query_h", "query_w"):
        at.number_input(key=key).set_value(0).run()
    assert not at.exception
    moved = plotly_specs(at)
    assert moved[0]["data"] != after[0]["data"]
    # after the (1, 1, 1) roll the corner (0, 0, 0) is alone in its shift region
    assert _stats(at)[2].startswith("attends to **1** element ·")


def test_named_pattern_shows_each_layer_and_follows_shape_changes(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Named pattern").run()
    assert not at.exception
    assert at.selectbox(key="pattern").value == "axial"
    assert len(_titles(at)) == 3  # axial: along T, then H, then W
    before = plotly_specs(at)

    at.number_input(key="shape_w").set_value(6).run()
    assert not at.exception
    assert plotly_specs(at)[0]["data"] != before[0]["data"]

    at.selectbox(key="pattern").set_value("video_swin_2x2").run()
    assert not at.exception
    assert len(_titles(at)) == 2
    at.selectbox(key="pattern_layer").set_value(1).run()
    assert not at.exception
    assert _titles(at) == ["Layer 2: cuboid (2, 2, 2), local, shift (1, 1, 1)"]


def test_custom_shift_not_smaller_than_cuboid_is_one_clear_error(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Custom").run()
    assert not at.exception and not at.error
    at.number_input(key="custom_shift_t").set_value(3).run()
    assert not at.exception
    assert len(at.error) == 1
    assert "shift_size" in at.error[0].value and "smaller than its cuboid size" in at.error[0].value
    assert not at.get("plotly_chart")


def test_custom_cuboid_size_zero_is_one_clear_error(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Custom").run()
    at.number_input(key="custom_cuboid_h").set_value(0).run()
    assert not at.exception
    assert len(at.error) == 1 and "cuboid_size" in at.error[0].value


def test_dilated_axis_changes_the_custom_view(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Custom").run()
    before = plotly_specs(at)[0]
    at.radio(key="custom_strategy_h").set_value("dilated").run()
    assert not at.exception
    assert plotly_specs(at)[0]["data"] != before["data"]
    assert _titles(at) == ["Custom: cuboid (3, 2, 2), L/D/L"]


def test_zero_padding_adds_keys_and_ignore_padding_masks_them(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Custom").run()
    at.number_input(key="shape_t").set_value(5).run()  # 5 = 3 + 2: one padded time step
    at.toggle(key="show_query").set_value(True).run()
    at.number_input(key="query_t").set_value(4).run()
    assert not at.exception
    assert "**4** padded keys" in _stats(at)[0]  # (3, 2, 2) cuboid: 2 real + 1 padded step
    assert "padding key (zeros)" in _trace_names(plotly_specs(at)[0])
    at.selectbox(key="padding_type").set_value("ignore").run()
    assert not at.exception
    assert "**0** padded keys" in _stats(at)[0]


def test_global_vectors_are_drawn_and_explained(cuboid_page):
    at = cuboid_page
    at.toggle(key="show_query").set_value(True).run()
    at.number_input(key="num_global_vectors").set_value(3).run()
    assert not at.exception
    spec = plotly_specs(at)[0]
    globals_trace = next(t for t in spec["data"] if t.get("name", "").startswith("global vectors"))
    assert len(_array(globals_trace["x"])) == 3
    assert "query → global vectors" in _trace_names(spec)
    assert "+ **3** global vectors" in _stats(at)[0]
    assert any("P = 3" in info.value for info in at.info)


def test_too_large_a_tensor_warns_instead_of_drawing(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Named pattern").run()
    for key in ("shape_t", "shape_h", "shape_w"):
        at.number_input(key=key).set_value(24).run()
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and "13,824" in at.warning[0].value
    assert len(at.get("plotly_chart")) == 1  # only the cost chart


def test_reset_returns_to_the_paper_illustration(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Custom").run()
    at.button(key="reset_to_paper").click().run()
    assert not at.exception
    assert at.radio(key="cuboid_mode").value == "Paper illustration"
    assert len(_titles(at)) == 3


def test_choices_survive_a_trip_to_home_and_back(cuboid_page):
    at = cuboid_page
    at.radio(key="cuboid_mode").set_value("Named pattern").run()
    at.selectbox(key="pattern").set_value("divided_st").run()
    at.switch_page("app_pages/home.py").run()
    at.switch_page(CUBOID_PAGE).run()
    assert not at.exception
    assert at.radio(key="cuboid_mode").value == "Named pattern"
    assert at.selectbox(key="pattern").value == "divided_st"


def test_cost_table_compares_full_chosen_and_axial_at_every_level(cuboid_page):
    rows = services.attention_costs(tuple(services.paper_layers()), None, "paper")
    assert {r["method"] for r in rows} == {"full attention", "chosen (paper)", "axial"}
    assert all(r["ratio_to_full"] < 1 for r in rows if r["method"] != "full attention")
    cost = plotly_specs(cuboid_page)[-1]
    assert cost["layout"]["yaxis"]["type"] == "log"
    assert len(cost["data"]) == 3


# ----------------------------------------------------------------------------- what the views draw
def test_views_colour_local_cuboids_as_contiguous_blocks():
    cuboid_id = np.arange(8).reshape(2, 2, 2).repeat(3, 0).repeat(2, 1).repeat(2, 2)  # (6, 4, 4)
    colors = cuboid_colors(cuboid_id)
    assert len(set(colors.reshape(-1))) == 8 and colors[0, 0, 0] == PALETTE[0] == colors[2, 1, 1]
    fig = cuboid_figure(cuboid_id, np.zeros_like(cuboid_id), title="local")
    assert len(fig.data) == 1 and len(fig.data[0].x) == 96 * 8  # one cube (8 corners) per element
    with pytest.raises(ValueError, match="expected two"):
        cuboid_figure(cuboid_id, np.zeros((2, 2)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(api.self_pattern_names()),
    shape=st.tuples(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9)),
    padding_type=st.sampled_from(["zeros", "ignore"]),
    num_global=st.integers(0, 8),
)
def test_every_named_pattern_draws_on_any_small_shape(name, shape, padding_type, num_global):
    layers = services.pattern_layers(name, shape)
    services.validate(shape, layers, padding_type)
    query = tuple(n - 1 for n in shape)
    for layer in layers:
        fig, stats = services.layer_view(shape, layer, padding_type, query, num_global)
        assert 1 <= stats.attended <= stats.volume
        assert stats.padded_keys == 0 or padding_type == "zeros"
        assert fig.data
