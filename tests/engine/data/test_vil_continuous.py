"""VIL decoding matches the SEVIR tutorial's threshold table and encoding inverts it."""
from __future__ import annotations

import numpy as np

from engine.data.sevir.format import vil_kg_to_pixels as encode
from engine.data.sevir.format import vil_pixels_to_kg as decode


def test_decoding_gives_the_published_thresholds_in_kg_per_m2():
    pixels = [16, 74, 133, 160, 181, 219]
    np.testing.assert_allclose(decode(np.array(pixels)), [0.154, 0.775, 3.53, 7.07, 12.14, 32.2], rtol=0.01)
    assert np.all(decode(np.arange(6)) == 0)


def test_encoding_inverts_decoding_above_pixel_5():
    x = np.linspace(5.01, 255, 2000)
    np.testing.assert_allclose(encode(decode(x)), x, atol=1e-9)
    assert np.all(encode(np.array([0.0, -1.0])) == 0) and encode(np.array([1e6]))[0] == 255
