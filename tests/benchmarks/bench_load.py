"""Load test: a class of simulated students on one server process and behind the multi-process set-up (issue 14).

    .venv/bin/python tests/benchmarks/bench_load.py                    # 1, 10, 30, 60 students; single and cluster
    .venv/bin/python tests/benchmarks/bench_load.py --students 30 --setups cluster --changes 20

Each student (``tests/streamlit_client.py``, the browser's websocket protocol without a browser) loads the page,
waits until the whole class has it, then changes its first run's learning rate ``--changes`` times, one step along
the slider's grid each time, thinking 0.2-0.6 s after each answer: the load model of issue 14's table.  Printed per
class size: the first page's p50/p95/max, a rerun's p50/p95/max (request to ``script_finished``), errors (a
traceback on the page, a run that did not finish, a lost connection), the server's CPU per rerun (all its processes,
nginx included, over the changes) and their peak memory (the sum of their resident sizes, sampled every 0.25 s).
Before the classes, one student alone changes the rate 80 times: the CPU of one lr change, the median of eight
means over ten changes (the kernel counts CPU in 10 ms ticks).

Everything runs on loopback and stops by itself (a bounded number of changes and a timeout per answer).  The
students are one asyncio process beside the servers, so on a 2-core machine they compete with them (the last
column: the students' own CPU, in cores): the figures are the class's view, including that.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import browser_support as bs  # noqa: E402
import streamlit_client as sc  # noqa: E402

CLOCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def descendants(root: int) -> list[int]:
    """``root`` and every process under it (the set-up script's Streamlit processes and nginx)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of the processes so far (user and system, their finished threads included: Streamlit runs each
    rerun in a thread of its own), in clock ticks of 10 ms: average over many reruns."""
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / CLOCK


def resident_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(open(f"/proc/{pid}/statm").read().split()[1]) * PAGE
        except OSError:
            pass
    return total


class Server:
    """The single process (``streamlit run``) or the cluster (``deploy/serve_class.sh``), on free loopback ports."""

    def __init__(self, setup: str, processes: int):
        self.setup, self.processes = setup, processes
        self.process, self.url, self.run_dir = None, "", None

    def __enter__(self) -> "Server":
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        port = bs.free_port()
        if self.setup == "single":
            command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                       "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]
        else:
            self.run_dir = tempfile.mkdtemp(prefix="bench-class-")
            env.update(PROCESSES=str(self.processes), PORT=str(port), LISTEN="127.0.0.1", RUN_DIR=self.run_dir,
                       BACKEND_PORT=str(bs.free_port()), PYTHON=sys.executable)
            command = ["bash", "deploy/serve_class.sh"]
        self.process = subprocess.Popen(command, cwd=bs.REPO, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the {self.setup} set-up did not answer in 180 s")

    def pids(self) -> list[int]:
        return descendants(self.process.pid)

    def __exit__(self, *exc) -> None:
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)


def lr_change(student, i: int):
    """The i-th change of the first run's learning rate (SGD on the long bowl, the default scene): first two
    places up the grid (off the preset: that reruns the whole page once, as it should), then one place down and up
    in turn, never back to the preset's value (which would rerun the page again to show the preset matched)."""
    return student.move_run_slider(0, "lr", 2 if i == 0 else (-1 if i % 2 else 1))


async def one_student_cpu(url: str, pids: list[int], batches: int = 8, size: int = 10) -> list[float]:
    """CPU (s) of one lr change, one student alone: the mean over each batch of ``size`` changes (a clock tick is
    10 ms), for ``batches`` batches."""
    student = sc.Student(url)
    await student.open()
    await lr_change(student, 0)  # leaving the preset reruns the whole page once; not an lr change's cost
    costs = []
    for batch in range(batches):
        await asyncio.sleep(0.1)  # the server's last sends after the previous script_finished
        before = cpu_seconds(pids)
        for i in range(size):
            await lr_change(student, batch * size + i + 1)
        await asyncio.sleep(0.1)
        costs.append((cpu_seconds(pids) - before) / size)
    await student.close()
    return costs


