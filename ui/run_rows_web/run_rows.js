// The run rows: one compact row per run above the tabs (a Streamlit components-v2 module; no iframe, no build step).
// Python (ui/run_rows.py, rows_data) sends every row's values, the slider grids with their labels, the words and
// the help; this file draws the controls and sends back what the user changes.  It computes nothing: a slider
// moves on the grid Python sent, "stable" and "edge" send the learning rates Python computed.
//
// Edits go back with setTriggerValue("edit", {edits}), each numbered; every send carries all the edits Python has
// not yet said it applied (data.applied), so two sends that Streamlit merges lose nothing and Python skips what
// it has seen.  A slider sends while it is dragged (at most every THROTTLE_MS) and at once on a key press or on
// release: no debounce between the key and the new paths.  A learning-rate slider also tells the stage at once
// (a window event, LR_EVENT): the stage shows the path Python already sent for that neighbouring lr, if it has it.
//
// The rows update in place when only values change, so a slider keeps the keyboard's focus and a drag is never
// cut by the rerun it caused; a row is rebuilt only when its shape changes (another optimizer, "⋯" opened).
//
// A page has one set of rows.  Projector mode or a phone's rotation moves the component into an expander or out
// of it, which Streamlit draws as a new mount in a new parent: the rows move there with their open "⋯" panels and
// the edits Python has not applied yet, which the new mount sends again (Python skips any it has seen).

const THROTTLE_MS = 90;
let shown = null;  // the page's rows

// --- one control: a slider on a grid, a select box or a toggle --------------------------------------------

class Slider {
  constructor(parent, spec, grid, onEdit, full) {
    this.name = spec.name;
    this.node = element("label", "rr-slider rr-" + (full ? "full" : spec.name === "lr" ? "lr" : "main"), parent);
    this.node.title = spec.help || "";
    element("span", full ? "rr-label" : "rr-symbol", this.node, full ? spec.label : spec.symbol);
    this.input = element("input", "rr-range", this.node);
    this.input.type = "range";
    this.input.min = "0";
    this.input.step = "1";
    this.input.setAttribute("aria-label", spec.label);
    this.input.dataset.name = spec.name;
    this.shown = element("span", "rr-value", this.node);
    this.dragging = false;
    this.input.addEventListener("pointerdown", () => { this.dragging = true; });
    const release = () => { this.dragging = false; };
    this.input.addEventListener("pointerup", release);
    this.input.addEventListener("pointercancel", release);
    this.input.addEventListener("input", () => { this.show(); onEdit(this.name, this.value(), false); });
    this.input.addEventListener("change", () => { this.dragging = false; onEdit(this.name, this.value(), true); });
    this.setGrid(grid);
  }

  setGrid(grid) {
    this.grid = grid;
    this.input.max = String(grid.values.length - 1);
  }

  value() {
    return this.grid.values[Number(this.input.value)];
  }

  show() {
    const label = this.grid.labels[Number(this.input.value)];
    this.shown.textContent = label;
    this.input.setAttribute("aria-valuetext", label);
  }

  set(value) {
    if (this.dragging) return;  // the user's hand wins over a rerun that answers an older value
    let index = this.grid.values.indexOf(value);
    if (index < 0) {  // not on the grid (cannot happen with Python's grids): the nearest option
      index = 0;
      this.grid.values.forEach((option, i) => {
        if (Math.abs(option - value) < Math.abs(this.grid.values[index] - value)) index = i;
      });
    }
    this.input.value = String(index);
    this.show();
  }
}

class Select {
  constructor(parent, spec, onEdit, className) {
    this.name = spec.name;
    this.node = element("label", className || "rr-choice", parent);
    this.node.title = spec.help || "";
    if (spec.label && className !== "rr-optimizer") element("span", "rr-label", this.node, spec.label);
    this.input = element("select", "rr-select", this.node);
    this.input.setAttribute("aria-label", spec.label);
    this.input.dataset.name = spec.name;
    this.values = spec.choices.map(([value]) => value);
    for (const [, label] of spec.choices) element("option", "", this.input, label);
    this.input.addEventListener("change", () => onEdit(this.name, this.values[this.input.selectedIndex], true));
  }

  set(value) {
    const index = this.values.indexOf(value);
    if (index >= 0) this.input.selectedIndex = index;
  }
}

