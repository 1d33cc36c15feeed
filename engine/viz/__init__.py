"""Figures built from NumPy arrays (plotly), for the app and for notebooks.

Nothing here imports streamlit or torch: every function takes plain arrays and returns a
figure object, so the same pictures can be tested without a browser.
"""
