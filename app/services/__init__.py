"""The app's one door into the engine: pages call these modules, never ``engine`` directly.

One module per page area: ``cuboid`` (Learn: cuboid attention), ``storms`` (Storm explorer data),
``verification`` (forecast scores). Each computes from ``engine.api`` (the facade) and draws with
``engine.viz`` (pure plotly/matplotlib figures). Results that cost more than a dictionary lookup
are cached with bounded ``st.cache_data`` and models with ``st.cache_resource``, so a rerun
after a widget change stays instant.
"""
