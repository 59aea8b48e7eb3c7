"""The loss landscape of a network around its trained weights, with the optimizers' paths on it.

H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein, "Visualizing the Loss Landscape of Neural Nets",
NeurIPS 2018.  The weights θ ∈ Rⁿ are far too many to draw, so the loss is drawn on a plane

    θ(α, β) = θ* + α·d₁ + β·d₂          (θ* = ``origin``, the final weights the plane goes through)

and every run's weight trajectory is projected onto it.  Two choices of (d₁, d₂):

* ``pca_plane``    the first two principal directions of the trajectories (all runs together,
                   relative to θ*), as Li et al. do to show optimization paths; the share of the
                   trajectories' variance the plane holds is kept in ``Plane.explained``
* ``random_plane`` two filter-normalised Gaussian directions (Li et al. §4): each filter of the
                   direction has the norm of the same filter of θ*, biases 0

then ``project`` (paths → (α, β)), ``grid`` (a range covering the projected paths), ``surface``
(the loss on the grid, evaluated in bounded chunks) and ``describe`` (one English sentence).

Generic over the loss: the caller passes ``loss_fn(theta)`` mapping weights (..., n) to losses
(...,), batched, e.g. a network's full-training-set loss.  Trajectories are ``paths`` of shape
(R, C, n) (R runs, C checkpoints); a row with any non-finite entry (a diverged run after its
divergence) is ignored everywhere.  Pure NumPy, float64, no Streamlit.

Cost of ``pca_plane`` for the digits network 64-100-100-10 (n = 17 710 weights; 6 runs × 201
checkpoints, m = 1 206 rows), measured on this machine (2 cores shared with other work, OpenBLAS
0.3.31, NumPy 2.4, best of 9): ≈ 0.6 s with 2 BLAS threads, ≈ 0.9–1.1 s with one (M·Mᵀ ≈ 0.27 s,
the 1 206 × 1 206 eigendecomposition ≈ 0.23 s, building M ≈ 0.06 s, the rest ≈ 0.05 s); a thin
SVD of the same M (``np.linalg.svd(M, full_matrices=False)``) takes 6–10 s, so the Gram trick is
≈ 12× faster and is what ``pca_plane`` uses.  Memory: one copy of M (m·n·8 bytes = 171 MB here)
and the m × m Gram matrix (12 MB).  ``project`` of the same paths: ≈ 0.13 s.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

# Singular values below this fraction of the largest are not principal directions: the Gram
# trick computes s² = eigenvalues of M·Mᵀ with an absolute error ≈ m·ε·s₁², so a relative s below
# ≈ √(m·ε) (5·10⁻⁷ for m = 1 206) is rounding noise; 10⁻⁵ leaves a wide safety margin.
RANK_RTOL = 1e-5
# Movement below this fraction of the weights' scale counts as no movement at all.
MOVE_RTOL = 1e-12
# ``grid`` widens the shorter axis to at least this fraction of the longer one ("square-ish").
ASPECT_MIN = 0.5
# Half-width of a ``grid`` axis when everything projects onto a single point.
DEFAULT_HALF_WIDTH = 1.0
# Grid points per ``loss_fn`` call in ``surface``.
DEFAULT_CHUNK = 64


class Plane(NamedTuple):
    """The plane θ(α, β) = origin + α·directions[0] + β·directions[1].

    ``explained``: for kind "pca", the share of the trajectories' second moment about ``origin``
    that the plane holds, ‖M·Dᵀ‖²_F / ‖M‖²_F = (s₁² + s₂²) / Σ sᵢ² (M = finite checkpoints − origin,
    sᵢ its singular values); NaN for "random".  ``principal``: how many directions are principal
    directions of the trajectories (2; 1 if they moved on a line, 0 if they did not move; the rest
    are deterministic orthonormal completions; 0 for "random").  ``filter_normalised``: for
    "random", whether Li et al.'s filter normalisation was applied.
    """

    origin: np.ndarray  # (n,)
    directions: np.ndarray  # (2, n)
    kind: str  # "pca" | "random"
    explained: float
    orthonormal: bool
    principal: int = 2
    filter_normalised: bool = False


# --- the PCA plane ------------------------------------------------------------------------------


def _finite_rows(paths, n: int) -> np.ndarray:
    """Every row of ``paths`` (any shape (..., n)) whose entries are all finite, as (m, n) float64."""
    rows = np.asarray(paths, dtype=np.float64).reshape(-1, n)
    return rows[np.isfinite(rows).all(axis=1)]  # boolean indexing: always a copy


def _top_right_singular(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The right singular vectors of M (m, n) by the Gram trick, largest first: (V (k, n), s² (k,)).

    If m ≤ n: M·Mᵀ = U·S²·Uᵀ (m × m) and vᵢ = Mᵀ·uᵢ / ‖Mᵀ·uᵢ‖ (= Mᵀuᵢ / sᵢ); otherwise
    Mᵀ·M = V·S²·Vᵀ (n × n) directly.  Only the two largest are returned, with s² ≥ 0.
    """
    m, n = M.shape
    if m <= n:
        s2, U = np.linalg.eigh(M @ M.T)
        V = (M.T @ U[:, ::-1][:, :2]).T
    else:
        s2, W = np.linalg.eigh(M.T @ M)
        V = W[:, ::-1][:, :2].T
    s2 = np.maximum(s2[::-1][:2], 0.0)
    return V, s2


