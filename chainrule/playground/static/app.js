// The playground page. It draws what the server sends and sends the user's actions;
// the training itself runs in Python, in the server, one session per connection.
//
// Messages from the server: JSON text ({type: "hello" | "state" | "data" | "math" |
// "error" | "info"}) and binary frames: a 4-byte little-endian header length, a JSON
// header ({kind: "frame" | "file", ...}) and a body of bytes (heatmaps or a file).

import { LossChart } from "./chart.js";
import { classColors, rgbString, LUT } from "./colors.js";
import { OutputPlot, paintThumbnail } from "./heatmap.js";
import { fmt, mathSteps } from "./mathview.js";
import { NetworkView } from "./network.js";

const $ = (id) => document.getElementById(id);

const app = {
  ws: null,
  hello: null,
  state: null,
  structure: "",
  frame: null,
  pending: null,
  hoverNode: null,
  addLabel: null,
  math: { on: false, steps: [], index: 0, trace: null },
};

// ------------------------------------------------------------------ connection

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const base = location.pathname.replace(/[^/]*$/, "");
  const ws = new WebSocket(`${scheme}://${location.host}${base}ws${location.search}`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => setConnection("connected", "ok");
  ws.onclose = (event) => {
    setConnection("disconnected", "bad");
    const why = event.reason ? `: ${event.reason}` : "";
    showMessage(`The connection to the server closed${why}. Reload the page to start again.`);
  };
  ws.onmessage = (event) => {
    if (typeof event.data === "string") onJSON(JSON.parse(event.data));
    else onBinary(event.data);
  };
  app.ws = ws;
}

function send(message) {
  if (app.ws && app.ws.readyState === WebSocket.OPEN) app.ws.send(JSON.stringify(message));
}

function setSettings(changes) {
  send({ type: "set", settings: changes });
}

function setConnection(text, cls) {
  const node = $("connection");
  node.textContent = text;
  node.className = `connection ${cls}`;
}

export function showMessage(text, level = "error") {
  const box = $("messages");
  const node = document.createElement("div");
  node.className = `message ${level}`;
  node.textContent = text;
  box.appendChild(node);
  while (box.children.length > 4) box.firstChild.remove();
  setTimeout(() => node.remove(), level === "error" ? 8000 : 5000);
}

// -------------------------------------------------------------------- messages

function onJSON(m) {
  const handlers = { hello: onHello, state: onState, data: onData, math: onMath, error: onError, info: onInfo };
  (handlers[m.type] || (() => console.warn("unknown message", m)))(m);
}

function onError(m) {
  showMessage(m.message, "error");
}

function onInfo(m) {
  showMessage(m.message, "info");
}

function onBinary(buffer) {
  const length = new DataView(buffer).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  const body = new Uint8Array(buffer, 4 + length);
  if (header.kind === "frame") {
    const size = header.grid * header.grid;
    const maps = header.maps.map(([id, encoding], k) => [id, { encoding, bytes: body.subarray(k * size, (k + 1) * size) }]);
    // The input features' maps never change: the server sends them once, they are kept.
    const isFeature = ([id]) => !id.startsWith("h") && !id.startsWith("o.");
    if (maps.some(isFeature)) app.features = maps.filter(isFeature);
    header.maps = maps.filter((m) => !isFeature(m));
    app.pending = header;
    requestAnimationFrame(drawPending);
  } else if (header.kind === "file") {
    download(header.name, header.mime, body);
  }
}

