"""Screenshots of the page's views, for looking at the result (and for an issue's closing note).

    .venv/bin/python scripts/screenshots.py [OUT_DIR] [--url URL] [--only NAME ...]

Starts ``streamlit run app.py`` on a free port (``tests/browser_support.AppServer``; or uses the
server at ``--url``), drives Debian's Chromium through Playwright and saves PNGs into OUT_DIR
(default /tmp/shots): the default page at 1400 × 1000, at rest and mid-playback; projector mode at
1920 × 1080 (at rest and mid-playback); a phone (390 × 844, the whole page); the page in Chinese;
the Explore tab's Sweep (2-D and 1-D) and One step; a formula undefined on half its domain
(``log(x)``); a diverging run; the summary table; the Network tab's loss curves, decision regions and
landscape (playing), the book's digits figure in projector mode, the landscape in Chinese and on a phone.  Prints each saved path; a view that cannot be
taken is reported and the others still are (exit status 1 then).
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

import browser_support as bs  # noqa: E402

DESKTOP = {"width": 1400, "height": 1000}
PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}


def _play(page, seconds: float = 1.0) -> None:
    """Click the stage's Play and wait ``seconds`` (the picture is then mid-playback)."""
    page.wait_for_selector(".stage[data-revision]", timeout=60_000)
    page.locator(".stage-play").click()
    page.wait_for_timeout(int(seconds * 1000))


def _arrows(page, seconds: float = 1.6) -> None:
    """Switch the stage's step arrows on (a rerun), then play for ``seconds``."""
    page.wait_for_selector(".stage[data-revision]", timeout=60_000)
    revision = page.get_attribute(".stage", "data-revision")
    page.locator(".stage-arrows").click()
    page.wait_for_function("(r) => document.querySelector('.stage').dataset.revision !== r", arg=revision,
                           timeout=60_000)
    _play(page, seconds)


def _open_tab(page, index: int) -> None:
    bs.after_rerun(page, lambda: page.get_by_role("tab").nth(index).click())


def _wait_for_plot(page, key: str, timeout: float = 60_000) -> None:
    """Until the chart with widget key ``key`` is drawn, and scrolled into view."""
    page.wait_for_function(f"() => {{ const gd = document.querySelector('.{bs.key_class(key)} .js-plotly-plot');"
                           " return gd && gd._fullData; }", timeout=timeout)
    bs.wait_for_script_done(page, timeout=timeout)
    page.locator("." + bs.key_class(key)).scroll_into_view_if_needed()
    page.wait_for_timeout(400)


def _whole_page(page, viewport: dict) -> bytes:
    """The whole page: Streamlit scrolls inside stMain, not the document, so the viewport is made as
    tall as the content for the picture."""
    height = page.evaluate("() => { const m = document.querySelector('[data-testid=stMain]');"
                           " return Math.max(m ? m.scrollHeight : 0, document.documentElement.scrollHeight); }")
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 40, 12_000)})
    page.wait_for_timeout(800)  # Plotly and Streamlit re-lay out after the resize
    return page.screenshot(full_page=True)