def _orthonormal_completion(D: list[np.ndarray], n: int) -> np.ndarray:
    """A unit vector orthogonal to the unit vectors in D, deterministic: the coordinate axis e_j with
    the smallest Σ_d d_j² (first such j), minus its components along D (Gram–Schmidt)."""
    weight = sum((d * d for d in D), np.zeros(n))
    j = int(np.argmin(weight))
    e = np.zeros(n)
    e[j] = 1.0
    for d in D:
        e -= (d @ e) * d
    return e / np.linalg.norm(e)


def _signed(d: np.ndarray) -> np.ndarray:
    """d with its largest-|component| entry positive (the first such entry on ties)."""
    return -d if d[np.argmax(np.abs(d))] < 0 else d


def _principal_directions(M: np.ndarray, scale: float) -> list[np.ndarray]:
    """The principal directions of M that are not rounding noise (0, 1 or 2), orthonormalised."""
    if M.shape[0] == 0 or not np.any(M):
        return []
    V, s2 = _top_right_singular(M)
    s = np.sqrt(s2)
    keep = (s > RANK_RTOL * s[0]) & (s > MOVE_RTOL * scale)
    D: list[np.ndarray] = []
    for v in V[keep]:
        for d in D:  # Gram–Schmidt: orthonormal to rounding even when s₂ ≪ s₁
            v = v - (d @ v) * d
        D.append(v / np.linalg.norm(v))
    return D


def pca_plane(paths, origin) -> Plane:
    """The plane through ``origin`` spanned by the first two principal directions of the trajectories.

    M = [every finite checkpoint of every run] − origin, (m, n).  With the SVD M = U·S·Vᵀ, the
    directions are v₁, v₂ (Li et al. use the differences to the final point the same way) and

        explained = ‖M·Dᵀ‖²_F / ‖M‖²_F = (s₁² + s₂²) / Σ sᵢ²

    (second moment about the origin, not about the mean).  Computed by the Gram trick (see the
    module docstring for the timing).  Each direction has its largest |component| positive.
    Degenerate trajectories (on a line, or not moving) are completed by deterministic orthonormal
    directions; ``Plane.principal`` says how many are principal; explained stays the share the
    whole plane holds, 1 when nothing moved (nothing is left out of the plane).
    """
    origin = np.asarray(origin, dtype=np.float64).ravel()
    n = origin.size
    if n < 2:
        raise ValueError("a plane needs at least 2 weights")
    M = _finite_rows(paths, n)  # a fresh copy: subtract in place
    M -= origin
    moved2 = np.einsum("ij,ij->i", M, M)  # ‖row − origin‖², without an (m, n) temporary
    scale = float(np.linalg.norm(origin)) + float(np.sqrt(np.max(moved2, initial=0.0)))
    D = _principal_directions(M, scale)
    principal = len(D)
    while len(D) < 2:
        D.append(_orthonormal_completion(D, n))
    D = np.stack([_signed(d) for d in D])
    total = float(np.sum(moved2))
    explained = 1.0 if total == 0.0 else min(1.0, float(np.sum((M @ D.T) ** 2)) / total)
    return Plane(origin, D, "pca", explained, True, principal, False)


# --- the random plane ---------------------------------------------------------------------------


def _filter_normalised(d: np.ndarray, origin: np.ndarray, layer_slices: dict) -> np.ndarray:
    """d rescaled filter by filter: for every weight array of ≥ 2 dimensions (a W of shape (in, out)
    has one filter per output unit = per column; in general, per index of the last axis)

        d_W[..., j] ← d_W[..., j] · ‖θ*_W[..., j]‖ / ‖d_W[..., j]‖

    and 0 for biases (1-D arrays) and for entries outside every slice (Li et al. ignore biases)."""
    out = np.zeros_like(d)
    for sl, shape in layer_slices.values():
        if len(shape) < 2:
            continue
        w = d[sl].reshape(shape)
        target = np.linalg.norm(origin[sl].reshape(shape).reshape(-1, shape[-1]), axis=0)
        norm = np.linalg.norm(w.reshape(-1, shape[-1]), axis=0)
        factor = np.divide(target, norm, out=np.zeros_like(norm), where=norm > 0)
        out[sl] = (w * factor).ravel()
    return out


