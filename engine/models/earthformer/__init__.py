"""Earthformer: cuboid attention and the hierarchical encoder-decoder."""
