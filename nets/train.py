"""Training a network with the update rules of ``optim_core``, unchanged: the book's protocol (Fig. 6-9).

Every run of a comparison starts from the same initial weights θ₀ and sees the same sequence of minibatches
(both drawn from one seed), so the only difference between the runs is the optimizer.  Iteration t:

    g_t = ∇_θ L(θ_t; batch_t)          (at the rule's gradient point: Nesterov's look-ahead x + μv)
    Δ_t, state = rule.update(g_t, state, θ_t, t + 1, hp_t)      (the very function that moves a point on a surface)
    θ_{t+1} = θ_t + Δ_t

where L is the mean softmax cross-entropy of the minibatch and hp_t the hyperparameters at update t (a schedule's
value).  A rule that searches along its direction (a line search, L-BFGS) trains full-batch and deterministic,
as the cs231n notes say L-BFGS must: its batch is the whole training set every iteration.  Rules that need the
Hessian (N² entries, an O(N³) solve per step) or keep an N × N matrix (BFGS) are refused, with this network's N.

A run diverges at the first iteration whose loss or weights are not finite, or whose weights exceed
``DIVERGE_WEIGHT`` in size; it is then held (its later losses are NaN).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

import optim_core

from . import network
from .network import Architecture

DIVERGE_WEIGHT = 1e6
MAX_ITERATIONS = 5000
MAX_BATCH = 2000
MAX_CHECKPOINTS = 100  # weights kept per run: enough frames for a smooth animation …
WEIGHTS_BYTES = 32e6  # … and fewer when the kept weights (float32) would take more than this
# About 6 floating-point operations per weight and example (forward 2, backward 4): the work a page may ask for is
# bounded at about 1.25× the book's Fig. 6-9 on the digits (4 runs × 1000 iterations × 128 × 37,810 weights, and
# measuring its checkpoints: 1.6e11), about ten seconds on a 2-core machine.  A rule that searches along its direction evaluates the whole training set
# about SEARCH_EVALUATIONS times an iteration.
MAX_WORK = 2e11
SEARCH_EVALUATIONS = 4
MAX_WEIGHT_DECAY = 10.0
MAX_DROPOUT = 0.9
EVAL_EXAMPLES = 2000  # the kept weights' loss and accuracy are measured on at most this many examples of each split


class Training(NamedTuple):
    """What a comparison produced.  R runs, T iterations, C checkpoints.

    loss            (R, T)  the minibatch loss L(θ_t; batch_t) of every iteration (the book's curve); NaN once
                            a run diverged
    checkpoints     (C,)    the iterations t whose weights are kept, 0 and T included
    weights         (R, C, n) float32: θ_t at those iterations (the landscape and the decision regions)
    train_loss, train_accuracy, val_loss, val_accuracy   (R, C): on the whole training / validation split
    diverged_at     (R,)    the iteration a run diverged at, −1 if it did not
    full_batch      (R,)    the run trained on the whole training set every iteration
    buffers         (R, C, s) float32: a Batch-Norm network's running statistics at the kept iterations (s = 0
                            without Batch Norm)
    regulariser     the ``Regulariser`` the runs trained with (weight decay λ per run, dropout)
    """

    arch: Architecture
    titles: tuple
    iterations: int
    batch_size: int
    seed: int
    loss: np.ndarray
    checkpoints: np.ndarray
    weights: np.ndarray
    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    diverged_at: np.ndarray
    full_batch: np.ndarray
    buffers: np.ndarray
    regulariser: "Regulariser"

    def epochs(self, n_train: int) -> np.ndarray:
        """The kept iterations in epochs (passes over the ``n_train`` training examples)."""
        return self.checkpoints * self.batch_size / n_train

    def curves_only(self) -> "Training":
        """This training without its kept weights and statistics (what a figure needs; small to cache)."""
        empty = np.empty(self.weights.shape[:2] + (0,), dtype=np.float32)
        return self._replace(weights=empty, buffers=empty)

    def evaluation(self) -> dict:
        """Dropout's options to predict with the kept weights (``network.predict_proba_chunked``'s, with the kept
        ``buffers``: evaluation mode and dropout's test-time scaling)."""
        return dict(dropout=self.regulariser.dropout, inverted=self.regulariser.inverted)