def random_plane(origin, layer_slices: dict, rng, filter_normalise: bool = True) -> Plane:
    """Two random directions through ``origin`` (Li et al. 2018, §4).

    d₁, d₂ ~ N(0, I_n) drawn from ``rng`` (a numpy Generator, or a seed for default_rng).  With
    ``filter_normalise``, each is rescaled per filter by ``_filter_normalised`` (``layer_slices``:
    name → (slice into θ, shape), e.g. "W1" → (slice(0, 6400), (64, 100)), "b1" → (…, (100,))), so
    a step of 1 along it changes every filter by its own norm, whatever the layer's scale.
    Not orthonormal (two Gaussian directions are only nearly orthogonal); explained is NaN.
    """
    origin = np.asarray(origin, dtype=np.float64).ravel()
    d = np.random.default_rng(rng).standard_normal((2, origin.size))
    if filter_normalise:
        d = np.stack([_filter_normalised(di, origin, layer_slices) for di in d])
    return Plane(origin, d, "random", float("nan"), False, 0, bool(filter_normalise))


# --- projection, grid, surface ------------------------------------------------------------------


def project(paths, plane: Plane) -> np.ndarray:
    """The coordinates (α, β) of every checkpoint on the plane, shape paths.shape[:-1] + (2,).

    x = θ − origin; orthonormal D: (α, β) = D·x; otherwise the least-squares coordinates
    argmin ‖x − Dᵀc‖ = (D·Dᵀ)⁻¹·D·x (the 2 × 2 Gram matrix).  Rows with a non-finite entry give
    NaN and are never computed with.  One run (leading index) at a time, so the temporaries stay
    the size of one run.
    """
    paths = np.asarray(paths)  # float32 paths stay float32: each run is made float64 on its own
    n = plane.origin.size
    shape = (1,) * (3 - paths.ndim) + paths.shape if paths.ndim < 3 else paths.shape
    rows = paths.reshape(int(np.prod(shape[:-2])), shape[-2], n)
    finite = np.isfinite(rows).all(axis=-1)
    out = np.full(rows.shape[:2] + (2,), np.nan)
    for r, run in enumerate(rows):
        out[r, finite[r]] = (run[finite[r]].astype(np.float64) - plane.origin) @ plane.directions.T
    if not plane.orthonormal:
        gram = plane.directions @ plane.directions.T
        out[finite] = np.linalg.solve(gram, out[finite].T).T
    return out.reshape(paths.shape[:-1] + (2,))


def _axis_range(lo: float, hi: float, span: float, margin: float) -> tuple[float, float]:
    """[lo, hi] widened about its centre to width ≥ ``span``, then by ``margin``·width on each side."""
    centre, width = (lo + hi) / 2, max(hi - lo, span)
    half = width / 2 + margin * width
    return centre - half, centre + half


