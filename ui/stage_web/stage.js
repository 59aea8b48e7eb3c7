// The stage: the Paths tab's chart, drawn and animated in the browser (a Streamlit components-v2 module; no
// iframe, no build step).  Python (ui/stage.py, viz/stage.py) sends the still picture as two Plotly figures (the
// surface with the whole paths; the side panels) and each run's numbers as float32 arrays; this file lays them
// out, and animates the runs itself with requestAnimationFrame on a canvas over the Plotly plot.  Python is the
// source of every number: nothing here computes an update, it only interpolates between the points it was sent.
//
// State per stage (kept across reruns, in `stages`, by parent element): the play head `s` (a real number of
// steps: the markers glide between step nodes), playing or not, the speed (steps per second), hide the future,
// step arrows, revealed.  The user's settings go back to Python with setStateValue("settings", ...) so they are
// in the URL; a click on the surface goes back with setTriggerValue("click", {x, y}).

const SPEEDS = [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 100, 200, 500, 1000];
const MIN_SPEED = 0.5;  // one step every two seconds: slow enough to count aloud
const MAX_PLOT_SHARE = 0.9;  // of the window's height, at most, for the chart
const PANELS_BESIDE_PX = 380;  // the panels go beside the chart when this much width is left, else below
const PANEL_PX = 150;
const stages = new WeakMap();
const PREVIEW_TIMEOUT_MS = 3000;

// Projector mode turned on (or a link opened in it): fold Streamlit's sidebar away once, so the chart can take the
// screen; the teacher opens it again with Streamlit's own » button.
function collapseSidebar() {
  const button = document.querySelector("[data-testid='stSidebar'][data-collapsed='false'] "
                                        + "[data-testid='stBaseButton-headerNoPadding']");
  if (button) button.click();
}

// a typed array as Python sends it (viz.figures._f32 / _i32: {dtype, bdata: base64})
function bytesOf(spec) {
  const text = atob(spec.bdata);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes.buffer;
}

// traces or annotations with their "path" / "future" parts shown or hidden (copies: the data stays as sent)
function withFuture(items, hidden) {
  return items.map((item) => (item.meta === "path" || item.meta === "future"
    ? Object.assign({}, item, {visible: !hidden}) : item));
}

function nextFrame() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function decode(spec) {
  return spec ? new Float32Array(bytesOf(spec)) : null;
}

