"""nets: a small neural network in pure NumPy, trained by the update rules of ``optim_core`` unchanged.

No Streamlit here.  Parameters are one flat vector of shape (..., n) so that a rule written for the
2-D surfaces updates a network's weights with the same code, and one code path serves one run, a
batch of runs and a grid of points on a loss landscape.
"""