function download(name, mime, bytes) {
  const url = URL.createObjectURL(new Blob([bytes], { type: mime }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  showMessage(`Downloaded ${name}`, "info");
}

function onHello(m) {
  app.hello = m;
  const table = Object.fromEntries(m.table.map((row) => [row.name, row]));
  fillSteps($("learning-rate"), table.learningRate.steps);
  fillSteps($("regularization-rate"), table.regularizationRate.steps);
  fillSteps($("dropout"), table.dropout.steps);
  const activation = $("activation");
  activation.replaceChildren();
  for (const [key, label] of Object.entries(m.activations)) activation.add(new Option(label, key));
  activation.add(new Option("Mixed", "mixed"));
  activation.lastChild.disabled = true;
  const L = m.limits;
  $("limits").textContent = `Limits of this server: ${L.max_layers} hidden layers, ${L.max_neurons} ` +
    `neurons per layer, ${L.max_points} data points, ${Math.round(L.max_message_bytes / 1024)} KB per upload, ` +
    `${L.max_sessions} sessions.`;
}

function fillSteps(select, steps) {
  select.replaceChildren();
  for (const v of steps) select.add(new Option(String(v), String(v)));
}

function onState(m) {
  const first = !app.state;
  app.state = m;
  if (m.query !== undefined && location.search.slice(1) !== m.query) {
    history.replaceState(null, "", `?${m.query}`);
  }
  const s = m.settings;
  // Generic controls: one element per setting.
  document.querySelectorAll("[data-setting]").forEach((node) => {
    const value = s[node.dataset.setting];
    if (node.type === "checkbox") node.checked = value;
    else {
      if (node.tagName === "SELECT" && ![...node.options].some((o) => o.value === String(value))) {
        node.add(new Option(String(value), String(value)));
      }
      node.value = String(value);
    }
  });
  $("perc-train-value").textContent = s.percTrainData;
  $("noise-value").textContent = s.noise;
  $("batch-size-value").textContent = s.batchSize;
  const acts = m.network.activations;
  $("activation").value = acts.every((a) => a === acts[0]) ? acts[0] : "mixed";
  $("play-pause").classList.toggle("playing", m.playing);
  $("play-pause").title = m.playing ? "Pause training" : "Run training";
  const n = s.networkShape.length;
  $("layer-count-text").textContent = `${n} hidden layer${n === 1 ? "" : "s"}`;
  $("add-layer").disabled = n >= app.hello.limits.max_layers;
  $("remove-layer").disabled = n <= 0;
  $("data-name").textContent = m.dataName;
  $("network-note").textContent = m.task.kind === "multiclass"
    ? `${m.task.classes} classes: softmax outputs, cross-entropy loss`
    : m.task.kind === "binary" ? "two classes: tanh output (−1 / +1), squared-error loss"
      : "regression: linear output, squared-error loss";
  drawDatasets();
  drawAddControls();
  const structure = JSON.stringify([m.network, m.task]);
  if (structure !== app.structure || first) {
    app.structure = structure;
    if (app.math.on) closeMath(); // its numbers were for the old network
    app.net.build(m, app.hello);
  }
  if (m.playing && app.math.on) closeMath();
  drawOutput();
}

function onData(m) {
  app.plot.setData(m.train, m.test);
  drawOutput();
}

// ---------------------------------------------------------------------- drawing

function drawPending() {
  const frame = app.pending;
  if (!frame) return;
  app.pending = null;
  app.frame = frame;
  // Acknowledged once drawn: a hidden tab draws nothing, so the server stops sending.
  send({ type: "ack", seq: frame.seq });
  frame.maps = [...(app.features || []), ...frame.maps];
  const loss = (v) => (v === null || v === undefined ? "–" : v.toFixed(3));
  $("epoch").textContent = String(frame.epoch);
  $("train-loss").textContent = loss(frame.trainLoss);
  $("test-loss").textContent = loss(frame.testLoss);
  if (frame.trainLoss !== null) app.chart.add(frame.epochs, frame.trainLoss, frame.testLoss ?? frame.trainLoss);
  app.net.update(frame);
  drawOutput();
  drawMetrics(frame);
  drawHealth(frame);
}

function drawOutput() {
  const frame = app.frame, state = app.state;
  if (!state) return;
  const task = state.task;
  const s = state.settings;
  if (frame) {
    const byId = new Map(frame.maps);
    const colors = classColors(task);
    let maps;
    let caption = "";
    if (app.hoverNode && byId.has(app.hoverNode)) {
      const m = byId.get(app.hoverNode);
      const row = Number(app.hoverNode.split(".")[1]);
      maps = [{ ...m, color: colors[row] }];
      caption = app.hoverNode.startsWith("o.") && task.kind === "multiclass"
        ? `probability of class ${row}` : `output of ${nodeName(app.hoverNode)}`;
    } else {
      maps = frame.maps.filter(([id]) => id.startsWith("o.")).map(([, m], k) => ({ ...m, color: colors[k] }));
    }
    app.plot.setBackground(maps, frame.grid, s.discretize, task);
    $("heatmap-caption").textContent = caption;
  }
  app.plot.draw(task, s.showTestData);
  drawLegend(task);
}

function nodeName(id) {
  if (app.hello.features[id]) return app.hello.features[id];
  if (id.startsWith("h")) {
    const [l, j] = id.slice(1).split(".");
    return `neuron ${Number(j) + 1} of hidden layer ${l}`;
  }
  return "the output";
}

function drawLegend(task) {
  const canvas = $("legend");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (task.kind === "multiclass") {
    const colors = classColors(task);
    const w = canvas.width / task.classes;
    colors.slice(0, task.classes).forEach((c, k) => {
      ctx.fillStyle = rgbString(c);
      ctx.fillRect(k * w, 0, w - 2, canvas.height);
    });
    $("legend-text").textContent = `classes 0–${task.classes - 1}`;
  } else {
    for (let x = 0; x < canvas.width; x++) {
      const b = Math.round((x / (canvas.width - 1)) * 255) * 3;
      ctx.fillStyle = `rgb(${LUT[b]},${LUT[b + 1]},${LUT[b + 2]})`;
      ctx.fillRect(x, 0, 1, canvas.height);
    }
    $("legend-text").textContent = task.kind === "binary" ? "class 0 (−1) … class 1 (+1)" : "−1 … +1";
  }
}

// Per hidden layer: dead ReLUs or saturated sigmoid/tanh units, with the course's advice.
function drawHealth(frame) {
  const box = $("health");
  const layers = frame.health || [];
  const flagged = layers.filter((l) => l.advice);
  const measured = layers.filter((l) => l.problem);
  if (!measured.length) {
    box.replaceChildren();
    return;
  }
  const summary = measured
    .map((l) => `layer ${l.layer}: ${Math.round(100 * l.fraction)}% ${l.problem}`)
    .join(" · ");
  box.replaceChildren();
  const line = document.createElement("div");
  line.textContent = `Health: ${summary}`;
  box.append(line);
  for (const l of flagged) {
    const advice = document.createElement("div");
    advice.className = "advice";
    advice.textContent = `Layer ${l.layer}: ${Math.round(100 * l.fraction)}% of its units are ${l.problem}: ${l.advice}.`;
    box.append(advice);
  }
}

function drawMetrics(frame) {
  const box = $("metrics");
  if (frame.trainAcc === null || frame.trainAcc === undefined) {
    box.replaceChildren();
    return;
  }
  const colors = classColors(app.state.task);
  const K = frame.confusion.length;
  let html = `<div class="acc">Accuracy<br>test <b data-testid="test-accuracy">${(100 * frame.testAcc).toFixed(1)}%</b>` +
    `<br>training <b>${(100 * frame.trainAcc).toFixed(1)}%</b></div>`;
  const max = Math.max(1, ...frame.confusion.flat());
  html += `<table class="confusion" data-testid="confusion" title="Test data: rows are the true class, columns the predicted one">` +
    `<tr><th></th>${frame.confusion.map((_, k) => `<th><span class="swatch" style="background:${rgbString(colors[k])}"></span></th>`).join("")}</tr>`;
  frame.confusion.forEach((row, i) => {
    html += `<tr><th><span class="swatch" style="background:${rgbString(colors[i])}"></span></th>`;
    row.forEach((count, j) => {
      const t = count / max;
      const bg = i === j ? `rgba(8,119,189,${0.12 + 0.6 * t})` : (count ? `rgba(179,38,30,${0.1 + 0.6 * t})` : "transparent");
      html += `<td style="background:${bg}">${count}</td>`;
    });
    html += "</tr>";
  });
  html += `</table><div class="hint small">confusion (test):<br>rows true,<br>columns predicted</div>`;
  box.innerHTML = html;
  void K;
}

function drawDatasets() {
  const { hello, state } = app;
  const box = $("datasets");
  const problem = state.settings.problem;
  const names = Object.keys(hello.datasets[problem]);
  const key = problem === "regression" ? "regDataset" : "dataset";
  if (box.dataset.problem !== problem) {
    box.dataset.problem = problem;
    box.replaceChildren();
    for (const name of names) {
      const button = document.createElement("button");
      button.className = "dataset";
      button.dataset.testid = `dataset-${name}`;
      button.dataset.name = name;
      button.title = hello.datasets[problem][name];
      const canvas = document.createElement("canvas");
      button.appendChild(canvas);
      const thumb = hello.thumbnails[name];
      paintThumbnail(canvas, thumb.points, thumb.task);
      button.addEventListener("click", () => setSettings({ [key]: name }));
      box.appendChild(button);
    }
  }
  for (const button of box.children) {
    button.classList.toggle("selected", !state.custom && button.dataset.name === state.settings[key]);
  }
  $("classes-row").hidden = !(problem === "classification" && hello.multiclass.includes(state.settings.dataset));
}

function drawAddControls() {
  const task = app.state.task;
  const box = $("add-classes");
  const regression = task.kind === "regression";
  const want = regression ? 1 : task.classes;
  if (box.children.length !== want || box.dataset.kind !== task.kind) {
    box.dataset.kind = task.kind;
    box.replaceChildren();
    const colors = classColors(task);
    for (let k = 0; k < want; k++) {
      const b = document.createElement("button");
      b.className = "add-class";
      b.style.background = regression ? "#66727f" : rgbString(colors[k]);
      b.textContent = regression ? "+" : String(k);
      b.title = regression ? "Click the output plot to add a training point with the value below"
        : `Click the output plot to add a training point of class ${b.textContent}`;
      b.dataset.testid = `add-class-${k}`;
      b.addEventListener("click", () => {
        app.addLabel = app.addLabel === k ? null : k;
        drawAddControls();
      });
      box.appendChild(b);
    }
    if (app.addLabel !== null && app.addLabel >= want) app.addLabel = null;
  }
  [...box.children].forEach((b, k) => b.classList.toggle("selected", app.addLabel === k));
  $("add-value-row").hidden = !regression;
}

// ------------------------------------------------------------------- the math

function onMath(trace) {
  app.math.trace = trace;
  app.math.steps = mathSteps(trace);
  app.math.index = 0;
  app.plot.highlight = [trace.point.x, trace.point.y];
  $("math-point").textContent = `training point #${trace.point.index} at (${fmt(trace.point.x)}, ${fmt(trace.point.y)}), ` +
    `${trace.task === "regression" ? `target ${fmt(trace.point.label)}` : `class ${trace.point.label}`}`;
  showMathStep();
  drawOutput();
}

function showMathStep() {
  const { steps, index } = app.math;
  if (!steps.length) return;
  const step = steps[index];
  $("math-step-name").textContent = `${index + 1}/${steps.length}`;
  $("math-body").innerHTML = `<h4 data-testid="math-step">${step.name}</h4>${step.html}`;
  $("math-prev").disabled = index === 0;
  $("math-next").disabled = index === steps.length - 1;
  app.net.annotate(step.annotate);
}

function openMath() {
  send({ type: "pause" });
  app.math.on = true;
  app.math.steps = [];
  $("math-panel").hidden = false;
  $("math-step-name").textContent = "";
  $("math-body").textContent = "Pick a training point: click one on the output plot, or press \"Random point\".";
}

function closeMath() {
  app.math.on = false;
  $("math-panel").hidden = true;
  app.net.clearAnnotations();
  app.plot.highlight = null;
  drawOutput();
}

// ------------------------------------------------------------------ hover card

let editing = null;

function hoverParam(kind, layer, row, col, event) {
  const card = $("hovercard");
  if (editing) return;
  if (!kind) {
    card.hidden = true;
    return;
  }
  const value = app.net.weight(kind, layer, row, col);
  if (value === null) return;
  $("hovercard-name").textContent = kind === "bias" ? "Bias" : "Weight";
  $("hovercard-value").textContent = value.toPrecision(3);
  $("hovercard-input").hidden = true;
  $("hovercard-hint").hidden = false;
  card.style.left = `${event.pageX + 14}px`;
  card.style.top = `${event.pageY - 10}px`;
  card.hidden = false;
}

function editParam(kind, layer, row, col, event) {
  hoverParam(kind, layer, row, col, event);
  editing = { kind, layer, row, col };
  const input = $("hovercard-input");
  input.value = app.net.weight(kind, layer, row, col).toPrecision(3);
  input.hidden = false;
  $("hovercard-hint").hidden = true;
  input.focus();
  input.select();
}

function finishEdit(commit) {
  const input = $("hovercard-input");
  if (editing && commit) {
    const value = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(value)) {
      showMessage("A weight must be a number.");
      return;
    }
    const { kind, layer, row, col } = editing;
    send(kind === "bias" ? { type: "set_bias", layer, row, value } : { type: "set_weight", layer, row, col, value });
  }
  editing = null;
  $("hovercard").hidden = true;
}

// ---------------------------------------------------------------------- wiring

function wire() {
  app.chart = new LossChart($("loss-chart"));
  app.plot = new OutputPlot($("output-heatmap"), (x, y) => {
    if (app.math.on) send({ type: "math", x, y });
    else if (app.addLabel !== null) {
      const regression = app.state.task.kind === "regression";
      send({ type: "add_point", x, y, label: regression ? Number($("add-value").value) : app.addLabel });
    }
  });
  app.net = new NetworkView($("network"), $("network-svg"), {
    onToggleFeature: (name) => {
      const features = new Set(app.state.settings.features);
      if (features.has(name)) features.delete(name);
      else features.add(name);
      setSettings({ features: [...features] });
    },
    onNeurons: (l, delta) => {
      const shape = [...app.state.settings.networkShape];
      shape[l] += delta;
      setSettings({ networkShape: shape });
    },
    onLayerActivation: (l, name) => {
      const acts = [...app.state.network.activations];
      acts[l] = name;
      setSettings({ activation: acts });
    },
    onHoverNode: (id) => {
      app.hoverNode = id;
      drawOutput();
    },
    onHoverParam: hoverParam,
    onEditParam: editParam,
  });

  const table = () => Object.fromEntries(app.hello.table.map((row) => [row.name, row]));
  document.querySelectorAll("[data-setting]").forEach((node) => {
    const name = node.dataset.setting;
    const read = () => {
      if (node.type === "checkbox") return node.checked;
      const kind = table()[name].kind;
      return kind === "int" || kind === "float" ? Number(node.value) : node.value;
    };
    node.addEventListener("change", () => {
      const value = read();
      if (table()[name].effect === "view") {
        // Drawing options take effect at once; the server keeps them for the URL.
        app.state.settings[name] = value;
        drawOutput();
      }
      setSettings({ [name]: value });
    });
    if (node.type === "range") {
      const label = $(`${node.id}-value`);
      node.addEventListener("input", () => { if (label) label.textContent = node.value; });
    }
  });
  $("activation").addEventListener("change", (e) => setSettings({ activation: e.target.value }));
  $("play-pause").addEventListener("click", () => send({ type: app.state && app.state.playing ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => send({ type: "reset" }));
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
  $("add-layer").addEventListener("click", () => {
    setSettings({ networkShape: [...app.state.settings.networkShape, 2] });
  });
  $("remove-layer").addEventListener("click", () => {
    setSettings({ networkShape: app.state.settings.networkShape.slice(0, -1) });
  });
  $("upload-csv").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (!file) return;
    const limit = app.hello.limits.max_message_bytes - 1024;
    if (file.size > limit) {
      showMessage(`${file.name} is ${Math.round(file.size / 1024)} KB; this server takes CSV files up to ${Math.floor(limit / 1024)} KB.`);
      return;
    }
    send({ type: "upload", name: file.name, text: await file.text() });
  });
  $("add-value").addEventListener("input", (e) => {
    $("add-value-text").textContent = Number(e.target.value).toFixed(1);
  });
  $("math").addEventListener("click", openMath);
  $("math-close").addEventListener("click", closeMath);
  $("math-random").addEventListener("click", () => send({ type: "math" }));
  $("math-prev").addEventListener("click", () => { app.math.index = Math.max(0, app.math.index - 1); showMathStep(); });
  $("math-next").addEventListener("click", () => {
    app.math.index = Math.min(app.math.steps.length - 1, app.math.index + 1);
    showMathStep();
  });
  $("export-model").addEventListener("click", () => send({ type: "export", what: "model" }));
  $("export-script").addEventListener("click", () => send({ type: "export", what: "script" }));
  $("hovercard-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter") finishEdit(true);
    if (e.key === "Escape") finishEdit(false);
  });
  $("hovercard-input").addEventListener("blur", () => finishEdit(false));
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" || e.target.tagName === "SELECT") return;
    if (e.key === " ") { e.preventDefault(); $("play-pause").click(); }
  });
  window.addEventListener("resize", () => { if (app.state) app.net.build(app.state, app.hello); });
}

wire();
connect();