def grid(plane: Plane, coords, size: int = 41, margin: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """(alphas, betas), ``size`` values each: a range covering every finite projected point and the
    origin (0, 0), plus ``margin``·width on each side.

    Square-ish: the shorter axis is widened to ≥ ASPECT_MIN × the longer one.  Never of zero
    width: if everything is one point, each axis is ±DEFAULT_HALF_WIDTH around it (before margin).
    ``plane`` is accepted for symmetry with ``surface`` (the range depends on ``coords`` only).
    """
    if size < 2:
        raise ValueError("a grid needs size >= 2")
    c = np.asarray(coords, dtype=np.float64).reshape(-1, 2)
    c = np.vstack([c[np.isfinite(c).all(axis=1)], np.zeros((1, 2))])
    lo, hi = c.min(axis=0), c.max(axis=0)
    longest = float(np.max(hi - lo))
    span = ASPECT_MIN * longest if longest > 0 else 2 * DEFAULT_HALF_WIDTH
    ranges = [_axis_range(float(lo[k]), float(hi[k]), span, margin) for k in range(2)]
    return np.linspace(*ranges[0], size), np.linspace(*ranges[1], size)


def _points(plane: Plane, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """θ = (origin + a·d₁) + b·d₂ for the k pairs (a, b), shape (k, n); elementwise (no BLAS), so
    every row is the same bits whatever k is."""
    theta = np.multiply.outer(a, plane.directions[0])
    theta += plane.origin
    theta += np.multiply.outer(b, plane.directions[1])
    return theta


def surface(loss_fn: Callable[[np.ndarray], np.ndarray], plane: Plane, alphas, betas,
            chunk: int = DEFAULT_CHUNK) -> np.ndarray:
    """The loss on the grid: Z[j, i] = loss_fn(origin + alphas[i]·d₁ + betas[j]·d₂), shape
    (len(betas), len(alphas)) (rows = β, as a contour plot's z[y][x]).

    Memory bound: ``loss_fn`` is called with at most ``chunk`` points, an array (≤ chunk, n), and
    this function holds at most two such arrays (≈ 2·chunk·n·8 bytes) besides Z and what
    ``loss_fn`` allocates itself.  Non-finite losses are returned as they are (NaN, ±inf); clipping
    them is the caller's choice.
    """
    if chunk < 1:
        raise ValueError("chunk must be >= 1")
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    betas = np.asarray(betas, dtype=np.float64).ravel()
    A, B = np.meshgrid(alphas, betas)  # (len(betas), len(alphas))
    a, b = A.ravel(), B.ravel()
    z = np.empty(a.size)
    for start in range(0, a.size, chunk):
        stop = min(start + chunk, a.size)
        values = np.asarray(loss_fn(_points(plane, a[start:stop], b[start:stop])), dtype=np.float64)
        z[start:stop] = values.reshape(stop - start)
    return z.reshape(A.shape)


def describe(plane: Plane) -> str:
    """One English sentence saying what the plane is."""
    if plane.kind == "random":
        if plane.filter_normalised:
            return "two filter-normalised random directions (Li et al. 2018)"
        return "two random Gaussian directions (not filter-normalised)"
    share = f"{100 * plane.explained:.1f} %"
    if plane.principal >= 2:
        return ("the plane of the first two principal directions of the trajectories, "
                f"which hold {share} of their variance")
    if plane.principal == 1:
        return (f"the plane of the trajectories' only principal direction, which holds {share} of their variance "
                "(they moved on a line), and an orthogonal coordinate direction")
    return "a plane of two coordinate directions through the final weights (the trajectories did not move)"


# --- a trained network's landscape, bounded ------------------------------------------------------------------

LANDSCAPE_WORK = 1.5e10  # floating-point operations the loss on the grid may take (about a second on 2 cores)
FEW_EXAMPLES = 300  # the examples are cut down to this first (a fixed random subset), then the grid …
MIN_SIZE = 21  # … from 41 × 41 down to this, then the examples again, down to
MIN_EXAMPLES = 100


class NetworkLandscape(NamedTuple):
    """A trained network's landscape: the plane, its grid, the training loss on it (len(betas), len(alphas)), every
    run's path projected (R, C, 2), and how many training examples (of ``available``) the loss was measured on."""

    plane: Plane
    alphas: np.ndarray
    betas: np.ndarray
    losses: np.ndarray
    coords: np.ndarray
    examples: int
    available: int


def budget(n_params: int, available: int, size: int = 41) -> tuple:
    """(grid size, examples) whose forward passes, size² · examples · 2n operations, fit LANDSCAPE_WORK: every
    example if they fit; else fewer examples, down to FEW_EXAMPLES; then a coarser grid, down to MIN_SIZE; then
    fewer examples again, down to MIN_EXAMPLES (the floor holds even past the budget)."""
    def most_examples(size):
        return int(LANDSCAPE_WORK // (size * size * 2.0 * n_params))

    examples = min(available, max(most_examples(size), FEW_EXAMPLES))
    while size > MIN_SIZE and size * size * examples * 2.0 * n_params > LANDSCAPE_WORK:
        size -= 4
    examples = min(examples, max(most_examples(size), MIN_EXAMPLES))
    return size, min(examples, available)


def of_network(arch, x, labels, paths, final_loss, kind: str = "pca", seed: int = 0) -> NetworkLandscape:
    """The landscape of a network (``nets.network``, ``arch``) trained on (x, labels), through the final weights of
    the run with the lowest ``final_loss`` (R,) (``paths`` may stay float32: no whole float64 copy is made but the
    principal directions' one): the plane (``kind`` "pca" or "random"), a grid covering the paths
    (R, C, n) and the loss there, on the first examples of (x, labels) that ``budget`` allows (the split is shuffled)."""
    from . import network  # the generic part of this module needs no network

    final_loss = np.where(np.isfinite(final_loss), final_loss, np.inf)
    origin = np.asarray(paths[int(np.argmin(final_loss)), -1], dtype=np.float64)
    if kind == "pca":
        plane = pca_plane(paths, origin)
    else:
        slices = network.layer_slices(arch)
        plane = random_plane(origin, {name: (slices[name], shape) for name, shape in arch.param_shapes.items()},
                             np.random.default_rng(seed))
    coords = project(paths, plane)
    available = len(labels)
    size, examples = budget(arch.n_params, available)
    alphas, betas = grid(plane, coords, size=size)
    x, labels = x[:examples], labels[:examples]
    losses = surface(lambda theta: network.loss(arch, theta, x, labels), plane, alphas, betas,
                     chunk=network.chunk_size(arch, examples))
    return NetworkLandscape(plane, alphas, betas, losses, coords, examples, available)