async def class_of(url: str, students: int, changes: int, pids: list[int], seed: int) -> dict:
    """``students`` students at once: their page loads, then ``changes`` lr changes each (see the module's doc)."""
    loaded = asyncio.Barrier(students)
    first_pages, reruns, errors = [], [], []
    window = {}

    async def student(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        me = sc.Student(url, timeout=120)
        try:
            run = await me.open()
            first_pages.append(run.seconds)
            if run.exceptions or run.status not in sc.FINISHED:
                errors.append(f"first page: status {run.status}, {run.exceptions[:1]}")
            await lr_change(me, 0)  # off the preset: the page's own full rerun, before the window
        except Exception as error:  # noqa: BLE001 - a lost student is an error of the run, counted and shown
            errors.append(f"first page: {type(error).__name__}: {error}")
            me = None
        await loaded.wait()
        window.setdefault("start", (time.perf_counter(), cpu_seconds(pids), own_cpu()))
        if me is None:
            return
        try:
            for i in range(1, changes + 1):
                await asyncio.sleep(rng.uniform(0.2, 0.6))
                run = await lr_change(me, i)
                reruns.append(run.seconds)
                if run.exceptions or run.status not in sc.FINISHED:
                    errors.append(f"rerun: status {run.status}, {run.exceptions[:1]}")
        except Exception as error:  # noqa: BLE001
            errors.append(f"rerun: {type(error).__name__}: {error}")
        finally:
            await me.close()

    peak = [0]
    stop = threading.Event()

    def sample_memory() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], resident_bytes(pids))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    await asyncio.gather(*(student(i) for i in range(students)))
    stop.set()
    sampler.join()
    started, cpu_before, own_before = window.get("start", (time.perf_counter(), cpu_seconds(pids), own_cpu()))
    seconds, cpu = time.perf_counter() - started, cpu_seconds(pids) - cpu_before
    return {"students": students, "first": first_pages, "reruns": reruns, "errors": errors, "seconds": seconds,
            "cpu_per_rerun": cpu / max(len(reruns), 1), "cpu_share": cpu / seconds, "peak": peak[0],
            "students_cpu": (own_cpu() - own_before) / seconds}


def own_cpu() -> float:
    """This process's CPU time (the simulated students'), user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(setup: str, result: dict) -> str:
    first, reruns = result["first"], result["reruns"]
    return (f"| {setup} | {result['students']} | {quantile(first, .5):.2f} / {quantile(first, .95):.2f} s | "
            f"{1000 * quantile(reruns, .5):.0f} | {1000 * quantile(reruns, .95):.0f} | {1000 * max(reruns, default=0):.0f} | "
            f"{len(reruns) / result['seconds']:.1f} | {len(result['errors'])} | {1000 * result['cpu_per_rerun']:.1f} ms | "
            f"{100 * result['cpu_share']:.0f} % | {result['peak'] / 2**20:.0f} MB | {100 * result['students_cpu']:.0f} % |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[10, 30, 60])
    parser.add_argument("--changes", type=int, default=15, help="lr changes per student")
    parser.add_argument("--setups", nargs="+", choices=("single", "cluster"), default=["single", "cluster"])
    parser.add_argument("--processes", type=int, default=os.cpu_count(), help="the cluster's Streamlit processes")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.changes} lr changes per student, 0.2-0.6 s apart\n")
    print("| set-up | students | first page p50 / p95 | rerun p50 ms | p95 ms | max ms | reruns/s | errors | "
          "CPU per rerun | server CPU | peak memory | students' CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    errors = []
    for setup in args.setups:
        label = "single process" if setup == "single" else f"nginx + {args.processes} processes"
        with Server(setup, args.processes) as server:
            pids = server.pids()
            costs = asyncio.run(one_student_cpu(server.url, pids))
            print(f"| {label} | 1 (alone) | | | | | | | {1000 * statistics.median(costs):.1f} ms (median of "
                  f"{len(costs)} means of 10) | | | |", flush=True)
            for count in args.students:
                result = asyncio.run(class_of(server.url, count, args.changes, pids, seed=count))
                print(report(label, result), flush=True)
                errors += result["errors"]
    for error in errors[:10]:
        print("error:", error)


if __name__ == "__main__":
    main()
