"""Shared helpers for the browser test and the app benchmark (not a test module).

* ``AppServer``: runs ``streamlit run <script>`` headless on 127.0.0.1 on a free port, waits for
  ``/_stcore/health`` and kills the whole process group on ``stop()``.
* ``launch_chromium``: Debian's Chromium through Playwright (Playwright cannot download its own
  browser here).
* ``wait_for_stage`` / ``stage_state`` / ``plot_box`` / ``set_head`` / ``canvas_counts`` / ``canvas_hash``: the
  Paths tab's chart, "the stage" (``ui/stage.py``): its data attributes, its Plotly chart's traces and
  plotting area, and the pixels of its animated canvas.
* ``decode_png`` / ``pixel_stats``: a tiny zlib-only PNG reader and colour statistics, so the
  screenshot checks need no imaging library.
* ``widget`` / ``choose`` / ``after_rerun``: Streamlit widgets found by their key (language-proof), a
  select box option picked, and an action followed by the rerun it causes.
* ``run_row`` / ``run_control`` / ``run_rows_state`` / ``open_run_panel`` / ``set_run_value``: the run rows above
  the tabs, one components-v2 component (``ui/run_rows.py``, ``ui/run_rows_web/run_rows.js``): a row per run
  (``.rr-row[data-run=<id>]``), its controls by their ``data-name`` / ``data-action`` (language-proof).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "tests" / "browser" / "screenshots"
ASSETS = REPO / "assets"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1600, "height": 1000}
CHART = ".js-plotly-plot"


def chromium_path() -> str | None:
    """Debian's Chromium, or None when it is not installed."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """``streamlit run script`` in its own process group; ``url`` once ``start()`` returned."""

    def __init__(self, script: Path | str, *, cwd: Path | str | None = None, port: int | None = None):
        self.script = Path(script)
        self.cwd = Path(cwd) if cwd is not None else self.script.parent
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = None
        self._log = None

    def start(self, timeout: float = 60.0) -> "AppServer":
        self._log = tempfile.TemporaryFile()
        command = [sys.executable, "-m", "streamlit", "run", str(self.script), "--server.port", str(self.port),
                   "--server.address", "127.0.0.1", "--server.headless", "true",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        self.process = subprocess.Popen(command, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not answer on {self.url} within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=chromium_path() or "/usr/bin/chromium", args=CHROMIUM_ARGS)


# --- the stage: the Paths tab's chart (ui/stage.py, ui/stage_web/stage.js) ------------------------------------

# Any Plotly graph div (the stage's chart is one, as are the Explore tab's charts).
CHART = ".js-plotly-plot"
STAGE = ".stage"
STAGE_PLOT = ".stage .stage-chart .stage-plot"  # the chart's Plotly graph div
STAGE_CANVAS = ".stage .stage-chart canvas.stage-overlay"  # the animated layer over it
PANELS_PLOT = ".stage .stage-panels .stage-plot"

# The stage has drawn the data of the last rerun (data-revision is set after it) and plotly.js has laid it out.
JS_STAGE_DRAWN = f"""() => {{
    const root = document.querySelector('{STAGE}');
    const gd = document.querySelector('{STAGE_PLOT}');
    return !!(root && root.dataset.revision && gd && gd._fullLayout && gd._fullData
              && gd.querySelector('.scatterlayer .trace'));
}}"""

JS_STAGE_STATE = f"""() => {{
    const root = document.querySelector('{STAGE}');
    const gd = document.querySelector('{STAGE_PLOT}');
    if (!root || !gd || !gd._fullLayout) return null;
    const f = gd._fullLayout, r = gd.getBoundingClientRect();
    const list = a => (a ? Array.from(a, Number) : []);
    return {{
        revision: root.dataset.revision || null,
        frames: Number(root.dataset.frames || 0),
        head: Number(root.dataset.head),
        playing: root.dataset.playing === 'true',
        hidden: root.dataset.hidden === 'true',
        // the traces as given (plotly.js leaves a hidden trace's attributes out of _fullData), their points
        // as plotly.js decoded them (none while the trace is hidden)
        traces: gd.data.map((t, i) => {{
            const full = gd._fullData.find(f => f.index === i) || {{}};
            return {{name: t.name || '', meta: t.meta === undefined ? null : t.meta,
                     visible: t.visible === undefined ? true : t.visible,
                     colour: (t.line && t.line.color) || (t.marker && t.marker.color) || null,
                     x: list(full.visible === false ? null : full.x), y: list(full.visible === false ? null : full.y)}};
        }}),
        images: gd.querySelectorAll('.imagelayer image').length,
        xaxis: {{offset: f.xaxis._offset, length: f.xaxis._length, range: f.xaxis.range.slice()}},
        yaxis: {{offset: f.yaxis._offset, length: f.yaxis._length, range: f.yaxis.range.slice()}},
        width: f.width, height: f.height,
        box: {{left: r.left, top: r.top}},
        legend: Array.from(document.querySelectorAll('{STAGE} .stage-legend .stage-legend-item'))
            .filter(item => item.querySelector('.stage-swatch')).map(item => item.textContent),
        step: (document.querySelector('{STAGE} .stage-step') || {{}}).textContent || null,
        play: (document.querySelector('{STAGE} .stage-play') || {{}}).textContent || null,
    }};
}}"""


def wait_for_stage(page, timeout: float = 45_000) -> None:
    """Until the stage has drawn its data (``.stage`` has a data-revision and its Plotly chart is laid out)."""
    page.wait_for_function(JS_STAGE_DRAWN, timeout=timeout, polling=50)


wait_for_chart = wait_for_stage  # the Paths tab's chart is the stage


def stage_state(page) -> dict | None:
    """What the stage shows now: its data attributes (revision, frames, head, playing, hidden), the chart's
    traces (name, meta, visible, line colour, x, y; x and y empty while a trace is hidden), its background
    images, the axes' pixel layout
    (``_fullLayout``: offset, length, range, relative to the chart div), the legend's texts, the step text."""
    return page.evaluate(JS_STAGE_STATE)


def path_traces(state: dict) -> list:
    """The chart's whole-path traces (meta "path"), one per run, in run order."""
    return [trace for trace in state["traces"] if trace["meta"] == "path"]


def revision(page) -> str | None:
    return page.evaluate(f"() => (document.querySelector('{STAGE}') || {{dataset: {{}}}}).dataset.revision || null")


def wait_for_new_revision(page, old: str | None, timeout: float = 60_000) -> str:
    """Until the stage has drawn a rerun's data whose revision is not ``old``; returns the new revision."""
    page.wait_for_function(f"(old) => {{ const r = document.querySelector('{STAGE}');"
                           f" return r && r.dataset.revision && r.dataset.revision !== old && ({JS_STAGE_DRAWN})(); }}",
                           arg=old, timeout=timeout, polling=50)
    return revision(page)


def head(page) -> float:
    """The play head, in steps (data-head)."""
    return float(page.evaluate(f"() => document.querySelector('{STAGE}').dataset.head"))


def playing(page) -> bool:
    return page.evaluate(f"() => document.querySelector('{STAGE}').dataset.playing") == "true"


def wait_for_head(page, expression: str, arg=None, timeout: float = 20_000) -> float:
    """Until ``expression`` (JS, of ``h``: the head, ``p``: playing, and ``arg``) holds; returns the head."""
    page.wait_for_function(f"(arg) => {{ const d = document.querySelector('{STAGE}').dataset;"
                           f" const h = Number(d.head), p = d.playing === 'true'; return {expression}; }}",
                           arg=arg, timeout=timeout, polling="raf")
    return head(page)


def set_head(page, s: int) -> None:
    """Pause the stage at whole step ``s`` with its keyboard (the chart focused: ← and → move one whole step and
    pause).  Not with the step slider: see test_browser.test_step_slider_scrubs."""
    page.locator(f"{STAGE} .stage-chart").first.focus()
    for _ in range(1_000):
        now, on = head(page), playing(page)
        if abs(now - s) < 1e-9 and not on:
            return
        page.keyboard.press("ArrowLeft" if now > s else "ArrowRight")
        page.wait_for_function(f"([h, p]) => {{ const d = document.querySelector('{STAGE}').dataset;"
                               " return Number(d.head) !== h || (d.playing === 'true') !== p; }",
                               arg=[now, on], timeout=5_000, polling="raf")
    raise AssertionError(f"the head did not reach step {s}")


def plot_box(page) -> dict:
    """The chart's plotting area (Plotly's ``_fullLayout`` axes) in viewport CSS pixels: {x, y, width,
    height}.  The page must not be scrolled sideways; Streamlit scrolls inside stMain, so this is where
    page.mouse and page.screenshot(clip=...) point."""
    return page.evaluate(f"""() => {{
        const gd = document.querySelector('{STAGE_PLOT}');
        const r = gd.getBoundingClientRect();
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        return {{x: r.left + window.scrollX + xa._offset, y: r.top + window.scrollY + ya._offset,
                 width: xa._length, height: ya._length}};
    }}""")


xy_box = plot_box


def to_pixels(state: dict, points) -> list:
    """Data points (x, y) as CSS pixels relative to the chart div, which is where the overlay canvas lies
    (Plotly's linear axes, as the stage maps them)."""
    xa, ya = state["xaxis"], state["yaxis"]
    (x0, x1), (y0, y1) = xa["range"], ya["range"]
    return [(xa["offset"] + (x - x0) / (x1 - x0) * xa["length"],
             ya["offset"] + (1 - (y - y0) / (y1 - y0)) * ya["length"]) for x, y in points]


def scroll_stage_into_view(page) -> None:
    """The chart and its bar on screen, below Streamlit's header (a fixed bar over the top of the page that
    would cover the chart's top in a screenshot; Streamlit scrolls inside stMain)."""
    page.locator(f"{STAGE} .stage-main").first.evaluate("""e => {
        e.scrollIntoView({block: 'start'});
        const header = document.querySelector('[data-testid=stHeader]');
        const below = header ? header.getBoundingClientRect().bottom + 8 : 70;
        const main = document.querySelector('[data-testid=stMain]');
        if (main) main.scrollBy(0, e.getBoundingClientRect().top - below);
    }""")
    page.wait_for_timeout(200)


# Counts, in rectangles of the overlay canvas (CSS pixels relative to the chart div), the pixels of each colour
# ([r, g, b]; each channel within `tol`, alpha at least `alpha`: the canvas is transparent where nothing is drawn).
JS_CANVAS_COUNTS = """([selector, boxes, colours, tol, alpha]) => {
    const canvas = document.querySelector(selector);
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const W = canvas.width, H = canvas.height;
    const data = canvas.getContext('2d').getImageData(0, 0, W, H).data;
    return boxes.map(([x0, y0, x1, y1]) => {
        const counts = colours.map(() => 0);
        const X0 = Math.max(0, Math.floor(x0 * ratio)), X1 = Math.min(W, Math.ceil(x1 * ratio));
        const Y0 = Math.max(0, Math.floor(y0 * ratio)), Y1 = Math.min(H, Math.ceil(y1 * ratio));
        for (let y = Y0; y < Y1; y++) for (let x = X0; x < X1; x++) {
            const i = 4 * (y * W + x);
            if (data[i + 3] < alpha) continue;
            colours.forEach((c, j) => {
                if (Math.abs(data[i] - c[0]) <= tol && Math.abs(data[i + 1] - c[1]) <= tol
                    && Math.abs(data[i + 2] - c[2]) <= tol) counts[j] += 1;
            });
        }
        return counts;
    });
}"""


def rgb(colour: str) -> list:
    """"#D55E00" or "rgb(213, 94, 0)" -> [213, 94, 0]."""
    colour = colour.strip()
    if colour.startswith("#"):
        return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return [int(float(v)) for v in re.findall(r"[\d.]+", colour)[:3]]


def canvas_counts(page, boxes, colours, *, tol: int = 0, alpha: int = 255, canvas: str = STAGE_CANVAS) -> list:
    """For each box (x0, y0, x1, y1) of the overlay canvas (CSS pixels relative to the chart div; None: the
    whole canvas), how many of its pixels have each colour (each channel within ``tol``, alpha ≥ ``alpha``)."""
    boxes = [[-1e9, -1e9, 1e9, 1e9] if box is None else list(box) for box in boxes]
    return page.evaluate(JS_CANVAS_COUNTS, [canvas, boxes, [rgb(c) for c in colours], tol, alpha])


# Draws the overlay canvas scaled down into a small offscreen canvas and hashes its pixels: a fingerprint of what
# the animated layer shows, independent of the stage's own counters.
JS_CANVAS_HASH = """(selector) => {
    const source = document.querySelector(selector);
    const small = document.createElement('canvas');
    small.width = 96; small.height = 64;
    const ctx = small.getContext('2d', {willReadFrequently: true});
    ctx.drawImage(source, 0, 0, 96, 64);
    const data = ctx.getImageData(0, 0, 96, 64).data;
    let h = 2166136261;
    for (let i = 0; i < data.length; i++) { h ^= data[i]; h = Math.imul(h, 16777619); }
    return h >>> 0;
}"""


def canvas_hash(page, canvas: str = STAGE_CANVAS) -> int:
    return page.evaluate(JS_CANVAS_HASH, canvas)


JS_SIDEBAR_ON_SCREEN = """() => {
    const s = document.querySelector('[data-testid=stSidebar]');
    if (!s) return {width: 0, right: 0};
    const c = getComputedStyle(s), r = s.getBoundingClientRect();
    if (c.display === 'none' || c.visibility === 'hidden' || r.width === 0) return {width: 0, right: 0};
    return {width: Math.max(0, Math.min(r.right, innerWidth) - Math.max(r.left, 0)), right: r.right, left: r.left,
            minWidth: c.minWidth};
}"""


def sidebar_on_screen(page) -> dict:
    """How much of the sidebar is on screen: {width, right, ...} in CSS pixels (0 when folded away)."""
    return page.evaluate(JS_SIDEBAR_ON_SCREEN)


def open_sidebar(page, timeout: float = 10_000) -> None:
    """Unfold the sidebar with Streamlit's » button (projector mode folds it away once) and wait until it is
    on screen."""
    if sidebar_on_screen(page)["width"] > 200:
        return
    page.locator("[data-testid=stExpandSidebarButton]").first.click()
    page.wait_for_function(f"() => ({JS_SIDEBAR_ON_SCREEN})().width > 200", timeout=timeout, polling=50)
    page.wait_for_timeout(400)  # its slide-in transition


# --- PNG ----------------------------------------------------------------------------------------------


def decode_png(data: bytes):
    """(width, height, rows) of an 8-bit RGB or RGBA, non-interlaced PNG; rows are lists of (r, g, b)
    tuples.  Enough for Chromium's screenshots; raises ValueError for anything else."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(idat))
    previous = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + previous[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise ValueError(f"bad PNG filter {kind}")
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])
        previous = line
    return width, height, rows


def pixel_stats(data: bytes, step: int = 2) -> dict:
    """Colour statistics of a screenshot (every ``step``-th pixel each way):
    ``distinct`` colours, ``white`` (fraction of near-white pixels), ``banded`` (fraction in the
    surface's cream-to-slate ramp: light, and not white), ``slate`` (fraction of the darker, bluish
    band colours)."""
    _, _, rows = decode_png(data)
    seen, total, white, banded, slate = set(), 0, 0, 0, 0
    for row in rows[::step]:
        for r, g, b in row[::step]:
            total += 1
            seen.add((r, g, b))
            if r >= 250 and g >= 250 and b >= 250:
                white += 1
            elif min(r, g, b) >= 140 and max(r, g, b) - min(r, g, b) <= 60:
                banded += 1
                if b > r + 8:
                    slate += 1
    total = max(total, 1)
    return {"distinct": len(seen), "white": white / total, "banded": banded / total, "slate": slate / total,
            "pixels": total}


def wait_for_script_done(page, timeout: float = 30_000) -> None:
    """Until Streamlit reports the script is not running (stApp's data-test-script-state)."""
    page.wait_for_function(
        "() => { const app = document.querySelector('[data-testid=stApp]');"
        " return app && app.getAttribute('data-test-script-state') === 'notRunning'; }",
        timeout=timeout, polling=100)


def new_context(browser):
    """A browser context with the 1600 × 1000 viewport and generous timeouts."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    return context


def open_app(context, url: str, timeout: float = 45_000, *, viewport: dict | None = None, stage: bool = True):
    """A fresh page at ``url`` in ``context`` (at ``viewport``, else the context's), once the stage has
    drawn (unless ``stage`` is False: a link that opens another tab), the script done and every widget drawn
    (a new Streamlit session: pages share nothing but the browser's HTTP cache).  Its reruns are counted from
    then on (see ``after_rerun``)."""
    page = context.new_page()
    try:
        if viewport:
            page.set_viewport_size(viewport)
        page.goto(url, wait_until="domcontentloaded", timeout=timeout)
        if stage:
            wait_for_stage(page, timeout=timeout)
        wait_for_script_done(page, timeout=timeout)
        wait_for_widgets(page, timeout=timeout)
        watch_reruns(page)
    except Exception:
        page.close()
        raise
    return page


def wait_for_widgets(page, timeout: float = 30_000) -> None:
    """Until no widget is still a placeholder: Streamlit draws a skeleton (stSkeleton) for each widget
    until its lazily loaded code arrives, which on a slow machine can be after the chart is drawn."""
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar] [data-testid=stSelectbox]')"
                           " && !document.querySelector('[data-testid=stSkeleton]')", timeout=timeout, polling=100)


# --- widgets by key, and reruns ------------------------------------------------------------------------------

# Counts the script runs the page has started: stApp's data-test-script-state turning "running".  A
# MutationObserver sees every change, even a rerun shorter than any polling interval.
JS_WATCH_RERUNS = """() => {
    if (window.__stRuns !== undefined) return;
    window.__stRuns = 0;
    new MutationObserver(changes => {
        for (const change of changes)
            if (change.target.getAttribute('data-test-script-state') === 'running') window.__stRuns += 1;
    }).observe(document.documentElement, {attributes: true, subtree: true,
                                          attributeFilter: ['data-test-script-state']});
}"""


def watch_reruns(page) -> None:
    """Start counting the page's script runs (``open_app`` does it)."""
    page.evaluate(JS_WATCH_RERUNS)


def reruns(page) -> int:
    return page.evaluate("() => window.__stRuns || 0")


def after_rerun(page, action, *, timeout: float = 60_000, start_within: float = 5_000) -> None:
    """Do ``action()`` (a click, a key press...), then wait for the rerun it starts (up to
    ``start_within`` ms for it to begin: an action that changes nothing starts none) and for the script
    to finish."""
    before = reruns(page)
    action()
    try:
        page.wait_for_function("(n) => (window.__stRuns || 0) > n", arg=before, timeout=start_within, polling=20)
    except Exception:  # playwright's TimeoutError: no rerun began
        pass
    wait_for_script_done(page, timeout=timeout)
    # a callback may queue a second run (st.rerun, a query-parameter change): let it finish too
    page.wait_for_timeout(150)
    wait_for_script_done(page, timeout=timeout)


def key_class(key: str) -> str:
    """The CSS class Streamlit gives a keyed widget's container (``formula_text`` -> ``st-key-formula_text``,
    ``net.view`` -> ``st-key-net-view``)."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())


LANGUAGES = ("en", "zh")


def widget(page, key: str):
    """The container of the widget (or ``st.container``) with that key.  A choice box the page keys per
    language and revision (``surface@en``, ``surface@zh``, ``preset@en#2``: see ui/widgets.py) is found
    by its plain key too."""
    exact = ", ".join("." + key_class(k) for k in [key] + [f"{key}@{lang}" for lang in LANGUAGES])
    revised = ", ".join(f"[class*='{key_class(key + '@' + lang)}-']" for lang in LANGUAGES)
    return page.locator(exact + ", " + revised)


def choose(page, key: str, option, *, timeout: float = 60_000) -> None:
    """In the select box with widget key ``key``, pick ``option`` (its shown text, exactly, or its
    position in the list when an int), and wait for the rerun."""
    box = widget(page, key).locator("input[role=combobox]").first
    box.scroll_into_view_if_needed()
    box.click()
    listbox = page.locator("[role=listbox]").last
    listbox.wait_for(state="visible", timeout=10_000)
    if isinstance(option, int):
        target = listbox.locator("[role=option]").nth(option)
    else:
        target = listbox.get_by_role("option", name=option, exact=True)
    if target.count() == 0:
        shown = listbox.locator("[role=option]").all_inner_texts()
        page.keyboard.press("Escape")
        raise AssertionError(f"select box {key!r} has no option {option!r}; it offers {shown}")
    after_rerun(page, lambda: target.first.click(), timeout=timeout)


def shown_value(page, key: str) -> str:
    """The text a select box shows now."""
    return widget(page, key).locator("input[role=combobox]").first.input_value()


JS_CANONICAL_COLOUR = """(colour) => {
    const probe = document.createElement('span');
    probe.style.color = colour;
    document.body.appendChild(probe);
    const value = getComputedStyle(probe).color;
    probe.remove();
    return value;
}"""


def canonical_colour(page, colour: str) -> str:
    """Any CSS colour as the browser computes it ("#D55E00" -> "rgb(213, 94, 0)")."""
    return page.evaluate(JS_CANONICAL_COLOUR, colour)


def playwright_or_skip():
    """Playwright's ``sync_playwright``, or the calling test module skipped with the reason printed when Chromium or
    Playwright is missing (a failure instead with REQUIRE_BROWSER=1, as in CI).  Call at a browser test module's top."""
    import pytest

    def unavailable(reason: str):
        reason = f"browser test: {reason}"
        print(reason, file=sys.stderr)
        if os.environ.get("REQUIRE_BROWSER") == "1":
            raise RuntimeError(reason + " (REQUIRE_BROWSER=1: a missing browser is a failure here, not a skip)")
        pytest.skip(reason, allow_module_level=True)

    if chromium_path() is None:
        unavailable("Chromium not found (/usr/bin/chromium or `chromium` on PATH); apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        unavailable("the playwright package is not installed (pip install -r requirements-dev.txt)")
    return sync_playwright


BROKEN = ("Traceback", "ValueError", "TypeError", "KeyError", "unknown surface id", "Something went wrong",
          "This setting cannot be run")


def not_broken(page, where: str, *, errors: bool = False) -> None:
    """No Streamlit exception box and no traceback or failure words (BROKEN) anywhere on the page (a chart's hover
    texts are not in innerText); with ``errors``, no error box either."""
    boxes = page.locator("[data-testid=stException]")
    assert boxes.count() == 0, f"{where}: the page shows an exception:\n{boxes.first.inner_text()[:800]}"
    if errors:
        shown = page.locator("[data-testid=stAlertContentError]")
        assert shown.count() == 0, f"{where}: the page shows an error: {shown.first.inner_text()[:400]}"
    text = page.locator("body").inner_text()
    for word in BROKEN:
        at = text.find(word)
        assert at < 0, f"{where}: the page shows {word!r}: …{text[max(0, at - 200):at + 300]}…"


# --- the run rows above the tabs (ui/run_rows.py, ui/run_rows_web/run_rows.js) ------------------------------------

RUN_ROWS = ".st-key-run_rows .rr"  # the component's root (.rr-projector in projector mode)
RUN_ROW = ".st-key-run_rows .rr-row"  # one per run, data-run = the run's id, in the runs' order

# Every row as the page shows it: the run's id, its badge (number, colours), the optimizer shown, the learning rate
# shown (and its slider's index and grid size), the main other slider (its name and value, or null), the stable /
# edge buttons (their text, whether "stable" warns; null when the rule has no limit), whether "⋯" is open.
JS_RUN_ROWS = f"""() => Array.from(document.querySelectorAll('{RUN_ROW}')).map(row => {{
    const q = s => row.querySelector(s);
    const badge = q('.rr-badge'), select = q('select[data-name=optimizer]'), lr = q('input[data-name=lr]');
    const main = q('.rr-slider.rr-main input'), stable = q('button[data-action=stable]');
    const edge = q('button[data-action=edge]'), more = q('button[data-action=more]');
    return {{
        id: Number(row.dataset.run), number: badge.textContent.trim(),
        colour: getComputedStyle(badge).backgroundColor, ink: getComputedStyle(badge).color,
        optimizer: select.options[select.selectedIndex].textContent,
        lr: q('.rr-slider.rr-lr .rr-value').textContent, lrIndex: Number(lr.value), lrMax: Number(lr.max),
        lrText: lr.getAttribute('aria-valuetext'),
        main: main ? {{name: main.dataset.name, value: q('.rr-slider.rr-main .rr-value').textContent,
                       symbol: q('.rr-slider.rr-main .rr-symbol').textContent}} : null,
        cue: stable ? {{stable: stable.textContent, edge: edge.textContent,
                        warn: stable.classList.contains('rr-warn'),
                        background: getComputedStyle(stable).backgroundColor}} : null,
        open: more.getAttribute('aria-expanded') === 'true', panel: !!q('.rr-panel'),
    }};
}})"""


def run_rows_state(page) -> list:
    """Each run row as shown (see JS_RUN_ROWS): id, number, colour, ink, optimizer, lr, lrIndex, lrMax, lrText,
    main, cue, open, panel."""
    return page.evaluate(JS_RUN_ROWS)


def wait_for_run_rows(page, count: int | None = None, timeout: float = 30_000) -> None:
    """Until the run rows are drawn (``count`` of them, if given)."""
    page.wait_for_function(f"(n) => {{ const rows = document.querySelectorAll('{RUN_ROW}');"
                           " return rows.length > 0 && (n === null || rows.length === n); }",
                           arg=count, timeout=timeout, polling=50)


def run_row(page, run_id=None):
    """The row of run ``run_id`` (its id, not its number), or the first row."""
    if run_id is None:
        return page.locator(RUN_ROW).first
    return page.locator(f"{RUN_ROW}[data-run='{run_id}']")


def run_control(page, name: str, run_id=None):
    """A control of a run's row by its data-name (``optimizer``, ``lr``, ``mu``, ``beta2``, ``bias_correction``…)
    or data-action (``stable``, ``edge``, ``more``)."""
    return run_row(page, run_id).locator(f"[data-name='{name}'], [data-action='{name}']").first


def open_run_panel(page, run_id=None) -> None:
    """Open the row's "⋯" panel (no rerun: the browser draws it) unless it is open."""
    more = run_control(page, "more", run_id)
    if more.get_attribute("aria-expanded") != "true":
        more.click()
    run_row(page, run_id).locator(".rr-panel").wait_for(state="visible", timeout=10_000)


def set_run_value(page, run_id, name: str, value: str, *, timeout: float = 60_000) -> None:
    """Pick the option shown as ``value`` in a row's select box (``optimizer`` or an option-valued hyperparameter
    under "⋯") and wait for the rerun."""
    box = run_control(page, name, run_id)
    after_rerun(page, lambda: box.select_option(label=value), timeout=timeout)
