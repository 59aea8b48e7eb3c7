"""The Streamlit page, a module per part: ``app.py`` is its outline.  The model lives in ``page_model``,
the numbers in ``optim_core``/``surfaces``, the pictures in ``viz``; see README.md, "Layout"."""