function decodeInt(spec) {
  return spec ? new Int32Array(bytesOf(spec)) : null;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function number(value) {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(2)
    : String(Number(value.toPrecision(3)));
}

// --- one run's numbers ---------------------------------------------------------------------------------------

class Run {
  constructor(record, panelAxes) {
    this.label = record.label;
    this.colour = record.colour;
    this.outline = record.outline;
    this.open = record.open;
    this.xy = decode(record.xy);
    this.shown = decode(record.shown);
    this.end = record.end;
    this.status = record.status;
    this.eigen = decode(record.eigen);
    this.kappa = decode(record.kappa);
    this.panels = {};
    for (const axis of panelAxes) this.panels[axis] = decode(record.panels[axis]);
    this.parts = (record.parts || []).map((part) => ({kind: part.kind, label: part.label, value: decode(part.value)}));
    this.effectiveLr = record.effective_lr ? decode(record.effective_lr) : null;
    this.trials = record.trials ? {points: decode(record.trials.points), offset: decodeInt(record.trials.offset)} : null;
    this.curvature = record.curvature ? {believed: decode(record.curvature.believed),
                                         true: decode(record.curvature.true)} : null;
  }

  // where the run is at play head s: between points k and k + 1, a fraction of the way
  at(s) {
    const k = Math.min(Math.floor(s), this.end);
    const frac = k < this.end ? s - k : 0;
    return {k, frac};
  }

  point(array, k, frac) {
    const x0 = array[2 * k], y0 = array[2 * k + 1];
    if (!frac) return [x0, y0];
    return [x0 + frac * (array[2 * k + 2] - x0), y0 + frac * (array[2 * k + 3] - y0)];
  }
}

// --- the stage -----------------------------------------------------------------------------------------------

class Stage {
  constructor(parent, args) {
    this.args = args;
    this.s = null;
    this.playing = false;
    this.revealed = false;
    this.frames = 0;
    this.hiddenNow = null;
    this.build(parent);
    this.tick = this.tick.bind(this);
    this.onResize = () => { if (!this.retired()) this.layout(); };
    window.addEventListener("resize", this.onResize);
    // sized again when the stage's width changes without a window resize (the sidebar folding), or where it starts
    // (the heading above may grow after the first draw: a font or the formula arriving, buttons folding onto two
    // lines), or the bar under the chart changes height (its words, the language, projector mode's type)
    this.width = 0;
    this.observer = new ResizeObserver(() => {
      if (this.retired() || !this.data) return;
      if (this.root.clientWidth !== this.width || Math.abs(this.stageTop() - this.top) > 1
          || this.bar.offsetHeight !== this.barHeight) this.layout();
    });
    for (const box of [this.root, this.bar, document.querySelector("[data-testid='stMainBlockContainer']")]) {
      if (box) this.observer.observe(box);
    }
  }

  // A stage whose element has left the page for good (a newer stage is drawn: a language switch, another tab and
  // back): its playback, resize watching and timers stop and Plotly frees its charts.  True if it is retired.
  retired() {
    if (this.root.isConnected || shownStage === this) return false;
    if (!this.isRetired) {
      this.isRetired = true;
      this.playing = false;
      this.observer.disconnect();
      window.removeEventListener("resize", this.onResize);
      clearTimeout(this.previewTimer);
      if (this.Plotly) {
        this.Plotly.purge(this.chart);
        this.Plotly.purge(this.panels);
      }
    }
    return true;
  }

  // where the chart starts on the page (not on the screen: scrolling does not change it)
  stageTop() {
    const scroller = document.querySelector("[data-testid='stMain']");
    return this.chartBox.getBoundingClientRect().top + (scroller ? scroller.scrollTop : 0) + window.scrollY;
  }

  build(parent) {
    const root = element("div", "stage", parent);
    this.root = root;
    const row = element("div", "stage-row", root);
    const main = element("div", "stage-main", row);
    this.main = main;
    this.chartBox = element("div", "stage-chart", main);
    this.chartBox.tabIndex = 0;
    this.chart = element("div", "stage-plot", this.chartBox);
    this.canvas = element("canvas", "stage-overlay", this.chartBox);
    this.tooltip = element("div", "stage-tooltip", this.chartBox);
    this.bar = element("div", "stage-bar", main);
    this.legend = element("div", "stage-legend", main);
    this.panelBox = element("div", "stage-panels", row);
    this.panels = element("div", "stage-plot", this.panelBox);
    this.panelCanvas = element("canvas", "stage-overlay", this.panelBox);
    this.status = element("div", "stage-status", root);
    this.status.setAttribute("aria-live", "polite");
    this.buildBar();
    this.chartBox.addEventListener("keydown", (event) => this.onKey(event));
    this.chartBox.addEventListener("mousedown", (event) => { this.down = [event.clientX, event.clientY]; });
    this.chartBox.addEventListener("click", (event) => this.onClick(event));
    this.chartBox.addEventListener("mousemove", (event) => this.onHover(event));
    this.chartBox.addEventListener("mouseleave", () => { this.tooltip.style.display = "none"; });
  }

  buildBar() {
    const bar = this.bar;
    const button = (name, action) => {
      const node = element("button", "stage-button stage-" + name, bar);
      node.type = "button";
      node.addEventListener("click", () => { action(); this.chartBox.focus({preventScroll: true}); });
      return node;
    };
    this.restartButton = button("restart", () => this.restart());
    this.backButton = button("back", () => this.stepBy(-1));
    this.playButton = button("play", () => (this.playing ? this.pause() : this.play()));
    this.forwardButton = button("forward", () => this.stepBy(1));
    this.revealButton = button("reveal", () => this.reveal());
    this.slider = element("input", "stage-slider", bar);
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.step = "any";
    this.slider.addEventListener("input", () => {  // read the slider first: pausing redraws it at the old head
      const s = Number(this.slider.value);
      this.playing = false;
      this.setHead(s);
    });
    this.stepLabel = element("span", "stage-step", bar);
    const speedBox = element("label", "stage-option", bar);
    this.speedWord = element("span", "", speedBox);
    this.speedSelect = element("select", "stage-speed", speedBox);
    this.speedSelect.addEventListener("change", () => this.changeSetting("speed", this.speedSelect.value));
    const hideBox = element("label", "stage-option", bar);
    this.hideToggle = element("input", "stage-hide", hideBox);
    this.hideToggle.type = "checkbox";
    this.hideWord = element("span", "", hideBox);
    this.hideToggle.addEventListener("change", () => this.changeSetting("hide", this.hideToggle.checked));
    const arrowBox = element("label", "stage-option", bar);
    this.arrowToggle = element("input", "stage-arrows", arrowBox);
    this.arrowToggle.type = "checkbox";
    this.arrowWord = element("span", "", arrowBox);
    this.arrowToggle.addEventListener("change", () => this.changeSetting("arrows", this.arrowToggle.checked));
  }

  // --- data from Python ----------------------------------------------------------------------------------------

  async update(data, args) {
    performance.mark("stage-data");  // for tests/benchmarks/bench_stage.py: when a rerun's data arrived
    clearTimeout(this.previewTimer);  // the runs themselves are here
    this.args = args;
    // the same surface on the same axes (a learning rate changed): the canvas draws the new paths at once, and
    // Plotly's still part (faint whole paths, panels) follows; a new surface waits for Plotly's new axes
    const sameAxes = !!this.data && JSON.stringify(this.data.box) === JSON.stringify(data.box)
      && this.data.font_size === data.font_size && !!this.chart._fullLayout;
    this.data = data;
    this.words = data.words;
    this.settings = Object.assign({}, data.settings);
    this.root.classList.toggle("projector", !!data.projector);
    if (data.projector && window.__stageProjector !== true) collapseSidebar();  // the class sees the stage
    window.__stageProjector = !!data.projector;
    this.root.style.setProperty("--stage-font", data.font_size + "px");
    this.runs = data.runs.map((record) => new Run(record, data.panel_axes || []));
    const last = this.maxN;
    this.maxN = Math.max(1, ...this.runs.map((run) => run.end));
    if (this.s === null && window.__stageHead) {  // drawn again (a language switch, back from another tab)
      Object.assign(this, {s: window.__stageHead.s, revealed: window.__stageHead.revealed,
                           rewound: window.__stageHead.rewound});
      if (window.__stageHead.playing && this.s < this.maxN) requestAnimationFrame(() => this.play());
    } else if (this.s === null || (!this.playing && this.s >= last)) {
      this.s = this.maxN;  // at rest: everything shown
    }
    if (data.rewind !== this.rewound && (this.rewound !== undefined || data.rewind > 0)) {  // a lesson's step:
      Object.assign(this, {s: 0, revealed: false, playing: false});  // the class guesses first
    }
    this.rewound = data.rewind;
    this.s = Math.min(this.s, this.maxN);
    this.writeBar();
    this.writeLegend();
    this.panelBox.style.display = data.panels ? "" : "none";
    if (sameAxes) {
      this.render();
      this.root.dataset.revision = data.revision;
      performance.mark("stage-paths");
      await nextFrame();  // let the browser paint the new paths before Plotly's slower part
    }
    try {
      this.Plotly = await loadPlotly();
    } catch (error) {
      this.status.textContent = "The chart's drawing library (plotly.js) could not be loaded: reload the page.";
      return;
    }
    await this.draw(data);
  }

  // A run's row moved its learning-rate slider to lr (ui/run_rows_web/run_rows.js says so at once): show the path
  // Python sent for that neighbouring lr (viz.stage.preview_records) until the rerun brings the run itself, the
  // same numbers.  Nothing if there is none (a move of more than one place, a long run).  Its side-panel series
  // and step arrows wait for the rerun.
  preview(index, lr) {
    const record = this.data && this.data.runs && this.data.runs[index];
    if (!record || !this.runs || !this.chart._fullLayout) return;
    const found = (record.preview || []).find((item) => item.lr === lr);
    let run;
    if (found) {
      run = new Run(Object.assign({}, record, {label: found.label, xy: found.shown, shown: found.shown,
                                               end: found.end, status: found.status, parts: null, effective_lr: null,
                                               trials: null, curvature: null, eigen: null, kappa: null}), []);
      run.preview = true;
    } else if (this.runs[index] && this.runs[index].preview) {
      run = new Run(record, this.data.panel_axes || []);  // moved on past the previews: the run as sent, until the rerun
    } else {
      return;
    }
    if (found) for (const axis of this.data.panel_axes || []) run.panels[axis] = new Float32Array(found.end + 1).fill(NaN);
    const atEnd = this.s >= this.maxN;
    this.runs[index] = run;
    this.maxN = Math.max(1, ...this.runs.map((item) => item.end));
    if (atEnd && !this.playing) this.s = this.maxN;
    this.s = Math.min(this.s, this.maxN);
    this.writeBar();
    this.writeLegend();
    this.render();
    this.root.dataset.revision = this.data.revision + (found ? ":preview" : ":restored");
    clearTimeout(this.previewTimer);  // no rerun came (the edit changed nothing): back to the runs as sent
    this.previewTimer = setTimeout(() => this.update(this.data, this.args), PREVIEW_TIMEOUT_MS);
  }

  // Plotly's still part: the chart, then (a frame later, so the chart shows first on a page's first load) the
  // side panels.  ``data``: the rerun's, whose revision marks what is drawn (unless newer data came meanwhile).
  async draw(data = this.data) {
    const sizes = this.layout(false);
    const chart = data.chart;
    // the future shown or hidden in the figures themselves: one Plotly draw (a restyle and a relayout after it
    // were two more, ~90 ms of the browser's main thread on each learning-rate change)
    const hidden = this.futureHidden();
    const layout = Object.assign({}, chart.layout, sizes.chart,
                                 {annotations: withFuture(chart.layout.annotations || [], hidden)});
    const config = {displaylogo: false, scrollZoom: true, responsive: false,
                    displayModeBar: this.root.clientWidth >= 600 ? "hover" : false,  // on a phone it covers the chart
                    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"]};
    await this.Plotly.react(this.chart, withFuture(chart.data, hidden), layout, config);
    if (!this.chartEvents) {
      this.chartEvents = true;
      this.chart.on("plotly_relayouting", () => this.render());
      this.chart.on("plotly_relayout", () => this.render());
    }
    this.hiddenNow = hidden;  // as drawn; render() hides or shows again if the play head moved meanwhile
    this.render();
    if (data !== this.data) return;  // newer data came while Plotly drew: its own update draws it
    this.root.dataset.revision = data.revision;  // the new paths are drawn
    if (data.panels) {
      await nextFrame();
      if (data !== this.data) return;
      const panelLayout = Object.assign({}, data.panels.layout, sizes.panels);
      await this.Plotly.react(this.panels, withFuture(data.panels.data, hidden), panelLayout,
                              {displaylogo: false, displayModeBar: false, responsive: false});
      if (data !== this.data) return;
      this.hiddenNow = hidden;  // as the panels were drawn: render() shows or hides both figures again if the play
      this.render();            // head crossed the end meanwhile (playback ending, Reveal)
    }
    this.root.dataset.drawn = data.revision;  // … and Plotly's still part too
    performance.mark("stage-drawn");
  }

  // --- layout: the chart as large as the window allows, both axes to the same scale ------------------------------

  layout(apply = true) {
    let barHeight = this.bar.offsetHeight;
    let sizes = this.fit(barHeight);
    // the bar is as wide as the chart: set to its new width it may take more lines or fewer, which changes the
    // chart's room (the sidebar folding, say); fit again, at most twice, with the bar as it now is
    for (let pass = 0; pass < 2 && this.bar.offsetHeight !== barHeight; pass++) {
      barHeight = this.bar.offsetHeight;
      sizes = this.fit(barHeight);
    }
    this.barHeight = barHeight;
    if (apply && this.Plotly && this.chart.data) {
      this.Plotly.relayout(this.chart, sizes.chart).then(() => this.render());
      if (this.data.panels && this.panels.data) this.Plotly.relayout(this.panels, sizes.panels).then(() => this.render());
    }
    return sizes;
  }

  // The chart's and the panels' sizes for the stage's width and the window's height, with the bar under the chart
  // barHeight high; set on the page's boxes and canvases.
  fit(barHeight) {
    const [[x0, x1], [y0, y1]] = this.data.box;
    const font = this.data.font_size;
    const margin = {l: Math.round(2.2 * font + 14), r: Math.round(0.9 * font), t: 8, b: Math.round(1.6 * font + 12)};
    this.width = this.root.clientWidth;
    const width = Math.max(this.width, 280);
    const aspect = (y1 - y0) / (x1 - x0);
    const locked = aspect >= 1 / 3 && aspect <= 3;
    const top = this.stageTop();
    this.top = top;
    const room = window.innerHeight - Math.min(top, 0.5 * window.innerHeight) - barHeight - 24;
    const height = Math.max(260, Math.min(room, MAX_PLOT_SHARE * window.innerHeight));
    let plotW = width - margin.l - margin.r;
    let plotH = locked ? plotW * aspect : Math.min(height - margin.t - margin.b, 0.62 * plotW);
    if (locked && plotH > height - margin.t - margin.b) {
      plotH = height - margin.t - margin.b;
      plotW = plotH / aspect;
    }
    const chartW = Math.round(plotW + margin.l + margin.r), chartH = Math.round(plotH + margin.t + margin.b);
    const beside = !!this.data.panels && width - chartW >= PANELS_BESIDE_PX;
    const count = (this.data.panel_axes || []).length;
    const panelW = beside ? width - chartW - 12 : width;
    const panelH = beside ? Math.max(chartH, count * 120) : count * PANEL_PX + 70;
    this.root.classList.toggle("beside", beside);
    this.main.style.width = beside ? chartW + "px" : "100%";
    this.chartBox.style.width = chartW + "px";
    this.chartBox.style.height = chartH + "px";
    this.panelBox.style.width = panelW + "px";
    this.panelBox.style.height = panelH + "px";
    this.sizeCanvas(this.canvas, chartW, chartH);
    this.sizeCanvas(this.panelCanvas, panelW, panelH);
    return {chart: {width: chartW, height: chartH, margin}, panels: {width: panelW, height: panelH}};
  }

  sizeCanvas(canvas, width, height) {
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
  }

  // --- the bar: play, step, restart, reveal, speed, hide the future, arrows -------------------------------------

  writeBar() {
    const w = this.words;
    this.restartButton.textContent = w["↺ Restart"];
    this.backButton.textContent = w["◀ Step"];
    this.forwardButton.textContent = w["Step ▶"];
    this.revealButton.textContent = w["Reveal"];
    this.speedWord.textContent = w["speed"] + " ";
    this.hideWord.textContent = w["hide the future"];
    this.arrowWord.textContent = w["step arrows"];
    this.hideToggle.checked = !!this.settings.hide;
    this.arrowToggle.checked = !!this.settings.arrows;
    this.chartBox.title = w["Space: play/pause · ←/→: one step · Home: restart"];
    this.slider.max = String(this.maxN);
    // as wide as its longest text from the start, so the bar never folds anew during playback
    const widest = fill(w["step {k} of {n}"], {k: this.maxN, n: this.maxN});
    this.stepLabel.style.minWidth = [...widest].reduce((n, c) => n + (c.codePointAt(0) >= 0x2E80 ? 2 : 1), 0) + "ch";
    const fastest = Math.max(this.maxN / 2, MIN_SPEED);
    const options = [["auto", w["whole run in 5 s"]]];
    for (const speed of SPEEDS.filter((v) => v < fastest)) options.push([String(speed), speed + " " + w["steps/s"]]);
    options.push([String(fastest), number(fastest) + " " + w["steps/s"]]);
    const chosen = String(this.settings.speed);
    if (!options.some(([value]) => value === chosen)) options.push([chosen, chosen + " " + w["steps/s"]]);
    this.speedSelect.replaceChildren(...options.map(([value, text]) => {
      const option = element("option", "", null, text);
      option.value = value;
      return option;
    }));
    this.speedSelect.value = chosen;
  }

  writeLegend() {
    // the keys for the arrows and ellipses from the runs as sent: a preview (no parts, no curvature) leaves them
    const sent = (this.data.runs || []).map((record) => ({parts: record.parts || [], curvature: record.curvature}));
    const items = this.runs.map((run) => {
      const item = element("span", "stage-legend-item");
      const swatch = element("span", "stage-swatch", item);
      swatch.style.background = run.colour;
      element("span", "", item, run.label);
      return item;
    });
    if (this.settings.arrows && sent.some((run) => run.parts.length)) {
      const colours = this.data.part_colours;
      for (const [kind, word] of [["gradient", "gradient part"], ["history", "momentum part"], ["other", "other part"]]) {
        if (!sent.some((run) => run.parts.some((part) => part.kind === kind))) continue;
        const item = element("span", "stage-legend-item");
        const arrow = element("span", "stage-arrow-key", item, "→");
        arrow.style.color = colours[kind];
        element("span", "", item, this.words[word]);
        items.push(item);
      }
    }
    if (sent.some((run) => run.curvature)) {
      const [believed, truth] = this.data.curvature_words;
      const one = element("span", "stage-legend-item");
      element("span", "stage-ellipse-key", one);
      element("span", "", one, believed);
      const two = element("span", "stage-legend-item");
      element("span", "stage-ellipse-key dashed", two);
      element("span", "", two, truth);
      items.push(one, two);
    }
    this.legend.replaceChildren(...items);
  }

  speed() {
    const fastest = Math.max(this.maxN / 2, MIN_SPEED);
    const chosen = this.settings.speed === "auto" ? this.maxN / 5 : Number(this.settings.speed);
    return Math.min(Math.max(Number.isFinite(chosen) ? chosen : this.maxN / 5, MIN_SPEED), fastest);
  }

  changeSetting(name, value) {
    this.settings[name] = value;
    if (name === "hide") this.revealed = false;
    this.render();
    this.writeLegend();
    if (this.args && this.args.setStateValue) this.args.setStateValue("settings", Object.assign({}, this.settings));
  }

  // --- playback --------------------------------------------------------------------------------------------

  play() {
    if (this.s >= this.maxN) { this.s = 0; this.revealed = false; }
    this.playing = true;
    this.lastTime = null;
    this.render();
    requestAnimationFrame(this.tick);
  }

  pause() {
    this.playing = false;
    this.render();
  }

  restart() {  // back to step 0, and play from there
    this.s = 0;
    this.revealed = false;
    this.play();
  }

  reveal() {
    this.revealed = true;
    this.render();
  }

  stepBy(direction) {
    this.playing = false;
    const target = direction > 0 ? Math.floor(this.s + 1e-9) + 1 : Math.ceil(this.s - 1e-9) - 1;
    this.setHead(target);
  }

  setHead(s) {
    this.s = Math.min(Math.max(s, 0), this.maxN);
    this.render();
  }

  tick(now) {
    if (!this.playing || this.retired()) return;
    const dt = this.lastTime === null ? 0 : Math.min((now - this.lastTime) / 1000, 0.1);
    this.lastTime = now;
    this.s = Math.min(this.maxN, this.s + this.speed() * dt);
    if (this.s >= this.maxN) this.playing = false;
    this.render();
    if (this.playing) requestAnimationFrame(this.tick);
  }

  onKey(event) {
    const actions = {" ": () => (this.playing ? this.pause() : this.play()), ArrowRight: () => this.stepBy(1),
                     ArrowLeft: () => this.stepBy(-1), Home: () => this.restart()};
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }

  futureHidden() {
    return !!this.settings.hide && !this.revealed && this.s < this.maxN;
  }

  // --- drawing -----------------------------------------------------------------------------------------------

  render() {
    if (!this.chart._fullLayout || !this.runs) return;
    const hidden = this.futureHidden();
    if (hidden !== this.hiddenNow) this.hide(hidden);
    this.frames += 1;
    window.__stageHead = {s: this.s, revealed: this.revealed, playing: this.playing,  // outlives a remount
                          rewound: this.rewound};
    this.root.dataset.frames = String(this.frames);
    this.root.dataset.head = this.s.toFixed(3);
    this.root.dataset.playing = String(this.playing);
    this.root.dataset.hidden = String(hidden);
    this.drawChart(hidden);
    if (this.data.panels && this.panels._fullLayout) this.drawPanels(hidden);
    const k = Math.floor(this.s + 1e-9);
    this.slider.value = String(this.s);
    this.stepLabel.textContent = fill(this.words["step {k} of {n}"], {k, n: this.maxN});
    this.playButton.textContent = this.playing ? this.words["❚❚ Pause"] : this.words["▶ Play"];
    this.revealButton.disabled = !hidden;
    this.status.textContent = this.statusText(k);
  }

  statusText(k) {
    const ended = this.runs.filter((run) => run.status === "diverged" && run.end <= k);
    return ended.map((run) => run.label + ": " + fill(this.words["diverged at step {k}"], {k: run.end})).join(" · ");
  }

  hide(hidden) {
    this.hiddenNow = hidden;
    const show = (gd) => {
      const traces = [];
      (gd.data || []).forEach((trace, index) => {
        if (trace.meta === "path" || trace.meta === "future") traces.push(index);
      });
      if (traces.length) this.Plotly.restyle(gd, {visible: !hidden}, traces);
    };
    show(this.chart);
    if (this.data.panels && this.panels.data) show(this.panels);
    const notes = (this.chart.layout.annotations || []);
    const update = {};
    notes.forEach((note, index) => { if (note.meta === "future") update[`annotations[${index}].visible`] = !hidden; });
    if (Object.keys(update).length) this.Plotly.relayout(this.chart, update);
  }

  context(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, canvas.width / ratio, canvas.height / ratio);
    return ctx;
  }

  mapping(gd, xName, yName) {
    const full = gd._fullLayout;
    const xa = full[xName], ya = full[yName];
    const linear = (axis, value) => (axis.type === "log" ? Math.log10(value) : value);
    const clamp = (value) => Math.max(-1e6, Math.min(1e6, value));
    return {
      x: (value) => clamp(xa._offset + (linear(xa, value) - xa.range[0]) / (xa.range[1] - xa.range[0]) * xa._length),
      y: (value) => clamp(ya._offset + (1 - (linear(ya, value) - ya.range[0]) / (ya.range[1] - ya.range[0])) * ya._length),
      rect: [xa._offset, ya._offset, xa._length, ya._length],
    };
  }

  drawChart(hidden) {
    const ctx = this.context(this.canvas);
    const map = this.mapping(this.chart, "xaxis", "yaxis");
    const width = this.data.line_width;
    ctx.save();
    ctx.beginPath();
    ctx.rect(...map.rect);
    ctx.clip();
    for (const run of this.runs) this.drawTrials(ctx, map, run, width);
    for (const run of this.runs) this.drawTrail(ctx, map, run, width);
    for (const run of this.runs) this.drawCurvature(ctx, map, run, width);
    if (this.settings.arrows) for (const run of this.runs) this.drawArrows(ctx, map, run, width);
    ctx.restore();
    for (const run of this.runs) this.drawMarker(ctx, map, run, width);
  }

  drawTrail(ctx, map, run, width) {
    const {k, frac} = run.at(this.s);
    const tail = Math.max(8, Math.round(run.end / 8));
    const first = Math.max(0, k - tail);
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    ctx.strokeStyle = run.colour;
    // the history before the tail: kept, fainter (a fading trail, never a vanishing one)
    if (first > 0) {
      ctx.globalAlpha = 0.45;
      ctx.lineWidth = width * 0.8;
      this.polyline(ctx, map, run.xy, 0, first);
      ctx.stroke();
    }
    // the tail: strong, the newest segment ends at the marker
    ctx.globalAlpha = 1;
    ctx.lineWidth = width;
    this.polyline(ctx, map, run.xy, first, k);
    const [hx, hy] = run.point(run.xy, k, frac);
    if (frac && Number.isFinite(hx + hy)) ctx.lineTo(map.x(hx), map.y(hy));
    ctx.stroke();
    // the step nodes, so a class can count steps
    const radius = Math.max(2, width * 0.9);
    ctx.fillStyle = run.colour;
    for (let i = run.end <= 400 ? 0 : first; i <= k; i++) {
      const x = run.xy[2 * i], y = run.xy[2 * i + 1];
      if (!Number.isFinite(x + y)) continue;
      ctx.globalAlpha = i < first ? 0.45 : 1;
      ctx.beginPath();
      ctx.arc(map.x(x), map.y(y), radius, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
  }

  // a line search's rejected trials: each update's ray from x_k through them; the update under way strong
  drawTrials(ctx, map, run, width) {
    if (!run.trials) return;
    const {points, offset} = run.trials;
    const current = Math.ceil(this.s - 1e-9) - 1;  // the update the marker is travelling (or has just ended)
    ctx.strokeStyle = run.colour;
    ctx.fillStyle = run.colour;
    for (let update = 0; update <= Math.min(current, offset.length - 2); update++) {
      const from = offset[update], to = offset[update + 1];
      if (to - from < 2) continue;
      ctx.globalAlpha = update === current ? 0.9 : 0.3;
      ctx.lineWidth = Math.max(1, width * 0.4);
      this.polyline(ctx, map, points, from, to - 1);
      ctx.stroke();
      for (let i = from + 1; i < to; i++) {
        const x = points[2 * i], y = points[2 * i + 1];
        if (!Number.isFinite(x + y)) continue;
        ctx.beginPath();
        ctx.arc(map.x(x), map.y(y), Math.max(3, width * 0.9), 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
  }

  // BFGS, L-BFGS: the ellipse of the curvature believed in (H_k, filled) and of the true ∇²f⁻¹ (dashed), at x_k
  drawCurvature(ctx, map, run, width) {
    if (!run.curvature) return;
    const {k, frac} = run.at(this.s);
    const [cx, cy] = run.point(run.shown, k, frac);
    const ellipse = (axes, dashed) => {
      const a = axes.subarray(4 * k, 4 * k + 4);  // [[a00, a01], [a10, a11]]: columns are the semi-axes
      if (!Array.from(a).every(Number.isFinite)) return;
      ctx.beginPath();
      for (let i = 0; i <= 48; i++) {
        const theta = (2 * Math.PI * i) / 48, c = Math.cos(theta), s = Math.sin(theta);
        const x = map.x(cx + a[0] * c + a[1] * s), y = map.y(cy + a[2] * c + a[3] * s);
        if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      }
      ctx.setLineDash(dashed ? [6, 4] : []);
      ctx.lineWidth = dashed ? 1.5 : Math.max(1.5, width * 0.8);
      ctx.strokeStyle = dashed ? "#333333" : run.colour;
      if (!dashed) {
        ctx.globalAlpha = 0.18;
        ctx.fillStyle = run.colour;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    ellipse(run.curvature.believed, false);
    ellipse(run.curvature.true, true);
  }

  polyline(ctx, map, xy, from, to) {
    ctx.beginPath();
    let pen = false;
    for (let i = from; i <= to; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (!Number.isFinite(x + y)) { pen = false; continue; }
      if (pen) ctx.lineTo(map.x(x), map.y(y)); else ctx.moveTo(map.x(x), map.y(y));
      pen = true;
    }
  }

  drawMarker(ctx, map, run, width) {
    const {k, frac} = run.at(this.s);
    const [x, y] = run.point(run.shown, k, frac);
    if (!Number.isFinite(x + y)) return;
    const cx = map.x(x), cy = map.y(y), r = (5 * width + 3) / 2;
    ctx.beginPath();
    if (run.outline) {
      run.outline.forEach(([dx, dy], i) => (i ? ctx.lineTo(cx + r * dx, cy + r * dy) : ctx.moveTo(cx + r * dx, cy + r * dy)));
      ctx.closePath();
    } else {
      ctx.arc(cx, cy, r, 0, 2 * Math.PI);
    }
    ctx.lineWidth = 2;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
    if (run.open) {
      ctx.lineWidth = Math.max(2, 0.3 * r);
      ctx.strokeStyle = run.colour;
      ctx.stroke();
    } else {
      ctx.fillStyle = run.colour;
      ctx.fill();
    }
    run.screen = [cx, cy];
  }

  // the parts of the update the marker is travelling (update k + 1 from x_k), head to tail from x_k
  drawArrows(ctx, map, run, width) {
    if (!run.parts.length) return;
    const {k} = run.at(this.s);
    const update = Math.min(k, run.end - 1);
    if (update < 0) return;
    let x = run.xy[2 * update], y = run.xy[2 * update + 1];
    for (const part of run.parts) {
      const dx = part.value[2 * update], dy = part.value[2 * update + 1];
      if (!Number.isFinite(dx + dy) || (dx === 0 && dy === 0)) continue;
      this.arrow(ctx, map.x(x), map.y(y), map.x(x + dx), map.y(y + dy), this.data.part_colours[part.kind], width);
      x += dx;
      y += dy;
    }
    if (run.effectiveLr) {
      const text = `η_eff = (${number(run.effectiveLr[2 * update])}, ${number(run.effectiveLr[2 * update + 1])})`;
      ctx.font = `${Math.round(this.data.font_size * 0.85)}px sans-serif`;
      const px = map.x(run.xy[2 * update]) + 10, py = map.y(run.xy[2 * update + 1]) - 10;
      ctx.lineWidth = 4;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(text, px, py);
      ctx.fillStyle = run.colour;
      ctx.fillText(text, px, py);
    }
  }

  arrow(ctx, x0, y0, x1, y1, colour, width) {
    const length = Math.hypot(x1 - x0, y1 - y0);
    if (length < 1) return;
    const head = Math.min(6 + 2 * width, 0.45 * length);
    const ux = (x1 - x0) / length, uy = (y1 - y0) / length;
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = Math.max(2, width * 0.9);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1 - ux * head * 0.8, y1 - uy * head * 0.8);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - ux * head - uy * head * 0.5, y1 - uy * head + ux * head * 0.5);
    ctx.lineTo(x1 - ux * head + uy * head * 0.5, y1 - uy * head - ux * head * 0.5);
    ctx.closePath();
    ctx.fill();
  }

  drawPanels(hidden) {
    const ctx = this.context(this.panelCanvas);
    for (const axis of this.data.panel_axes) {
      const map = this.mapping(this.panels, "xaxis" + axis, "yaxis" + axis);
      const [left, top, w, h] = map.rect;
      ctx.save();
      ctx.beginPath();
      ctx.rect(left - 6, top - 6, w + 12, h + 12);
      ctx.clip();
      const cursor = map.x(this.s);
      ctx.strokeStyle = "rgba(60,60,60,0.55)";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(cursor, top);
      ctx.lineTo(cursor, top + h);
      ctx.stroke();
      ctx.setLineDash([]);
      for (const run of this.runs) this.drawSeries(ctx, map, run, run.panels[axis], hidden);
      ctx.restore();
    }
  }

  drawSeries(ctx, map, run, values, hidden) {
    const {k, frac} = run.at(this.s);
    if (hidden) {  // the panels' own lines are hidden: draw each series up to the play head
      ctx.strokeStyle = run.colour;
      ctx.lineWidth = 2;
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i <= k; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) { pen = false; continue; }
        if (pen) ctx.lineTo(map.x(i), map.y(v)); else ctx.moveTo(map.x(i), map.y(v));
        pen = true;
      }
      ctx.stroke();
    }
    const v0 = values[k], v1 = k < run.end ? values[k + 1] : v0;
    const v = Number.isFinite(v0) && Number.isFinite(v1) && v0 > 0 && v1 > 0 ? v0 * Math.pow(v1 / v0, frac) : v0;
    if (!Number.isFinite(v)) return;
    ctx.beginPath();
    ctx.arc(map.x(k + frac), map.y(v), 5, 0, 2 * Math.PI);
    ctx.fillStyle = run.colour;
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
  }

  // --- pointer: a click on the surface starts the runs there; a hover over a marker tells its curvature ---------

  onClick(event) {
    const moved = this.down ? Math.hypot(event.clientX - this.down[0], event.clientY - this.down[1]) : 0;
    if (moved > 4 || !this.chart._fullLayout || event.target.closest(".modebar")) return;
    const box = this.chart.getBoundingClientRect();
    const px = event.clientX - box.left, py = event.clientY - box.top;
    const xa = this.chart._fullLayout.xaxis, ya = this.chart._fullLayout.yaxis;
    if (px < xa._offset || px > xa._offset + xa._length || py < ya._offset || py > ya._offset + ya._length) return;
    const x = xa.range[0] + (px - xa._offset) / xa._length * (xa.range[1] - xa.range[0]);
    const y = ya.range[1] - (py - ya._offset) / ya._length * (ya.range[1] - ya.range[0]);
    if (this.args && this.args.setTriggerValue) this.args.setTriggerValue("click", {x, y});
  }

  onHover(event) {
    if (!this.runs) return;
    const box = this.chartBox.getBoundingClientRect();
    const px = event.clientX - box.left, py = event.clientY - box.top;
    const near = this.runs.find((run) => run.screen && Math.hypot(run.screen[0] - px, run.screen[1] - py) < 14);
    if (!near || !near.eigen || !near.kappa) { this.tooltip.style.display = "none"; return; }  // (a preview: none)
    const {k} = near.at(this.s + 0.5);
    this.tooltip.textContent = fill(this.words["{label}, step {k}: Hessian eigenvalues {low}, {high}; κ = {kappa}"], {
      label: near.label, k, low: number(near.eigen[2 * k]), high: number(near.eigen[2 * k + 1]),
      kappa: number(near.kappa[k])});
    this.tooltip.style.display = "block";
    this.tooltip.style.left = Math.min(px + 14, box.width - 260) + "px";
    this.tooltip.style.top = py + 14 + "px";
  }
}

// the run rows' learning-rate sliders (ui/run_rows_web/run_rows.js) tell the stage drawn last where they moved
let shownStage = null;
window.addEventListener(LR_EVENT, (event) => {
  if (shownStage && shownStage.root.isConnected) shownStage.preview(event.detail.index, event.detail.lr);
});

export default function (args) {
  const parent = args.parentElement;
  let stage = stages.get(parent);
  if (!stage) {
    stage = new Stage(parent, args);
    stages.set(parent, stage);
  }
  shownStage = stage;
  stage.update(unpack(args.data), args);
}
