"""The network lab's speed and memory (nets/, ui/network_tab.py), against references run in the same process.

    .venv/bin/python tests/benchmarks/bench_network.py [--quick]

(a) the spiral (300 points, 240 for training), a 2-100-3 ReLU network, 5 runs x 1000 iterations at batch 100 with
    ``nets.train.train`` (target <= 1.5 s on a 2-core machine): the page's kind of runs (SGD, Momentum, AdaGrad,
    RMSProp, Adam at the lab's default learning rates) and 5 SGD runs;
(c) the digits, 64-100-100-10, 4 runs x 1000 iterations at batch 128 (target <= 5 s): the book's four rules
    (SGD, Momentum, AdaGrad, Adam) and 4 SGD runs.
    References for (a) and (c): the same forward / backward / SGD update of the same network on the same minibatches
    from the same initial weights, written out by hand in NumPy (no trainer, no flat layout, no divergence checks,
    no evaluation), one run at a time and all runs batched; the ratio is the trainer's overhead.  It also prints
    the share of the trainer's time inside ``network.loss_and_grad`` and inside ``train.evaluate`` (timed by
    wrappers), whether the hand loop ends on the trainer's weights, and the rate in GFLOP/s (``train.work``)
    against a float64 BLAS matmul timed in the same run.
(b) the landscape as the tab makes it, ``nets.landscape.of_network`` (pca_plane + project + grid + surface of the
    training loss on the grid and examples ``landscape.budget`` allows: 41 x 41 and every example when they fit
    landscape.LANDSCAPE_WORK; the random plane too, for comparison), after the trainings of (a) and (c)
    (target <= 1 s); the parts are timed by wrappers.
(d) the server side of a rerun that only shows another view of a finished training (the tab plays the iterations in
    the browser, as Plotly frames): building each figure of ``viz.network`` (the loss curves, the decision regions
    with their probabilities for up to 51 frames as ``ui.network_tab.regions`` computes them on a first view, the
    landscape), what ``st.plotly_chart`` then does with it (``plotly.tools.return_figure_from_figure_or_data`` on the
    ``CheckedFigure`` and ``plotly.io.to_json(validate=False)``), and the size of that JSON (target: build +
    serialise <= 100 ms).
(e) one session's peak memory, each case in a fresh child process with tracemalloc on, run before anything else
    (Linux carries ru_maxrss over fork and exec, so a child of a grown parent would report the parent's peak): the
    tracemalloc peak and the rise of the process's peak RSS (ru_maxrss) over its size after the imports and a
    warm-up, phase by phase (training loop, train.evaluate, both landscape planes, the decision regions, every
    figure and its JSON).  The cases are the largest settings the page's controls allow under ``train.MAX_WORK``
    (found below: 5 hidden layers x 200 units, 8 runs at the largest batch that fits, on the digits and on the
    biggest spiral, 20,000 points; L-BFGS, whose state is the largest, on the digits), and the default spiral.
    Target < 300 MB.  --quick leaves out
    the two slowest cases (L-BFGS and the biggest spiral) and repeats nothing.

Timings depend on the machine's load: the 1-minute load average is printed along the way.  When threadpoolctl is
installed, (a), (c) and (b) are measured twice: with BLAS on its default threads (what the page runs with) and
limited to one thread, because on a busy 2-core machine OpenBLAS's threads wait for each other and the small
matmuls of these networks slow down several-fold.  Prints figures, ratios and a table of every figure against its
target; asserts nothing (speed is not a test).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import optim_core  # noqa: E402
from nets import data as datasets  # noqa: E402
from nets import landscape, network, train  # noqa: E402
from page_model import network_lab  # noqa: E402
from viz import network as pictures  # noqa: E402
from viz.styles import run_style  # noqa: E402

PAGE_RULES = ("sgd", "momentum", "adagrad", "rmsprop", "adam")  # (a): five of the page's first-order rules
BOOK_RULES = ("sgd", "momentum", "adagrad", "adam")  # (c): the book's Fig. 6-9
SGD_LRS = {"spiral": (0.01, 0.03, 0.1, 0.3, 1.0), "digits": (0.01, 0.03, 0.1, 0.3)}
TARGETS = {"a": 1.5, "b": 1.0, "c": 5.0, "d": 0.100, "e": 300e6}
TABLE = []  # (item, what, figure, target, met)


def timed(repeats, function):
    """(the times of ``repeats`` calls, the last call's result)."""
    times, result = [], None
    for _ in range(repeats):
        begin = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - begin)
    return times, result


