"""Shared helpers for the browser test and the app benchmark (not a test module).

* ``AppServer``: runs ``streamlit run <script>`` headless on 127.0.0.1 on a free port, waits for
  ``/_stcore/health`` and kills the whole process group on ``stop()``.
* ``launch_chromium``: Debian's Chromium through Playwright (Playwright cannot download its own
  browser here).
* ``wait_for_chart`` / ``chart_state`` / ``xy_box``: the main Plotly chart in the page.
* ``decode_png`` / ``pixel_stats``: a tiny zlib-only PNG reader and colour statistics, so the
  screenshot checks need no imaging library.
* ``widget`` / ``choose`` / ``after_rerun``: Streamlit widgets found by their key (language-proof), a
  select box option picked, and an action followed by the rerun it causes.
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


# --- the chart in the page ---------------------------------------------------------------------------

# Scatter traces drawn in the main chart (a number once plotly.js has drawn it).
JS_SCATTER_COUNT = f"""() => {{
    const gd = document.querySelector('{CHART}');
    if (!gd || !gd._fullData) return 0;
    return gd.querySelectorAll('.scatterlayer .trace').length;
}}"""

JS_CHART_STATE = f"""() => {{
    const gd = document.querySelector('{CHART}');
    if (!gd || !gd._fullData) return null;
    const slider = gd.querySelector('.slider-container .slider-group > text');  // "step k" above the rail
    const paths = Array.from(gd.querySelectorAll('.cartesianlayer .subplot.xy .scatterlayer .trace path.js-line'))
        .map(p => p.getAttribute('d') || '');
    return {{
        traces: gd._fullData.length,
        scatter: gd.querySelectorAll('.scatterlayer .trace').length,
        types: gd._fullData.map(t => t.type),
        names: gd._fullData.map(t => t.name || ''),
        lengths: gd._fullData.map(t => (t._length === undefined ? null : t._length)),
        slider: slider ? slider.textContent : null,
        paths: paths,
        images: gd.querySelectorAll('.imagelayer image').length,
        xrange: gd._fullLayout.xaxis.range.slice(),
        yrange: gd._fullLayout.yaxis.range.slice(),
    }};
}}"""


def wait_for_chart(page, timeout: float = 45_000) -> None:
    """Until the main chart has drawn scatter traces."""
    page.wait_for_function(f"() => ({JS_SCATTER_COUNT})() > 0", timeout=timeout, polling=50)


def chart_state(page) -> dict | None:
    """What the main chart shows now: trace count, names and point counts (``_length``), the slider's
    "step k", the xy subplot's path ``d`` attributes, the number of background images, axis ranges."""
    return page.evaluate(JS_CHART_STATE)


JS_STEP_LABEL = f"""() => {{
    const t = document.querySelector('{CHART} .slider-container .slider-group > text');
    return t ? t.textContent : null;
}}"""


def step_label(page) -> str | None:
    """The animation slider's current value ("step k")."""
    return page.evaluate(JS_STEP_LABEL)


def grid_markers(page) -> list:
    """Trace 0's markers (the click grid) as [x, y, page_x, page_y] in data and CSS page pixels."""
    return page.evaluate(f"""() => {{
        const gd = document.querySelector('{CHART}');
        const r = gd.getBoundingClientRect();
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        const out = [];
        for (const pt of gd.calcdata[0]) {{
            out.push([pt.x, pt.y, r.left + window.scrollX + xa._offset + xa.l2p(pt.x),
                      r.top + window.scrollY + ya._offset + ya.l2p(pt.y)]);
        }}
        return out;
    }}""")


def xy_box(page) -> dict:
    """The main xy subplot's plot area on the page: {x, y, width, height} in CSS pixels, taken from
    Plotly's own axis layout (the SVG group's box grows with paths that leave the plot)."""
    return page.evaluate(f"""() => {{
        const gd = document.querySelector('{CHART}');
        const r = gd.getBoundingClientRect();
        const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        return {{x: r.left + window.scrollX + xa._offset, y: r.top + window.scrollY + ya._offset,
                 width: xa._length, height: ya._length}};
    }}""")


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


def open_app(context, url: str, timeout: float = 45_000, *, viewport: dict | None = None):
    """A fresh page at ``url`` in ``context`` (at ``viewport``, else the context's), once the chart is
    drawn, the script done and every widget drawn (a new Streamlit session: pages share nothing but the
    browser's HTTP cache).  Its reruns are counted from then on (see ``after_rerun``)."""
    page = context.new_page()
    try:
        if viewport:
            page.set_viewport_size(viewport)
        page.goto(url, wait_until="domcontentloaded", timeout=timeout)
        wait_for_chart(page, timeout=timeout)
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
    """The CSS class Streamlit gives a keyed widget's container (``run0.sgd.lr`` -> ``st-key-run0-sgd-lr``)."""
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