class Toggle {
  constructor(parent, spec, onEdit) {
    this.name = spec.name;
    this.node = element("label", "rr-toggle", parent);
    this.node.title = spec.help || "";
    this.input = element("input", "", this.node);
    this.input.type = "checkbox";
    this.input.setAttribute("role", "switch");
    this.input.dataset.name = spec.name;
    element("span", "rr-label", this.node, spec.label);
    this.input.addEventListener("change", () => onEdit(this.name, this.input.checked, true));
  }

  set(value) {
    this.input.checked = Boolean(value);
  }
}

// --- one row --------------------------------------------------------------------------------------------

// What a row is built from; a change of any of it rebuilds the row, a change of anything else updates it in place.
function shapeOf(row, open) {
  const control = (spec) => spec && [spec.name, spec.kind, spec.label, spec.symbol, spec.help, spec.choices];
  return JSON.stringify([row.number, row.colour, row.ink, row.optimizer, row.title, control(row.lr),
                         control(row.main), row.more.map(control), Boolean(row.cue), open]);
}

class Row {
  constructor(rows, row, data, open) {
    this.rows = rows;
    this.id = row.id;
    this.number = row.number;
    this.shape = shapeOf(row, open);
    this.node = element("div", "rr-row");
    this.node.dataset.run = String(row.id);
    this.controls = [];
    const edit = (name, value, now) => rows.edit(this.id, name, value, now);

    const head = element("div", "rr-head", this.node);
    const badge = element("span", "rr-badge", head, String(row.number));
    badge.style.background = row.colour;
    badge.style.color = row.ink;
    const optimizer = new Select(head, {name: "optimizer", label: data.words.optimizer, help: row.title,
                                        choices: data.optimizers}, edit, "rr-optimizer");
    this.controls.push(optimizer);

    this.controls.push(new Slider(this.node, row.lr, data.grids[row.lr.grid], edit, false));
    this.cue = element("div", row.cue ? "rr-cue" : "rr-cue rr-none", this.node);
    if (row.cue) {
      this.stable = element("button", "rr-button", this.cue, data.words.stable);
      this.edge = element("button", "rr-button", this.cue, data.words.edge);
      this.stable.dataset.action = "stable";
      this.edge.dataset.action = "edge";
      this.stable.addEventListener("click", () => edit("lr", this.cueValues.stable, true));
      this.edge.addEventListener("click", () => edit("lr", this.cueValues.edge, true));
    }
    if (row.main) this.controls.push(new Slider(this.node, row.main, data.grids[row.main.grid], edit, false));
    else element("div", "rr-main-none rr-none", this.node);

    const more = element("button", "rr-button rr-more", this.node, "⋯");
    more.dataset.action = "more";
    more.title = row.title;
    more.setAttribute("aria-label", data.words["More settings of this run"] + " — " + row.title);
    more.setAttribute("aria-expanded", String(open));
    more.addEventListener("click", () => rows.toggle(this.id));
    if (open) this.buildPanel(row, data, edit);
    this.update(row, data);
  }

  buildPanel(row, data, edit) {
    const panel = element("div", "rr-panel", this.node);
    element("div", "rr-panel-title", panel, row.title);
    for (const spec of row.more) {
      if (spec.kind === "slider") this.controls.push(new Slider(panel, spec, data.grids[spec.grid], edit, true));
      else if (spec.kind === "select") this.controls.push(new Select(panel, spec, edit));
      else this.controls.push(new Toggle(panel, spec, edit));
    }
    this.stability = element("div", "rr-stability", panel);
    const remove = element("button", "rr-button rr-remove", panel, data.words["Remove this run"]);
    remove.addEventListener("click", () => edit("remove", null, true));
  }

  update(row, data) {
    const values = {optimizer: row.optimizer, [row.lr.name]: row.lr.value};
    const specs = {[row.lr.name]: row.lr};
    for (const spec of [row.main, ...row.more]) {
      if (spec) { values[spec.name] = spec.value; specs[spec.name] = spec; }
    }
    for (const control of this.controls) {
      if (control.setGrid && specs[control.name] && !control.dragging) {  // a drag keeps the grid it started on
        control.setGrid(data.grids[specs[control.name].grid]);
      }
      const pending = this.rows.pendingValue(this.id, control.name);
      control.set(pending === undefined ? values[control.name] : pending);
    }
    if (row.cue) {
      this.cueValues = row.cue;
      this.stable.classList.toggle("rr-warn", row.cue.past);
      this.stable.textContent = (row.cue.past ? "⚠ " : "") + data.words.stable;
      this.stable.title = row.cue.stable_help;
      this.edge.title = row.cue.edge_help;
    }
    if (this.stability) {
      this.stability.textContent = row.stability ? row.stability.text : "";
      this.stability.classList.toggle("rr-warn-text", Boolean(row.stability && row.stability.warning));
    }
  }