class Regulariser(NamedTuple):
    """What a training adds to the plain loss.  ``weight_decay``: λ of the book's ½·λ·Σ‖W‖², one per run (R,) or
    one for all; ``dropout``: the ratio r of hidden units dropped in training; ``inverted``: dropout's convention
    (True: scale by 1/(1 − r) in training, cs231n's; False: by (1 − r) at test time, the book's)."""

    weight_decay: object = 0.0
    dropout: float = 0.0
    inverted: bool = True

    def per_run(self, runs: int) -> np.ndarray:
        """λ for each of ``runs`` runs, (R,)."""
        return np.broadcast_to(np.asarray(self.weight_decay, dtype=float), (runs,)).copy()

    def check(self, runs: int) -> "Regulariser":
        decay = np.asarray(self.weight_decay, dtype=float)
        if decay.ndim > 1 or (decay.ndim == 1 and len(decay) != runs):
            raise ValueError(f"weight_decay must be one number or one per run ({runs}), got shape {decay.shape}")
        if not np.all(np.isfinite(decay)) or np.any(decay < 0) or np.any(decay > MAX_WEIGHT_DECAY):
            raise ValueError(f"weight_decay λ must be 0 to {MAX_WEIGHT_DECAY:g}")
        if not 0.0 <= self.dropout <= MAX_DROPOUT:
            raise ValueError(f"dropout ratio = {self.dropout} must be 0 to {MAX_DROPOUT:g}")
        return self


# Why a rule cannot train a network, in the notes' terms (a page shows them in its own language: the templates
# and their parameters, ``refusal_words``).
REFUSALS = {
    "hessian": "{title} needs the Hessian: for this network's N = {n} weights that is N² = {n2} entries and an O(N³) "
               "solve (about {n3} operations) every step; the notes call this impractical for deep learning. Try "
               "L-BFGS or a first-order rule.",
    "matrix": "{title} keeps an N × N matrix: for this network's N = {n} weights that is N² = {n2} numbers updated "
              "every step. L-BFGS keeps only the last m steps instead.",
}


def refusal_words(optimizer: optim_core.Optimizer, n_params: int) -> tuple | None:
    """(template of REFUSALS, its parameters) saying why ``optimizer`` cannot train ``n_params`` weights, or None:
    a rule that needs the Hessian, or one whose state holds an N × N matrix (found by its own ``init``)."""
    rule = optimizer.rule
    params = dict(title=rule.title, n=f"{n_params:,}", n2=f"{n_params ** 2:,}", n3=f"{float(n_params) ** 3:.1e}")
    if rule.needs_hessian:
        return REFUSALS["hessian"], params
    if any(np.ndim(value) == 2 and np.shape(value) == (3, 3) for value in rule.init(np.zeros(3))):
        return REFUSALS["matrix"], params
    return None


def refusal(optimizer: optim_core.Optimizer, n_params: int) -> str | None:
    """Why ``optimizer`` cannot train a network of ``n_params`` weights (the notes' own terms), or None."""
    words = refusal_words(optimizer, n_params)
    return None if words is None else words[0].format(**words[1])


def trains_full_batch(optimizer: optim_core.Optimizer) -> bool:
    """A rule that searches along its direction, or L-BFGS, sees the whole training set every iteration."""
    return optimizer.name == "lbfgs" or optimizer.rule.needs_surface(optimizer.hyperparams)


def minibatches(rng: np.random.Generator, n_examples: int, batch_size: int, iterations: int) -> np.ndarray:
    """(T, B) example indices: each iteration B distinct examples drawn at random, as the book's
    ``np.random.choice(train_size, batch_size)`` (without repeats inside a batch; B = N takes them all)."""
    if batch_size >= n_examples:
        return np.broadcast_to(np.arange(n_examples), (iterations, n_examples))
    keys = rng.random((iterations, n_examples))
    return np.argpartition(keys, batch_size - 1, axis=1)[:, :batch_size]


