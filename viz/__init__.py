"""The page's logic without Streamlit: scenes and URLs (``scene``), Plotly figures (``figures``),
the equations panel (``equations``).  ``app.py`` only wires these to widgets."""
