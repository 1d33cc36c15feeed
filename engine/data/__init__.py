"""Datasets: SEVIR storm events (``engine.data.sevir``), data sources, layout transforms."""