def checkpoint_iterations(iterations: int, most: int = MAX_CHECKPOINTS) -> np.ndarray:
    """0, …, T: every iteration when T ≤ most, else ``most`` + 1 evenly spaced ones."""
    return np.unique(np.round(np.linspace(0, iterations, min(iterations, most) + 1)).astype(int))


def kept_checkpoints(arch: Architecture, runs: int) -> int:
    """How many iterations' weights to keep: MAX_CHECKPOINTS, fewer for a big network (WEIGHTS_BYTES)."""
    return int(max(2, min(MAX_CHECKPOINTS, WEIGHTS_BYTES // (4 * arch.n_params * runs))))


class FullBatch:
    """The training loss on the whole training set as a surface-like objective (``f``, ``grad`` on (..., n)):
    what a line search probes.  Deterministic: no dropout, a Batch-Norm network normalises with the whole set's
    statistics; the weight decay λ of the run is in it."""

    def __init__(self, arch, x, labels, weight_decay=0.0):
        self.arch, self.x, self.labels, self.weight_decay = arch, x, labels, weight_decay

    def f(self, theta):
        return network.loss(self.arch, theta, self.x, self.labels, weight_decay=self.weight_decay)

    def grad(self, theta):
        return network.loss_and_grad(self.arch, theta, self.x, self.labels, weight_decay=self.weight_decay)[1]


class _Run:
    """One run's rule, state, schedule values, and (when it searches) its line-search probe."""

    def __init__(self, optimizer, theta0, iterations, objective):
        self.rule = optimizer.rule
        self.constants, self.per_step = optim_core.runner.hyper_schedule(optimizer, iterations)
        self.state = self.rule.init(theta0)
        self.full_batch = trains_full_batch(optimizer)
        searches = self.rule.needs_surface(optimizer.hyperparams)
        self.probe = optim_core.line_search.Probe(objective, ()) if searches else None

    def hyperparams(self, t: int) -> dict:
        if not self.per_step:
            return self.constants
        return {**self.constants, **{key: float(values[t]) for key, values in self.per_step.items()}}

    def grad_point(self, theta, t):
        point = self.rule.grad_point
        return theta if point is None else point(theta, self.state, self.hyperparams(t))

    def step(self, g, theta, t):
        """θ_{t+1} − θ_t, the rule's own update."""
        hp = self.hyperparams(t)
        if self.probe is None:
            delta, self.state, _ = self.rule.update(g, self.state, theta, t + 1, hp)
            return delta
        delta, self.state, _ = self.rule.update(g, self.state, theta, t + 1, hp, None, surface=self.probe)
        self.probe.next_step()
        return delta


def work(arch: Architecture, optimizers, iterations: int, batch_size: int, n_train: int) -> float:
    """The floating-point operations of a training, about: 6 per weight and example seen (a searching rule sees the
    training set SEARCH_EVALUATIONS times an iteration), and 2 per weight and example measured at the checkpoints."""
    seen = sum(SEARCH_EVALUATIONS * n_train if trains_full_batch(optimizer) else min(batch_size, n_train)
               for optimizer in optimizers)
    kept = len(optimizers) * min(iterations + 1, kept_checkpoints(arch, len(optimizers)) + 1)
    measured = 2.0 * arch.n_params * kept * 2 * min(n_train, EVAL_EXAMPLES)  # evaluate: forward only, both splits
    return 6.0 * arch.n_params * iterations * seen + measured


def check_settings(arch: Architecture, optimizers, iterations: int, batch_size: int, n_train: int | None = None) -> None:
    """ValueError naming the field and its valid range (with ``n_train``, also the bound on the work)."""
    arch.check()
    if not optimizers:
        raise ValueError("optimizers is empty: give at least one run")
    for name, value, high in (("iterations", iterations, MAX_ITERATIONS), ("batch_size", batch_size, MAX_BATCH)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= high:
            raise ValueError(f"{name} = {value!r} is out of range: valid range is whole numbers 1 to {high}")
    for optimizer in optimizers:
        reason = refusal(optimizer, arch.n_params)
        if reason:
            raise ValueError(reason)
    if n_train is not None and work(arch, optimizers, iterations, batch_size, n_train) > MAX_WORK:
        raise ValueError(f"this training is too large for the page: {len(optimizers)} runs × {iterations} iterations × "
                         f"batch {batch_size} × {arch.n_params:,} weights is about "
                         f"{work(arch, optimizers, iterations, batch_size, n_train):.2g} operations, the limit "
                         f"{MAX_WORK:.2g}: lower the iterations, the batch size, the units or the number of runs")


def train(arch: Architecture, data, optimizers, *, iterations: int = 1000, batch_size: int = 100, seed: int = 0,
          init="he", theta0=None, regulariser: Regulariser = Regulariser(), keep: int | None = None,
          progress: Callable[[float], None] | None = None) -> Training:
    """Train one network per optimizer from the same θ₀ on the same minibatches (``data``: a ``nets.data.Dataset``).

    ``init``: the weight scale of ``network.init_params`` ("he", "xavier" or a standard deviation); ``theta0``
    (n,) or one per run (R, n) replaces it.  ``regulariser``: weight decay and dropout (the dropout masks come from
    the seed too; a run that trains full-batch trains without dropout: its loss must stay deterministic).
    ``keep``: how many iterations' weights to keep and measure besides θ₀ (at most ``kept_checkpoints``).
    ``progress(fraction)`` is called now and then while training (a page's progress bar).
    Raises ValueError naming the field and its valid range."""
    optimizers = tuple(optimizers)
    check_settings(arch, optimizers, iterations, batch_size, len(data.y_train))
    regulariser = regulariser.check(len(optimizers))
    rng = np.random.default_rng(seed)
    drawn = network.init_params(arch, rng, init)
    batches = minibatches(rng, len(data.y_train), batch_size, iterations)
    theta = np.array(np.broadcast_to(drawn if theta0 is None else np.asarray(theta0, dtype=float),
                                     (len(optimizers), arch.n_params)))
    decay = regulariser.per_run(len(optimizers))
    runs = [_Run(optimizer, theta[i], iterations, FullBatch(arch, data.x_train, data.y_train, decay[i]))
            for i, optimizer in enumerate(optimizers)]
    going = _Going(arch, runs, theta, regulariser, decay, np.random.default_rng([seed, 1]))
    most = kept_checkpoints(arch, len(runs))
    checkpoints = checkpoint_iterations(iterations, most if keep is None else max(1, min(int(keep), most)))
    weights = np.empty((len(runs), len(checkpoints), arch.n_params), dtype=np.float32)
    buffers = np.empty((len(runs), len(checkpoints), arch.n_buffers), dtype=np.float32)
    loss = np.full((len(runs), iterations), np.nan)
    diverged_at = np.full(len(runs), -1)
    next_checkpoint = 0
    with np.errstate(all="ignore"):
        for t in range(iterations):
            if t == checkpoints[next_checkpoint]:
                weights[:, next_checkpoint], buffers[:, next_checkpoint] = theta, going.buffers
                next_checkpoint += 1
            going.iteration(data, batches[t], t, loss, diverged_at)
            if progress is not None and t % max(1, iterations // 50) == 0:
                progress(t / iterations)
        weights[:, next_checkpoint], buffers[:, next_checkpoint] = theta, going.buffers
    metrics = evaluate(arch, data, weights, buffers, regulariser)
    return Training(arch, tuple(optimizer.title for optimizer in optimizers), iterations, batch_size, seed, loss,
                    checkpoints, weights, *metrics, diverged_at, np.array([run.full_batch for run in runs]), buffers,
                    regulariser)


class _Going:
    """The runs in training: their weights theta (R, n) (updated in place), running statistics (R, s), weight decay
    λ (R,), dropout and its masks' generator."""

    def __init__(self, arch, runs, theta, regulariser, decay, mask_rng):
        self.arch, self.runs, self.theta, self.decay = arch, runs, theta, decay
        self.buffers = network.init_buffers(arch, (len(runs),))
        self.dropout = dict(dropout=regulariser.dropout, inverted=regulariser.inverted, rng=mask_rng)

    def iteration(self, data, batch, t, loss, diverged_at) -> None:
        """One update of every run still going: the gradients of the runs that share a batch in one call."""
        going, arch, theta = diverged_at < 0, self.arch, self.theta
        for full in (False, True):
            members = [i for i, run in enumerate(self.runs) if run.full_batch == full and going[i]]
            if not members:
                continue
            x, labels = (data.x_train, data.y_train) if full else (data.x_train[batch], data.y_train[batch])
            options = dict(weight_decay=self.decay[members], **({} if full else self.dropout))
            points = np.stack([self.runs[i].grad_point(theta[i], t) for i in members])
            stats = self.buffers[members]
            batch_loss, grads = network.loss_and_grad(arch, points, x, labels, buffers=stats, **options)
            self.buffers[members] = stats
            looked_ahead = [k for k, i in enumerate(members) if self.runs[i].rule.grad_point is not None]
            if looked_ahead:  # the curve shows the loss at θ_t, not at the look-ahead point
                here = [members[k] for k in looked_ahead]
                batch_loss[looked_ahead] = network.loss(arch, theta[here], x, labels,
                                                        **{**options, "weight_decay": self.decay[here]})
            for k, i in enumerate(members):
                loss[i, t] = batch_loss[k]
                new = theta[i] + self.runs[i].step(grads[k], theta[i], t)
                if not (np.isfinite(batch_loss[k]) and np.all(np.isfinite(new))) or np.max(np.abs(new)) > DIVERGE_WEIGHT:
                    diverged_at[i] = t
                    continue
                theta[i] = new


def evaluate(arch: Architecture, data, weights: np.ndarray, buffers=None, regulariser: Regulariser = Regulariser()) -> tuple:
    """(train_loss, train_accuracy, val_loss, val_accuracy), each (R, C), of the kept weights (R, C, n) (with Batch
    Norm, their running statistics ``buffers`` (R, C, s)), in evaluation mode, on the first EVAL_EXAMPLES examples
    of each split (the splits are shuffled), a few weight vectors a call (bounded memory).  The loss is the data's
    cross-entropy, without the weight decay term."""
    flat = weights.reshape(-1, weights.shape[-1])
    stats = None if buffers is None else np.asarray(buffers).reshape(len(flat), -1)
    splits = ((data.x_train[:EVAL_EXAMPLES], data.y_train[:EVAL_EXAMPLES]),
              (data.x_val[:EVAL_EXAMPLES], data.y_val[:EVAL_EXAMPLES]))
    chunk = network.chunk_size(arch, max(len(labels) for _, labels in splits))
    results = np.empty((4, len(flat)))
    with np.errstate(all="ignore"):
        for lo in range(0, len(flat), chunk):
            theta = flat[lo:lo + chunk].astype(float)
            options = network.evaluation(None if stats is None else stats[lo:lo + chunk].astype(float),
                                         regulariser.dropout, regulariser.inverted)
            for row, (x, labels) in enumerate(splits):
                probabilities = network.predict_proba(arch, theta, x, **options)
                picked = np.take_along_axis(probabilities, labels[None, :, None], axis=-1)[..., 0]
                results[2 * row, lo:lo + chunk] = -np.mean(np.log(np.maximum(picked, 1e-300)), axis=-1)
                results[2 * row + 1, lo:lo + chunk] = np.mean(np.argmax(probabilities, axis=-1) == labels, axis=-1)
    return tuple(results.reshape((4,) + weights.shape[:2]))