def best_of(repeats, function):
    """(the least time of ``repeats`` calls, the last call's result)."""
    times, result = timed(repeats, function)
    return min(times), result


class Tally:
    """Seconds and calls spent in a function, counted by a wrapper."""

    def __init__(self):
        self.seconds, self.calls = 0.0, 0

    def wrap(self, function):
        def timed(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - begin
                self.calls += 1
        return timed


@contextlib.contextmanager
def tallied(**targets):
    """Wrap ``module.name`` for every name=module given; yields {name: Tally}; puts the originals back."""
    tallies, saved = {}, {}
    for name, module in targets.items():
        saved[name] = getattr(module, name)
        tallies[name] = Tally()
        setattr(module, name, tallies[name].wrap(saved[name]))
    try:
        yield tallies
    finally:
        for name, module in targets.items():
            setattr(module, name, saved[name])


def record(item, what, seconds_or_bytes, target, unit="s"):
    met = seconds_or_bytes <= target if unit != "MB" else seconds_or_bytes < target
    if unit == "s":
        figure, goal = f"{seconds_or_bytes:.2f} s", f"<= {target:g} s"
    elif unit == "ms":
        figure, goal = f"{seconds_or_bytes * 1e3:.0f} ms", f"<= {target * 1e3:.0f} ms"
    else:
        figure, goal = f"{seconds_or_bytes / 1e6:.0f} MB", f"< {target / 1e6:.0f} MB"
    TABLE.append((item, what, figure, goal, met))


def optimizers(rules, lrs=None):
    return [optim_core.make(rule, lr=lrs[i] if lrs else network_lab.default_lr(rule)) for i, rule in enumerate(rules)]


def titles_and_colours(opts):
    return ([f"{i + 1} {opt.rule.title}" for i, opt in enumerate(opts)], [run_style(opt.name).colour for opt in opts])


def gemm_rate():
    """GFLOP/s of a float64 1000 x 1000 matmul (the machine's BLAS, now), best of 5."""
    a = np.random.default_rng(0).random((1000, 1000))
    seconds, _ = best_of(5, lambda: a @ a)
    return 2e9 / seconds / 1e9


def blas_settings():
    """None (BLAS's own thread count), then 1 thread when threadpoolctl can set it and the default is more."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [None]
    return [None, 1] if any(pool["num_threads"] > 1 for pool in threadpool_info() if pool["user_api"] == "blas") \
        else [None]


def blas_threads(threads):
    """A context limiting BLAS to ``threads`` threads (threadpoolctl); nothing for None."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(threads, "blas")


def blas_text():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl is not installed: thread count unknown"
    pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    return ", ".join(f"{pool['internal_api']} {pool['version']}, {pool['num_threads']} threads" for pool in pools)


def load_text():
    return f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "n/a"


# --- the hand-fused reference -----------------------------------------------------------------------------------


def fused_sgd(W, b, lr, x_train, y_train, batches):
    """The forward pass, backpropagation and SGD update of a ReLU network with a softmax cross-entropy, written out.

    W, b: lists of arrays (in, out), (out,) for one run, or (R, in, out), (R, out) for R runs at once, updated in
    place; lr a number, or (R,) for R runs.  Returns the minibatch losses (T,) or (T, R)."""
    layers, batch = len(W), batches.shape[1]
    runs = W[0].shape[:-2]
    lr = np.asarray(lr, dtype=float)
    lr_W, lr_b = lr.reshape(runs + (1, 1)), lr.reshape(runs + (1,))
    rows = np.arange(batch)
    losses = np.empty((len(batches),) + runs)
    for t, index in enumerate(batches):
        x, y = x_train[index], y_train[index]
        if runs:
            x = np.broadcast_to(x, runs + x.shape)  # NumPy's matmul is faster on an explicit broadcast
        inputs, h = [x], x
        for i in range(layers):
            h = np.matmul(h, W[i])
            h += b[i][..., None, :]
            if i < layers - 1:
                np.maximum(h, 0.0, out=h)
                inputs.append(h)
        shifted = h - h.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        losses[t] = -log_p[..., rows, y].mean(axis=-1)
        d = np.exp(log_p)
        d[..., rows, y] -= 1.0
        d /= batch
        for i in range(layers - 1, -1, -1):
            dW = np.matmul(np.swapaxes(inputs[i], -1, -2), d)
            db = d.sum(axis=-2)
            if i > 0:
                d = np.matmul(d, np.swapaxes(W[i], -1, -2))
                d *= inputs[i] > 0
            W[i] -= lr_W * dW
            b[i] -= lr_b * db
    return losses


def fused_setup(arch, data, batch_size, iterations, seed):
    """θ₀ and the minibatches exactly as ``train.train`` draws them, and θ₀ as separate (W, b) arrays."""
    rng = np.random.default_rng(seed)
    theta0 = network.init_params(arch, rng, "he")
    batches = train.minibatches(rng, len(data.y_train), batch_size, iterations)
    return [(W.copy(), b.copy()) for W, b in network.unflatten(arch, theta0)], batches


def fused_one_at_a_time(arch, data, lrs, batch_size, iterations, seed):
    params, batches = fused_setup(arch, data, batch_size, iterations, seed)
    finals = []
    for lr in lrs:
        W, b = [w.copy() for w, _ in params], [v.copy() for _, v in params]
        fused_sgd(W, b, lr, data.x_train, data.y_train, batches)
        finals.append(network.flatten(arch, list(zip(W, b))))
    return np.stack(finals)


def fused_batched(arch, data, lrs, batch_size, iterations, seed):
    params, batches = fused_setup(arch, data, batch_size, iterations, seed)
    W = [np.repeat(w[None], len(lrs), axis=0) for w, _ in params]
    b = [np.repeat(v[None], len(lrs), axis=0) for _, v in params]
    fused_sgd(W, b, np.array(lrs), data.x_train, data.y_train, batches)
    return network.flatten(arch, list(zip(W, b)))


# --- (a), (c): training ------------------------------------------------------------------------------------------


def training_speed(item, label, name, arch, rules, batch_size, iterations, repeats, gemm, suffix=""):
    data = datasets.load(name)
    print(f"({item}) {label}: {len(data.y_train)} training examples, {'-'.join(map(str, arch.sizes))} "
          f"({arch.n_params:,} weights), {iterations} iterations at batch {batch_size}, best of {repeats}")
    page_runs = optimizers(rules)
    sgd_lrs = SGD_LRS[name][:len(rules)]
    sgd_runs = optimizers(["sgd"] * len(rules), sgd_lrs)
    kept = {}
    for kind, runs in (("page", page_runs), ("sgd", sgd_runs)):
        with tallied(loss_and_grad=network, evaluate=train) as tallies:
            times, result = timed(repeats, lambda: train.train(arch, data, runs, iterations=iterations,
                                                               batch_size=batch_size))
        seconds, spent = min(times), sum(times)
        grad_share, evaluate_share = tallies["loss_and_grad"].seconds / spent, tallies["evaluate"].seconds / spent
        flops = train.work(arch, runs, iterations, batch_size, len(data.y_train))
        what = (" + ".join(f"{opt.rule.title} {network_lab.default_lr(opt.name):g}" for opt in runs) if kind == "page"
                else f"{len(runs)} x SGD (lr {', '.join(f'{lr:g}' for lr in sgd_lrs)})")
        print(f"    trainer, {what}")
        print(f"        {seconds:6.3f} s ({seconds / iterations * 1e3:5.2f} ms an iteration, "
              f"{flops / seconds / 1e9:4.1f} GFLOP/s = {flops / seconds / 1e9 / gemm:4.0%} of the BLAS matmul); "
              f"network.loss_and_grad {grad_share:4.0%} of the time, train.evaluate {evaluate_share:4.0%} "
              f"({result.checkpoints.size} checkpoints x {len(runs)} runs), the rest "
              f"{1 - grad_share - evaluate_share:4.0%}; diverged: {int((result.diverged_at >= 0).sum())}; "
              f"final validation accuracy "
              f"{', '.join(f'{a:.0%}' for a in result.val_accuracy[:, -1])}")
        kept[kind] = (seconds, result, evaluate_share * seconds)
        record(item, f"{name}, {len(runs)} runs ({'page rules' if kind == 'page' else 'SGD'}){suffix}", seconds,
               TARGETS[item])
    seconds, result, evaluate = kept["sgd"]
    one, finals = best_of(repeats, lambda: fused_one_at_a_time(arch, data, sgd_lrs, batch_size, iterations, 0))
    batched, finals_batched = best_of(repeats, lambda: fused_batched(arch, data, sgd_lrs, batch_size, iterations, 0))
    trained = result.weights[:, -1].astype(float)
    scale = np.max(np.abs(trained))
    print(f"    hand-fused SGD loop, one run at a time   {one:6.3f} s   trainer / this: {seconds / one:4.2f}x "
          f"(without train.evaluate {(seconds - evaluate) / one:4.2f}x)")
    print(f"    hand-fused SGD loop, all runs batched    {batched:6.3f} s   trainer / this: {seconds / batched:4.2f}x "
          f"(without train.evaluate {(seconds - evaluate) / batched:4.2f}x)")
    print(f"    the hand loops end on the trainer's final weights (largest difference / largest weight): "
          f"{np.max(np.abs(finals - trained)) / scale:.1e} one at a time, "
          f"{np.max(np.abs(finals_batched - trained)) / scale:.1e} batched (the trainer keeps float32: ~6e-8)")
    return data, kept["page"][1], page_runs


# --- (b): the landscape --------------------------------------------------------------------------------------------


def of_training(arch, data, training, kind):
    """The landscape as the Network tab computes it."""
    return landscape.of_network(arch, data.x_train, data.y_train, training.weights,
                                training.train_loss[:, -1], kind, 0)


def landscape_speed(network_tab, label, arch, data, training, repeats, suffix=""):
    for kind in ("pca", "random"):
        with tallied(pca_plane=landscape, random_plane=landscape, project=landscape, grid=landscape,
                     surface=landscape) as tallies:
            times, result = timed(repeats, lambda: of_training(arch, data, training, kind))
        parts = ", ".join(f"{name} {tally.seconds / sum(times):4.0%}" for name, tally in tallies.items() if tally.calls)
        plane = result.plane
        points = result.alphas.size * result.betas.size
        flops = 2.0 * points * result.examples * sum(i * o for i, o in zip(arch.sizes[:-1], arch.sizes[1:]))
        extra = f", the plane holds {plane.explained:.0%} of the paths' variance" if kind == "pca" else ""
        print(f"    {label}, {kind:6s} plane, {result.alphas.size} x {result.betas.size} grid, {result.examples} of "
              f"{result.available} examples: {min(times):6.3f} s (of the time: {parts}; the surface's forward "
              f"passes are {flops / 1e9:5.1f} GFLOP, {flops / min(times) / 1e9:4.1f} GFLOP/s{extra})")
        if kind == "pca":
            record("b", f"landscape, {label}{suffix}", min(times), TARGETS["b"])


# --- (d): figures --------------------------------------------------------------------------------------------------


def serialise(figure):
    """What st.plotly_chart does with a CheckedFigure: its dict, then plotly.io.to_json without validation."""
    import plotly.io as pio
    import plotly.tools
    from ui.checked_figure import CheckedFigure

    return pio.to_json(plotly.tools.return_figure_from_figure_or_data(CheckedFigure(figure), True), validate=False)


def figure_cost(label, build, repeats, item_label=None):
    built, figure = best_of(repeats, build)
    sent, text = best_of(repeats, lambda: serialise(figure))
    size = len(text.encode("utf-8"))
    frames = len(figure.get("frames", ()))
    print(f"    {label:46s} build {built * 1e3:7.1f} ms   serialise {sent * 1e3:7.1f} ms   total "
          f"{(built + sent) * 1e3:7.1f} ms   JSON {size / 1e6:6.2f} MB ({frames} frames)")
    if item_label:
        record("d", item_label, built + sent, TARGETS["d"], unit="ms")
    return built + sent, size


def figure_speed(network_tab, spiral, spiral_arch, spiral_training, spiral_runs, digits, digits_arch,
                 digits_training, digits_runs, repeats):
    print(f"(d) a rerun that shows a finished training (figures built server-side, played in the browser), best of "
          f"{repeats}")
    for name, data, arch, training, runs in (("spiral", spiral, spiral_arch, spiral_training, spiral_runs),
                                             ("digits", digits, digits_arch, digits_training, digits_runs)):
        titles, colours = titles_and_colours(runs)
        figure_cost(f"{name}: loss curves ({len(runs)} runs x {training.iterations} it.)",
                    lambda: pictures.loss_figure(training, titles, colours), repeats, f"{name}: loss curves")
        if data.is_2d:
            def probabilities():
                xs, ys, points = pictures.region_grid(data.bounds, network_tab.REGION_SIZE)
                frames = network_tab.frames_of(training)
                return xs, ys, frames, network.predict_proba_chunked(arch, training.weights[:, frames], points)

            first, (xs, ys, frames, probs) = best_of(repeats, probabilities)
            print(f"    {name}: region probabilities, first view only    {first * 1e3:7.1f} ms   "
                  f"({len(runs)} runs x {len(frames)} frames x {network_tab.REGION_SIZE}² points, kept "
                  f"{probs.nbytes / 1e6:.0f} MB)")
            shown = figure_cost(f"{name}: decision regions ({len(frames)} frames)",
                                lambda: pictures.regions_figure(xs, ys, probs, data, titles,
                                                                training.val_accuracy[:, frames],
                                                                training.checkpoints[frames]),
                                repeats, f"{name}: decision regions (probabilities kept)")
            record("d", f"{name}: decision regions, first view", first + shown[0], TARGETS["d"], unit="ms")
        found = of_training(arch, data, training, "pca")
        alphas, betas, losses, coords = found.alphas, found.betas, found.losses, found.coords
        for hide in (True, False):
            figure_cost(f"{name}: landscape ({len(training.checkpoints)} frames, hide_future={hide})",
                        lambda: pictures.landscape_figure(alphas, betas, losses, coords, training.checkpoints,
                                                          titles, colours, hide_future=hide),
                        repeats, f"{name}: landscape (hide_future={hide})")


# --- (e): memory, one case a fresh process -------------------------------------------------------------------------

WIDE = (200,) * 5  # the largest network the controls allow: 5 hidden layers x 200 units


def largest(name, params, rule, runs):
    """The largest batch (then iterations) of the controls' options at which ``runs`` runs of ``rule`` on a
    5 x 200 network fit under train.MAX_WORK."""
    data = datasets.load(name, **params)
    arch = network.Architecture((data.input_dim, *WIDE, data.classes))
    opts = optimizers([rule] * runs)
    fitting = [(batch, iterations) for batch in network_lab.BATCH_OPTIONS for iterations in
               network_lab.ITERATION_OPTIONS
               if train.work(arch, opts, iterations, batch, len(data.y_train)) <= train.MAX_WORK]
    batch = max(b for b, _ in fitting)
    return batch, max(i for b, i in fitting if b == batch)


def lbfgs_runs(name):
    """(hidden layers, runs): the widest 5-layer network (of the controls' unit options) on which L-BFGS (full
    batch, its line search counted) fits under train.MAX_WORK at the fewest iterations, and how many runs fit."""
    data = datasets.load(name)
    for units in sorted(network_lab.UNIT_OPTIONS, reverse=True):
        arch = network.Architecture((data.input_dim, *(units,) * 5, data.classes))
        one = train.work(arch, optimizers(["lbfgs"]), network_lab.ITERATION_OPTIONS[0], 1, len(data.y_train))
        if one <= train.MAX_WORK:
            return (units,) * 5, min(8, int(train.MAX_WORK // one))
    return (2,) * 5, 1


def memory_cases(quick):
    cases = {"default spiral": dict(data="spiral", params={}, hidden=(100,), rules=PAGE_RULES, batch=100,
                                    iterations=1000)}
    batch, iterations = largest("digits", {}, "adam", 8)
    cases["digits, largest"] = dict(data="digits", params={}, hidden=WIDE, rules=("adam",) * 8, batch=batch,
                                    iterations=iterations)
    if not quick:
        hidden, runs = lbfgs_runs("digits")
        cases["digits, L-BFGS"] = dict(data="digits", params={}, hidden=hidden, rules=("lbfgs",) * runs, batch=2000,
                                       iterations=network_lab.ITERATION_OPTIONS[0])
        big = {"points_per_class": 2000, "classes": 10}
        batch, iterations = largest("spiral", big, "adam", 8)
        cases["spiral 20,000 points, largest"] = dict(data="spiral", params=big, hidden=WIDE, rules=("adam",) * 8,
                                                      batch=batch, iterations=iterations)
    return cases


def child(spec_json: str) -> None:
    """One session in this fresh process: train (with evaluate), both landscapes, the regions, every figure."""
    import resource
    import tracemalloc

    import ui.network_tab as network_tab

    spec = json.loads(spec_json)

    def rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def session(data, arch, runs, batch, iterations, mark=lambda name: None):
        training = train.train(arch, data, runs, iterations=iterations, batch_size=batch)
        mark("train.evaluate")
        extras = {}
        surface_seconds = {}
        for kind in ("pca", "random"):
            with tallied(surface=landscape) as tallies:
                extras[kind] = of_training(arch, data, training, kind)
            surface_seconds[kind] = tallies["surface"].seconds
            mark(f"landscape, {kind}")
        titles, colours = titles_and_colours(runs)
        if data.is_2d:
            xs, ys, points = pictures.region_grid(data.bounds, network_tab.REGION_SIZE)
            frames = network_tab.frames_of(training)
            extras["regions"] = (xs, ys, frames, network.predict_proba_chunked(arch, training.weights[:, frames], points))
            mark("region probabilities")
        sizes = {"loss": len(serialise(pictures.loss_figure(training, titles, colours)))}
        if data.is_2d:
            xs, ys, frames, probs = extras["regions"]
            sizes["regions"] = len(serialise(pictures.regions_figure(
                xs, ys, probs, data, titles, training.val_accuracy[:, frames], training.checkpoints[frames])))
        found = extras["pca"]
        alphas, betas, losses, coords = found.alphas, found.betas, found.losses, found.coords
        sizes["landscape"] = len(serialise(pictures.landscape_figure(alphas, betas, losses, coords,
                                                                     training.checkpoints, titles, colours)))
        mark("figures + JSON")
        return training, surface_seconds, sizes

    # warm up (imports, first calls, BLAS threads) on a tiny session, then take the baseline
    tiny = datasets.load("spiral", points_per_class=20)
    session(tiny, network.Architecture((2, 8, 3)), optimizers(["sgd", "adam"]), 8, 20)
    data = datasets.load(spec["data"], **spec["params"])
    arch = network.Architecture((data.input_dim, *spec["hidden"], data.classes))
    runs = optimizers(spec["rules"])
    baseline = rss()
    phases, clock = [], [time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        phases.append(dict(name=name, seconds=now - clock[0], traced=tracemalloc.get_traced_memory()[1],
                           rss=rss() - baseline))
        tracemalloc.reset_peak()
        clock[0] = time.perf_counter()

    original = train.evaluate

    def evaluate(*args, **kwargs):  # the training loop ends where train() calls evaluate
        mark("training loop")
        return original(*args, **kwargs)

    train.evaluate = evaluate
    tracemalloc.start()
    training, surface_seconds, sizes = session(data, arch, runs, spec["batch"], spec["iterations"], mark)
    train.evaluate = original
    estimate = {kind: next(p["seconds"] for p in phases if p["name"] == f"landscape, {kind}")
                for kind in ("pca", "random")}
    print(json.dumps(dict(phases=phases, n_params=arch.n_params, n_train=len(data.y_train),
                          checkpoints=int(training.checkpoints.size), landscape_41=estimate, sizes=sizes,
                          work=train.work(arch, runs, spec["iterations"], spec["batch"], len(data.y_train)),
                          diverged=int((training.diverged_at >= 0).sum()))))


def measure_memory(quick):
    """Run every case in a child process, first thing: Linux carries ru_maxrss over fork and exec, so a child of a
    parent that has grown would report the parent's peak."""
    results = {}
    for label, spec in memory_cases(quick).items():
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True)
        results[label] = (spec, out)
    return results


def memory(results):
    print("(e) one session's peak memory, each case in a fresh process under tracemalloc (run before everything "
          "else); RSS is the rise of the peak resident set over the process after its imports and a warm-up")
    for label, (spec, out) in results.items():
        if out.returncode != 0:
            print(f"    {label}: the child failed ({out.returncode}): {out.stderr.strip().splitlines()[-1:]}")
            continue
        found = json.loads(out.stdout.strip().splitlines()[-1])
        runs = len(spec["rules"])
        print(f"    {label}: {'-'.join(map(str, ('in',) + tuple(spec['hidden']) + ('K',)))} "
              f"({found['n_params']:,} weights), {found['n_train']:,} training examples, {runs} x "
              f"{spec['rules'][0] if len(set(spec['rules'])) == 1 else '/'.join(spec['rules'])}, "
              f"{spec['iterations']} iterations at batch {spec['batch']} (work {found['work']:.2g} of "
              f"{train.MAX_WORK:.2g}), {found['checkpoints']} checkpoints, {found['diverged']} diverged")
        for phase in found["phases"]:
            print(f"        {phase['name']:22s} {phase['seconds']:7.2f} s   tracemalloc peak "
                  f"{phase['traced'] / 1e6:7.1f} MB   peak RSS so far +{phase['rss'] / 1e6:7.1f} MB")
        traced = max(p["traced"] for p in found["phases"])
        rss = found["phases"][-1]["rss"]
        print(f"        landscape: pca {found['landscape_41']['pca']:.1f} s, random "
              f"{found['landscape_41']['random']:.1f} s; JSON sent: "
              + ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in found["sizes"].items()))
        print(f"        session peak: tracemalloc {traced / 1e6:.0f} MB, RSS +{rss / 1e6:.0f} MB")
        record("e", f"{label}: tracemalloc peak", traced, TARGETS["e"], unit="MB")
        record("e", f"{label}: RSS rise", rss, TARGETS["e"], unit="MB")


# --- main ------------------------------------------------------------------------------------------------------------


def main():
    quick = "--quick" in sys.argv
    repeats = 1 if quick else 3
    few = 1 if quick else 2
    begin = time.perf_counter()
    print(f"{os.cpu_count()} CPUs, 1-minute load average {load_text()}; the memory cases of (e) run first (BLAS on "
          f"its default threads)")
    memory_results = measure_memory(quick)
    import ui.network_tab as network_tab

    spiral_arch = network.Architecture((2, 100, 3))
    digits_arch = network.Architecture((64, 100, 100, 10))
    kept = None
    for threads in blas_settings():
        with blas_threads(threads):
            gemm = gemm_rate()
            suffix = "" if threads is None else f", BLAS {threads} thread"
            print(f"{'=' * 8} BLAS {'on its default threads' if threads is None else f'limited to {threads} thread'}"
                  f" ({blas_text()}); 1-minute load average {load_text()}; float64 1000 x 1000 matmul {gemm:.1f} "
                  f"GFLOP/s (best of 5)")
            spiral, spiral_training, spiral_runs = training_speed("a", "the spiral", "spiral", spiral_arch,
                                                                  PAGE_RULES, 100, 1000, repeats, gemm, suffix)
            digits, digits_training, digits_runs = training_speed("c", "the digits", "digits", digits_arch,
                                                                  BOOK_RULES, 128, 1000, few, gemm, suffix)
            print(f"(b) the landscape (nets.landscape.of_network) of the page-rule trainings above; spiral best of {repeats}, "
                  f"digits best of {few}")
            landscape_speed(network_tab, "spiral 2-100-3, 5 runs", spiral_arch, spiral, spiral_training, repeats,
                            suffix)
            landscape_speed(network_tab, "digits 64-100-100-10, 4 runs", digits_arch, digits, digits_training, few,
                            suffix)
        if kept is None:
            kept = spiral, spiral_training, spiral_runs, digits, digits_training, digits_runs
    spiral, spiral_training, spiral_runs, digits, digits_training, digits_runs = kept
    print(f"{'=' * 8} BLAS on its default threads again")
    figure_speed(network_tab, spiral, spiral_arch, spiral_training, spiral_runs, digits, digits_arch,
                 digits_training, digits_runs, repeats)
    memory(memory_results)
    print(f"every figure against its target (load average now {load_text()}; {time.perf_counter() - begin:.0f} s "
          f"in all)")
    width = max(len(what) for _, what, _, _, _ in TABLE)
    for item, what, figure, goal, met in TABLE:
        print(f"    ({item}) {what:{width}s} {figure:>9s}  target {goal:10s} {'met' if met else 'not met'}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