  focused() {
    const active = document.activeElement;
    return active && this.node.contains(active) ? active.dataset.name || active.dataset.action : null;
  }

  focus(name) {
    const target = this.node.querySelector(`[data-name="${name}"], [data-action="${name}"]`);
    if (target) target.focus();
  }
}

// --- all the rows ---------------------------------------------------------------------------------------

class Rows {
  constructor(parent) {
    this.root = element("div", "rr", parent);
    this.rows = new Map();
    this.open = new Set();  // the runs whose "⋯" is open
    this.pending = [];  // {seq, run, name, value}: edits Python has not yet said it applied
    this.seq = 0;
    this.applied = 0;
    this.timer = null;
    this.lastSend = 0;
  }

  update(data, args) {
    this.args = args;
    if (data.applied < this.applied) {  // a new server session (a reconnect after a restart): old edits are void
      this.pending = [];
      this.seq = 0;
    }
    this.applied = data.applied;
    this.seq = Math.max(this.seq, data.applied);  // a new mount numbers on from what Python applied
    this.pending = this.pending.filter((edit) => edit.seq > data.applied);
    this.data = data;
    this.root.classList.toggle("rr-projector", Boolean(data.projector));
    this.root.style.setProperty("--rr-cue-width", data.cue_width);
    const seen = new Set();
    for (const row of data.rows) {
      seen.add(row.id);
      const open = this.open.has(row.id);
      let view = this.rows.get(row.id);
      if (view && view.shape === shapeOf(row, open)) {
        view.update(row, data);
      } else {
        const focused = view && view.focused();
        const fresh = new Row(this, row, data, open);
        if (view) view.node.replaceWith(fresh.node);
        view = fresh;
        this.rows.set(row.id, view);
        if (focused) view.focus(focused);
      }
      // in the runs' order; a row already in its place stays put (moving a node, even to where it is, blurs it)
      const place = this.root.children[seen.size - 1];
      if (place !== view.node) this.root.insertBefore(view.node, place || null);
    }
    for (const [id, view] of this.rows) {
      if (!seen.has(id)) { view.node.remove(); this.rows.delete(id); this.open.delete(id); }
    }
  }

  toggle(id) {
    if (this.open.has(id)) this.open.delete(id); else this.open.add(id);
    this.update(this.data, this.args);
    const view = this.rows.get(id);
    if (view) view.focus("more");
  }

  pendingValue(run, name) {
    let value;
    for (const edit of this.pending) if (edit.run === run && edit.name === name) value = edit.value;
    return value;
  }

  edit(run, name, value, now) {
    const view = this.rows.get(run);
    if (name === "lr" && view) {  // the stage shows the path Python sent for this lr at once, if it has it
      window.dispatchEvent(new CustomEvent(LR_EVENT, {detail: {index: view.number - 1, lr: value}}));
    }
    this.seq += 1;
    this.pending.push({seq: this.seq, run, name, value});
    if (now) this.send(); else this.schedule();
  }

  schedule() {
    const wait = THROTTLE_MS - (performance.now() - this.lastSend);
    if (wait <= 0) this.send();
    else if (!this.timer) this.timer = setTimeout(() => this.send(), wait);
  }

  send() {
    clearTimeout(this.timer);
    this.timer = null;
    this.lastSend = performance.now();
    if (this.args && this.args.setTriggerValue) this.args.setTriggerValue("edit", {edits: this.pending.slice()});
  }
}

export default function (args) {
  const parent = args.parentElement;
  const moved = shown !== null && shown.root.parentNode !== parent;
  if (shown === null) shown = new Rows(parent);
  else if (moved) parent.appendChild(shown.root);
  shown.update(unpack(args.data), args);
  if (moved && shown.pending.length) shown.send();  // the old mount's last send may have gone with it
}
