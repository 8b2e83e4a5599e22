// The network drawing: input features, hidden neurons and outputs as small heatmaps,
// links whose width and colour show each weight, biases as small squares. It only
// draws; what the user does goes back through the callbacks.

import { classColors, diverging } from "./colors.js";
import { paintNodeMap } from "./heatmap.js";

const SVG = "http://www.w3.org/2000/svg";
const NODE = 38; // node size, css px
const ROW = 52; // vertical distance between nodes
const TOP = 58; // room for the layer headings
const LABEL_WIDTH = 74;

function el(tag, attrs = {}, parent = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  if (parent) parent.appendChild(node);
  return node;
}

function svgEl(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

export function linkWidth(w) {
  return 1 + 9 * Math.min(Math.abs(w) / 5, 1);
}

export class NetworkView {
  constructor(container, svg, callbacks) {
    this.container = container;
    this.svg = svg;
    this.cb = callbacks;
    this.nodes = new Map(); // id -> {div, canvas, x, y}
    this.links = new Map(); // "layer:row:col" -> path
    this.biases = new Map(); // "layer:row" -> rect
    this.values = [];
  }

  /** Build the drawing for a state message (network shape, features, task). */
  build(state, hello) {
    const net = state.network;
    this.state = state;
    this.container.querySelectorAll(".node, .layer-head, .layer-title, .node-label, .node-value")
      .forEach((n) => n.remove());
    this.svg.replaceChildren();
    this.nodes.clear();
    this.links.clear();
    this.biases.clear();

    const width = this.container.clientWidth || 640;
    const hidden = net.shape;
    const outputs = state.task.outputs;
    const allFeatures = Object.keys(hello.features);
    const rows = Math.max(allFeatures.length, outputs, ...hidden, 1);
    const height = TOP + rows * ROW + 10;
    this.container.style.height = `${height}px`;
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);

    const xIn = LABEL_WIDTH + NODE / 2 + 8;
    const xOut = width - NODE / 2 - 14;
    const columnX = (l) => xIn + ((xOut - xIn) * l) / (hidden.length + 1);
    const rowY = (i) => TOP + i * ROW + NODE / 2;

    // Headings.
    el("div", { class: "layer-title", text: "Features", style: `left:${xIn}px;top:${TOP - 22}px` }, this.container);
    el("div", { class: "layer-title", text: outputs > 1 ? "Outputs" : "Output", style: `left:${xOut}px;top:${TOP - 22}px` }, this.container);
    hidden.forEach((n, l) => this.layerHead(l, n, columnX(l + 1), state, hello));

    // Input features: every feature is drawn; the inactive ones are pale.
    const active = new Set(net.features);
    allFeatures.forEach((name, i) => {
      const node = this.addNode(name, xIn, rowY(i), `input ${active.has(name) ? "active" : "inactive"}`);
      node.div.title = active.has(name) ? `${hello.features[name]}: click to remove this input`
        : `${hello.features[name]}: click to use this input`;
      node.div.addEventListener("click", () => this.cb.onToggleFeature(name));
      const label = el("div", { class: "node-label", text: hello.features[name] }, this.container);
      label.style.left = `${xIn - NODE / 2 - LABEL_WIDTH - 6}px`;
      label.style.top = `${rowY(i) - 7}px`;
    });
    const inputIds = net.features;
    const inputY = Object.fromEntries(allFeatures.map((name, i) => [name, rowY(i)]));

    // Hidden layers and outputs; links from the previous layer.
    let previous = inputIds.map((id) => ({ id, x: xIn, y: inputY[id] }));
    const layers = [...hidden, outputs];
    layers.forEach((n, l) => {
      const isOutput = l === hidden.length;
      const x = isOutput ? xOut : columnX(l + 1);
      const current = [];
      for (let j = 0; j < n; j++) {
        const id = isOutput ? `o.${j}` : `h${l + 1}.${j}`;
        const y = rowY(j);
        const node = this.addNode(id, x, y, isOutput ? "output" : "hidden");
        node.layer = l;
        node.row = j;
        current.push({ id, x, y });
        previous.forEach((src, i) => this.addLink(l, j, i, src, { x, y }, previous.length));
        this.addBias(l, j, x, y);
      }
      previous = current;
    });
    if (this.frame) this.update(this.frame);
  }

  layerHead(l, n, x, state, hello) {
    const head = el("div", { class: "layer-head", style: `left:${x}px;top:0px` }, this.container);
    const buttons = el("div", { class: "buttons" }, head);
    const plus = el("button", { class: "round-button", text: "+", title: "Add a neuron" }, buttons);
    const minus = el("button", { class: "round-button", text: "−", title: "Remove a neuron" }, buttons);
    plus.dataset.testid = `add-neuron-${l + 1}`;
    minus.dataset.testid = `remove-neuron-${l + 1}`;
    plus.disabled = n >= hello.limits.max_neurons;
    minus.disabled = n <= 1;
    plus.addEventListener("click", () => this.cb.onNeurons(l, +1));
    minus.addEventListener("click", () => this.cb.onNeurons(l, -1));
    el("div", { text: `${n} neuron${n === 1 ? "" : "s"}` }, head);
    const select = el("select", { title: "Activation of this layer" }, head);
    select.dataset.testid = `layer-activation-${l + 1}`;
    for (const [key, label] of Object.entries(hello.activations)) {
      el("option", { value: key, text: label }, select);
    }
    select.value = state.network.activations[l];
    select.addEventListener("change", () => this.cb.onLayerActivation(l, select.value));
  }

  addNode(id, x, y, cls) {
    const div = el("div", { class: `node ${cls}` }, this.container);
    div.style.left = `${x - NODE / 2}px`;
    div.style.top = `${y - NODE / 2}px`;
    div.style.width = div.style.height = `${NODE}px`;
    div.dataset.node = id;
    const canvas = el("canvas", { width: 1, height: 1 }, div);
    div.addEventListener("mouseenter", () => this.cb.onHoverNode(id));
    div.addEventListener("mouseleave", () => this.cb.onHoverNode(null));
    const node = { id, div, canvas, x, y };
    this.nodes.set(id, node);
    return node;
  }

  addLink(layer, row, col, src, dst, fanIn) {
    const x0 = src.x + NODE / 2 + 1, y0 = src.y;
    const x1 = dst.x - NODE / 2 - 1, y1 = dst.y + ((col - (fanIn - 1) / 2) / Math.max(fanIn, 1)) * 10;
    const mid = (x0 + x1) / 2;
    const d = `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`;
    const path = svgEl("path", { d, class: "link", stroke: "#ccc", "stroke-width": 1 }, this.svg);
    const hit = svgEl("path", { d, class: "link-hit" }, this.svg);
    const key = `${layer}:${row}:${col}`;
    path.dataset.link = key;
    hit.dataset.link = key;
    hit.addEventListener("mouseenter", (e) => this.cb.onHoverParam("weight", layer, row, col, e));
    hit.addEventListener("mouseleave", () => this.cb.onHoverParam(null));
    hit.addEventListener("click", (e) => this.cb.onEditParam("weight", layer, row, col, e));
    this.links.set(key, path);
  }

  addBias(layer, row, x, y) {
    const size = 7;
    const rect = svgEl("rect", {
      x: x - NODE / 2 - size - 3, y: y + NODE / 2 - size, width: size, height: size, class: "bias",
    }, this.svg);
    rect.addEventListener("mouseenter", (e) => this.cb.onHoverParam("bias", layer, row, 0, e));
    rect.addEventListener("mouseleave", () => this.cb.onHoverParam(null));
    rect.addEventListener("click", (e) => this.cb.onEditParam("bias", layer, row, 0, e));
    this.biases.set(`${layer}:${row}`, rect);
  }

  /** Draw one training update: the weights, the biases and every node's heatmap. */
  update(frame) {
    this.frame = frame;
    if (!this.mathLinks) {
      frame.weights.forEach((W, l) => W.forEach((row, j) => row.forEach((w, i) => {
        const path = this.links.get(`${l}:${j}:${i}`);
        if (path) {
          path.setAttribute("stroke", diverging(w));
          path.setAttribute("stroke-width", linkWidth(w).toFixed(2));
        }
      })));
    }
    frame.biases.forEach((b, l) => b.forEach((v, j) => {
      const rect = this.biases.get(`${l}:${j}`);
      if (rect) rect.setAttribute("fill", diverging(v));
    }));
    const colors = classColors(this.state.task);
    for (const [id, map] of frame.maps) {
      const node = this.nodes.get(id);
      if (!node) continue;
      const color = map.encoding === "prob" ? colors[node.row] : null;
      paintNodeMap(node.canvas, map.bytes, frame.grid, map.encoding, color);
    }
  }

  weight(kind, layer, row, col) {
    if (!this.frame) return null;
    return kind === "bias" ? this.frame.biases[layer][row] : this.frame.weights[layer][row][col];
  }

  // ----------------------------------------------------------- show-the-math

  /** Mark the nodes and links a step of the math is about, and write numbers beside nodes. */
  annotate(spec) {
    this.clearAnnotations();
    this.container.classList.add("math");
    for (const id of spec.activeNodes || []) this.nodes.get(id)?.div.classList.add("active");
    for (const [id, text, cls] of spec.values || []) {
      const node = this.nodes.get(id);
      if (!node) continue;
      const tag = el("div", { class: `node-value ${cls || ""}`, text }, this.container);
      tag.style.left = `${node.x + NODE / 2 + 3}px`;
      tag.style.top = `${node.y - NODE / 2 - 2}px`;
      this.values.push(tag);
    }
    if (spec.links) {
      this.mathLinks = true;
      const scale = Math.max(1e-12, ...spec.links.map(([, v]) => Math.abs(v)));
      for (const [key, v] of spec.links) {
        const path = this.links.get(key);
        if (!path) continue;
        path.classList.add("active");
        path.setAttribute("stroke", diverging(v / scale));
        path.setAttribute("stroke-width", (1 + 6 * Math.abs(v) / scale).toFixed(2));
      }
    }
    for (const key of spec.activeLinks || []) this.links.get(key)?.classList.add("active");
  }

  clearAnnotations() {
    this.values.forEach((v) => v.remove());
    this.values = [];
    this.container.classList.remove("math");
    this.nodes.forEach((n) => n.div.classList.remove("active"));
    this.links.forEach((p) => p.classList.remove("active"));
    if (this.mathLinks) {
      this.mathLinks = false;
      if (this.frame) this.update(this.frame);
    }
  }
}
