"""Streamlit pieces of the page that are too large for ``app.py`` (the numbers live in ``optim_core``,
the pictures in ``viz``)."""
