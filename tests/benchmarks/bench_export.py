"""Time, size and memory of the slide exports (issue 15, item 9), against the 960×600 GIF measured in the same run.

    .venv/bin/python tests/benchmarks/bench_export.py [--quick]

The page's default scene (the book's comparison: SGD, Momentum, AdaGrad and Adam, 30 steps on the bowl) at
the export's defaults (the whole run in 5 s: 101 GIF frames at 20 fps, 151 MP4 frames at 30 fps, the last held
a second), as GIF and MP4, at each size of ``export.RESOLUTIONS``, without and with ``arrows`` (the runs kept
with their state, as arrows need).  Then the largest request the page can make: the Rosenbrock preset's five
runs over 3000 steps (three of them never stop) at 0.5 steps a second (100 minutes of motion) at 1920×1080,
which the frame caps hold to 300 GIF and 600 MP4 frames.

Each export runs in a fresh child process (so one case's freed memory cannot hide another's peak); the peak
RSS is the rise over the child after its imports and runs.  Prints figures and ratios; asserts nothing
(speed is not a test).  --quick: 960×600 only, no largest request (a smoke test).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LARGEST = dict(steps=3000, steps_per_second=0.5, size="1920×1080")


def child(kind: str, size: str, arrows: bool, largest: bool) -> None:
    """Make one export in this (fresh) process and print a JSON line of what it cost."""
    import dataclasses
    import resource
    import time

    sys.path.insert(0, str(ROOT))
    import page_model as sc
    from viz import export
    from viz import figures as fg

    scene = sc.DEFAULT_SCENE
    options = dict(size=size, arrows=arrows)
    if largest:
        scene = dataclasses.replace(sc.PRESETS["rosenbrock"].scene, steps=LARGEST["steps"])
        options["steps_per_second"] = LARGEST["steps_per_second"]
    surface = scene.surface_object()
    trajectories = tuple(sc.simulate_run(scene, run, surface, record_state=True) for run in scene.runs)
    make = export.gif_bytes if kind == "gif" else export.mp4_bytes
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    begin = time.perf_counter()
    data = make(scene, trajectories, **options)
    seconds = time.perf_counter() - begin
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    timeline = export.animation_timeline(
        fg.longest_run(trajectories), steps_per_second=options.get("steps_per_second"),
        **(dict(fps=export.GIF_FPS, max_frames=export.GIF_MAX_FRAMES, gif=True) if kind == "gif"
           else dict(fps=export.MP4_FPS, max_frames=export.MP4_MAX_FRAMES)))
    print(json.dumps(dict(seconds=seconds, bytes=len(data), rss_delta=peak - baseline,
                          frames=len(timeline.positions), frame_seconds=float(timeline.frame_seconds))))


def measure(kind: str, size: str, arrows: bool, largest: bool = False) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, size, str(int(arrows)), str(int(largest))],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def row(label: str, figures: dict, reference: dict) -> str:
    return (f"    {label:<26} {figures['seconds']:6.2f} s {figures['bytes'] / 1e3:8.0f} KB "
            f"{figures['frames']:5d} frames of {figures['frame_seconds']:.3f} s  peak RSS +"
            f"{figures['rss_delta'] / 1e6:6.1f} MB   time {figures['seconds'] / reference['seconds']:5.1f}x, "
            f"size {figures['bytes'] / reference['bytes']:5.1f}x the 960×600 GIF")


def main():
    sys.path.insert(0, str(ROOT))
    from viz import export

    quick = "--quick" in sys.argv
    sizes = ["960×600"] if quick else list(export.RESOLUTIONS)
    print("The default scene (4 runs x 30 steps), whole run in 5 s; each figure from a fresh process")
    reference = measure("gif", "960×600", False)
    print(row("GIF 960×600 (reference)", reference, reference))
    for size in sizes:
        print(f"  {size}:")
        for kind in ("gif", "mp4"):
            for arrows in (False, True):
                if (kind, size, arrows) == ("gif", "960×600", False):
                    figures = reference
                else:
                    figures = measure(kind, size, arrows)
                print(row(f"{kind.upper()}{' with arrows' if arrows else ''}", figures, reference))
    if not quick:
        print(f"The largest request: the Rosenbrock preset, {LARGEST['steps']} steps at {LARGEST['steps_per_second']} "
              f"steps a second, {LARGEST['size']}, with arrows (the frame caps: {export.GIF_MAX_FRAMES} GIF, "
              f"{export.MP4_MAX_FRAMES} MP4 frames)")
        for kind in ("gif", "mp4"):
            print(row(kind.upper(), measure(kind, LARGEST["size"], True, largest=True), reference))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, size, arrows, largest = sys.argv[2:6]
        child(kind, size, arrows == "1", largest == "1")
    else:
        main()