def shots(url: str):
    """(name, viewport or context options, take(page) -> bytes) for every picture."""

    def default(page):
        return page.screenshot()

    def playing(page):
        _play(page)
        return page.screenshot()

    def arrows(page):
        _arrows(page)
        return page.screenshot()

    def phone(page):
        return _whole_page(page, PHONE)

    def sweep(page):
        _open_tab(page, 1)
        _wait_for_plot(page, "sweep_chart")
        return page.screenshot()

    def explore_section(index: int, chart: str):
        def shoot(page):
            _open_tab(page, 1)
            page.wait_for_selector("[data-testid=stButtonGroup]", timeout=60_000)
            # Sweep, Learning rates, Basins, Random search, One step, Line search
            bs.after_rerun(page, page.locator("[data-testid=stButtonGroup] button").nth(index).click)
            _wait_for_plot(page, chart)
            return page.screenshot()
        return shoot

    def table(page):
        target = page.locator("[data-testid=stMain] table").first
        # the table near the top of the screen, with a little of the chart above it and the exports below
        target.evaluate("e => { e.scrollIntoView({block: 'start'});"
                        " const m = document.querySelector('[data-testid=stMain]'); if (m) m.scrollBy(0, -160); }")
        page.wait_for_timeout(400)
        box = target.bounding_box()
        view = page.viewport_size
        top = max(0, box["y"] - 130)
        return page.screenshot(clip={"x": 0, "y": top, "width": view["width"],
                                     "height": min(view["height"] - top, box["height"] + 400)})

    def network(chart: str, play: bool = False):
        """The Network tab (opened by the URL) with ``chart`` in view, still or 2.5 s into its own playback."""
        def shoot(page):
            _wait_for_plot(page, chart, timeout=120_000)
            if play:
                page.locator(f".{bs.key_class(chart)} .updatemenu-button").first.click()
                page.wait_for_timeout(2500)
            return page.screenshot()
        return shoot

    desktop = {"viewport": DESKTOP}
    lab = url + "?view=network"
    return [
        ("default_1400x1000", url, desktop, default),
        ("default_playing_1400x1000", url, desktop, playing),
        ("arrows_playing_1400x1000", url, desktop, arrows),
        ("projector_1920x1080", url + "?projector=1", {"viewport": PROJECTOR}, default),
        ("projector_playing_1920x1080", url + "?projector=1", {"viewport": PROJECTOR}, playing),
        ("phone_390x844_full", url, {"viewport": PHONE, "is_mobile": True, "has_touch": True,
                                     "device_scale_factor": 2}, phone),
        ("phone_390x844_top", url, {"viewport": PHONE, "is_mobile": True, "has_touch": True,
                                    "device_scale_factor": 2}, default),
        ("english_1400x1000", url + "?lang=en", desktop, default),
        ("chinese_1400x1000", url + "?lang=zh", desktop, default),
        ("chinese_playing_1400x1000", url + "?lang=zh", desktop, playing),
        ("explore_sweep_2d", url + "?run=momentum:lr=0.1,mu=0.9", desktop, sweep),
        ("explore_sweep_1d", url, desktop, sweep),
        ("explore_one_step", url, desktop, explore_section(4, "step_chart")),
        ("explore_learning_rates", url + "?run=momentum:lr=0.01,mu=0.9", desktop, explore_section(1, "rates_chart")),
        ("explore_line_search", url + "?surface=rosenbrock&run=sgd:lr=1,line_search=wolfe", desktop,
         explore_section(5, "line_search_chart")),
        ("explore_learning_rates_zh", url + "?run=sgd:lr=0.05&lang=zh", desktop, explore_section(1, "rates_chart")),
        ("formula_log_x", url + "?surface=formula&formula=log(x)", desktop, default),
        ("diverging_sgd_lr_2.5", url + "?run=sgd:lr=2.5", desktop, default),
        ("summary_table", url, desktop, table),
        ("network_loss_1400x1000", lab, desktop, network("net_loss_chart")),
        ("network_regions_playing_1400x1000", lab + "&net.view=regions", desktop, network("net_regions_chart", True)),
        ("network_landscape_playing_1400x1000", lab + "&net.view=landscape", desktop,
         network("net_landscape_chart", True)),
        ("network_digits_projector_1920x1080", lab + "&net.data=digits&net.layers=4&net.batch=128&projector=1",
         {"viewport": PROJECTOR}, network("net_loss_chart")),
        ("network_landscape_zh_1400x1000", lab + "&net.view=landscape&lang=zh", desktop, network("net_landscape_chart")),
        ("network_initial_weights_1400x1000", lab + "&net.view=init", desktop, network("net_init_chart")),
        ("network_init_training_1400x1000", lab + "&net.view=init&net.iact=relu", desktop,
         network("net_init_training_chart")),
        ("network_batchnorm_1400x1000", lab + "&net.view=batchnorm", desktop, network("net_batchnorm_chart")),
        ("network_overfit_projector_1920x1080", lab + "&net.view=overfit&net.ofn=100&projector=1",
         {"viewport": PROJECTOR}, network("net_overfit_chart")),
        ("network_search_1400x1000", lab + "&net.view=search", desktop, network("net_search_scatter")),
        ("network_ensembles_zh_1400x1000", lab + "&net.view=ensembles&lang=zh", desktop,
         network("net_ensembles_chart")),
        ("network_batchnorm_phone_390x844", lab + "&net.view=batchnorm", {"viewport": PHONE, "is_mobile": True,
                                                                        "has_touch": True, "device_scale_factor": 2},
         network("net_batchnorm_chart")),
        ("network_phone_390x844", lab + "&net.view=regions", {"viewport": PHONE, "is_mobile": True, "has_touch": True,
                                                             "device_scale_factor": 2}, network("net_regions_chart")),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default="/tmp/shots", help="folder for the PNGs (default /tmp/shots)")
    parser.add_argument("--url", help="use the app already served there instead of starting one")
    parser.add_argument("--only", nargs="*", default=None,
                        help="take only the pictures whose name contains one of these words")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    if bs.chromium_path() is None:
        print("Chromium not found (/usr/bin/chromium or `chromium` on PATH)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = None
    if args.url:
        url = args.url if args.url.endswith("/") else args.url + "/"
    else:
        server = bs.AppServer(REPO / "app.py", cwd=REPO).start(timeout=90)
        url = server.url
    failed = 0
    try:
        with sync_playwright() as playwright:
            browser = bs.launch_chromium(playwright)
            try:
                for name, address, options, take in shots(url):
                    if args.only and not any(word in name for word in args.only):
                        continue
                    context = browser.new_context(**options)
                    context.set_default_timeout(30_000)
                    started = time.monotonic()
                    try:
                        page = bs.open_app(context, address, timeout=180_000 if "net.data=digits" in address else 60_000,
                                           stage="view=network" not in address)
                        png = take(page)
                        path = out / f"{name}.png"
                        path.write_bytes(png)
                        print(f"{path}  ({time.monotonic() - started:.1f} s)", flush=True)
                    except Exception as error:  # a view that breaks must not stop the others
                        failed += 1
                        print(f"FAILED {name}: {type(error).__name__}: {str(error).splitlines()[0]}", file=sys.stderr,
                              flush=True)
                        traceback.print_exc(limit=2, file=sys.stderr)
                        try:
                            (out / f"{name}.FAILED.png").write_bytes(context.pages[-1].screenshot())
                        except Exception:
                            pass
                    finally:
                        context.close()
            finally:
                browser.close()
    finally:
        if server is not None:
            server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
