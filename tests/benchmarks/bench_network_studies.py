"""The network lab's chapter-6 views (nets/*_study.py, overfitting, search, ensembles): how long each takes to
compute the first time, against a reference measured in the same run.

    .venv/bin/python tests/benchmarks/bench_network_studies.py [--repeat N]

Each view's work is timed as the page does it on a cache miss (``ui/network_studies.py``: every result is then
shared by the class, so a second student, or a second look, costs nothing): the initial weights' histograms and the
four scales training the digits (Fig. 6-15); Batch Norm with and without across 8 weight scales (Fig. 6-19); the
overfitting view's two runs (plain, and λ = 0.1) and one more slider change (dropout 0.2); the default search (20
trials); the ensembles' base training (10 members) and the four ensembles.  Target: each view under 2 s on the
2-core machine.

The reference: ``nets.train.train`` of the lab's default (the spiral, 2-100-3, the book's four runs, 1000
iterations), the training behind the tab's first view, timed in the same run; each figure is printed with its
ratio to it, so a slower or busier machine shows as the same ratios.  Best of --repeat (default 2) in one process
(the first call of each pays NumPy's warm-up).  The 1-minute load average is printed: on a busy 2-core machine
OpenBLAS's threads wait for each other and these small matmuls slow down several-fold.  Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nets import batchnorm_study, ensembles, init_study, overfitting, search  # noqa: E402
from nets import data as datasets  # noqa: E402
from nets import train  # noqa: E402
from optim_core.runner import make  # noqa: E402
from page_model import network_lab  # noqa: E402

TARGET = 2.0


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def reference() -> None:
    lab = network_lab.Lab()
    data = lab.dataset()
    runs = [make(name, lr=network_lab.default_lr(name)) for name in ("sgd", "momentum", "adagrad", "adam")]
    train.train(lab.architecture(data), data, runs, iterations=lab.iterations, batch_size=lab.batch, seed=lab.seed)


def views() -> dict:
    digits = datasets.load("digits", seed=0)
    found = {}

    def the_search():
        found["search"] = search.run(digits, 20)

    def the_ensembles():
        base = ensembles.base_training(digits, ensembles.MEMBERS_RANGE[1])
        if "search" not in found:
            the_search()
        for kind in ensembles.KINDS:
            ensembles.build(kind, digits, 5, base, found["search"])

    return {
        "initial weights: histograms (sigmoid)": lambda: [init_study.histograms(s, "sigmoid") for s in init_study.SCALES],
        "initial weights: four scales training (Fig. 6-15)": init_study.training,
        "Batch Norm: 8 scales, with and without (Fig. 6-19)": batchnorm_study.compare,
        "overfitting: first view (plain + lambda 0.1)": lambda: (overfitting.run(0, 0), overfitting.run(0.1, 0)),
        "overfitting: a slider change (dropout 0.2)": lambda: overfitting.run(0.1, 0.2),
        "search: 20 trials, the book's ranges": the_search,
        "ensembles: base training (10 members) + the four kinds": the_ensembles,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, 1-minute load average {os.getloadavg()[0]:.1f}")
    base = best_of(args.repeat, reference)
    print(f"reference: the lab's default training (spiral, 4 runs x 1000 iterations)  {base:6.2f} s")
    rows = []
    for name, work in views().items():
        seconds = best_of(args.repeat, work)
        rows.append((name, seconds))
        print(f"  {name:<58} {seconds:6.2f} s  {seconds / base:5.2f}x the reference  "
              f"target <= {TARGET:g} s  {'met' if seconds <= TARGET else 'not met'}")
    print(f"1-minute load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
