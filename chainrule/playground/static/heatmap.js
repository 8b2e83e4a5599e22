// Heatmaps: a node's output over the plane [-6, 6]^2, sent by the server as a G x G
// grid of bytes (row 0 at x2 = +6, column 0 at x1 = -6). A "signed" map encodes
// v in [-1, 1] as round((v + 1) * 127.5); a "prob" map encodes p in [0, 1] as
// round(p * 255).

import { LUT, LUT_DISCRETE, ZERO, classColors, divergingRGB, mix, rgbString } from "./colors.js";

export const DOMAIN = 6;
const LIGHTEN = 0.3;

/** Paint one node's map into a small canvas (one pixel per grid cell). */
export function paintNodeMap(canvas, bytes, grid, encoding, color) {
  if (canvas.width !== grid) {
    canvas.width = grid;
    canvas.height = grid;
  }
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(grid, grid);
  const px = image.data;
  const n = grid * grid;
  if (encoding === "prob") {
    for (let k = 0; k < n; k++) {
      const c = mix(ZERO, color, bytes[k] / 255);
      px[4 * k] = c[0]; px[4 * k + 1] = c[1]; px[4 * k + 2] = c[2]; px[4 * k + 3] = 255;
    }
  } else {
    for (let k = 0; k < n; k++) {
      const b = bytes[k] * 3;
      px[4 * k] = LUT[b]; px[4 * k + 1] = LUT[b + 1]; px[4 * k + 2] = LUT[b + 2]; px[4 * k + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

/** Bilinear resampling of a G x G byte grid to U x U floats in [0, 1]. */
function upsample(bytes, grid, size, out) {
  const scale = grid / size;
  for (let i = 0; i < size; i++) {
    let y = (i + 0.5) * scale - 0.5;
    y = Math.min(Math.max(y, 0), grid - 1);
    const y0 = Math.floor(y), y1 = Math.min(y0 + 1, grid - 1), fy = y - y0;
    for (let j = 0; j < size; j++) {
      let x = (j + 0.5) * scale - 0.5;
      x = Math.min(Math.max(x, 0), grid - 1);
      const x0 = Math.floor(x), x1 = Math.min(x0 + 1, grid - 1), fx = x - x0;
      const top = bytes[y0 * grid + x0] * (1 - fx) + bytes[y0 * grid + x1] * fx;
      const bottom = bytes[y1 * grid + x0] * (1 - fx) + bytes[y1 * grid + x1] * fx;
      out[i * size + j] = (top * (1 - fy) + bottom * fy) / 255;
    }
  }
  return out;
}

/** The big output plot: a heatmap, the data points, axes; clicks give plane coordinates. */
export class OutputPlot {
  constructor(canvas, onClick) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.cssSize = canvas.getBoundingClientRect().width || 330;
    this.ratio = canvas.width / this.cssSize;
    this.left = 26; // css px reserved for the axis labels
    this.top = 4;
    this.size = this.cssSize - this.left - 4;
    this.res = 120; // resampled resolution of the background
    this.buffer = document.createElement("canvas");
    this.buffer.width = this.buffer.height = this.res;
    this.samples = [];
    this.train = [];
    this.test = [];
    this.highlight = null;
    canvas.addEventListener("click", (event) => {
      const rect = canvas.getBoundingClientRect();
      const p = this.toPlane(event.clientX - rect.left, event.clientY - rect.top);
      if (p) onClick(p[0], p[1]);
    });
  }

  toPlane(cx, cy) {
    const u = (cx - this.left) / this.size, v = (cy - this.top) / this.size;
    if (u < 0 || u > 1 || v < 0 || v > 1) return null;
    return [-DOMAIN + 2 * DOMAIN * u, DOMAIN - 2 * DOMAIN * v];
  }

  toCanvas(x, y) {
    return [this.left + ((x + DOMAIN) / (2 * DOMAIN)) * this.size,
            this.top + ((DOMAIN - y) / (2 * DOMAIN)) * this.size];
  }

  setData(train, test) {
    this.train = train;
    this.test = test;
  }

  /** maps: list of {bytes, encoding, color}; one signed map, or K prob maps (classes). */
  setBackground(maps, grid, discretize, task) {
    const res = this.res;
    while (this.samples.length < maps.length) this.samples.push(new Float32Array(res * res));
    maps.forEach((m, k) => upsample(m.bytes, grid, res, this.samples[k]));
    const bctx = this.buffer.getContext("2d");
    const image = bctx.createImageData(res, res);
    const px = image.data;
    if (maps.length === 1 && maps[0].encoding === "signed") {
      const lut = discretize ? LUT_DISCRETE : LUT;
      const s = this.samples[0];
      for (let k = 0; k < res * res; k++) {
        const b = Math.round(s[k] * 255) * 3;
        px[4 * k] = lut[b]; px[4 * k + 1] = lut[b + 1]; px[4 * k + 2] = lut[b + 2];
        px[4 * k + 3] = 255;
      }
    } else if (maps.length === 1) {
      const s = this.samples[0], color = maps[0].color;
      for (let k = 0; k < res * res; k++) {
        const t = discretize ? (s[k] >= 0.5 ? 0.8 : 0) : s[k];
        const c = mix(ZERO, color, t);
        px[4 * k] = c[0]; px[4 * k + 1] = c[1]; px[4 * k + 2] = c[2]; px[4 * k + 3] = 255;
      }
    } else {
      // Classes: the colour of the most likely class, stronger where it is more certain.
      const colors = classColors(task), K = maps.length;
      for (let k = 0; k < res * res; k++) {
        let best = 0, p = -1, total = 0;
        for (let c = 0; c < K; c++) {
          const q = this.samples[c][k];
          total += q;
          if (q > p) { p = q; best = c; }
        }
        const confidence = Math.max(0, (p / (total || 1) - 1 / K) / (1 - 1 / K));
        const t = discretize ? 0.72 : 0.12 + 0.7 * confidence;
        const c = mix(ZERO, colors[best], t);
        px[4 * k] = c[0]; px[4 * k + 1] = c[1]; px[4 * k + 2] = c[2]; px[4 * k + 3] = 255;
      }
    }
    // A little lighter than the nodes' maps, so that the data points stand out.
    for (let k = 0; k < px.length; k += 4) {
      px[k] += (255 - px[k]) * LIGHTEN;
      px[k + 1] += (255 - px[k + 1]) * LIGHTEN;
      px[k + 2] += (255 - px[k + 2]) * LIGHTEN;
    }
    bctx.putImageData(image, 0, 0);
  }

  /** Redraw everything: background, points (test points if asked), axes. */
  draw(task, showTest) {
    const ctx = this.ctx, r = this.ratio;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.setTransform(r, 0, 0, r, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.buffer, this.left, this.top, this.size, this.size);
    const colors = classColors(task);
    const pointColor = (label) =>
      task.kind === "regression" ? rgbString(divergingRGB(label)) : rgbString(colors[label] || [0, 0, 0]);
    const drawPoints = (points, stroke) => {
      ctx.lineWidth = 0.9;
      ctx.strokeStyle = stroke;
      for (const [x, y, label] of points) {
        const [cx, cy] = this.toCanvas(x, y);
        ctx.beginPath();
        ctx.arc(cx, cy, 3.1, 0, 2 * Math.PI);
        ctx.fillStyle = pointColor(label);
        ctx.fill();
        ctx.stroke();
      }
    };
    drawPoints(this.train, "#ffffff");
    if (showTest) drawPoints(this.test, "#1f2933");
    if (this.highlight) {
      const [cx, cy] = this.toCanvas(this.highlight[0], this.highlight[1]);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "#1f2933";
      ctx.beginPath();
      ctx.arc(cx, cy, 7, 0, 2 * Math.PI);
      ctx.stroke();
    }
    this.drawAxes();
  }

  drawAxes() {
    const ctx = this.ctx;
    ctx.strokeStyle = "#9aa5b1";
    ctx.lineWidth = 1;
    ctx.strokeRect(this.left, this.top, this.size, this.size);
    ctx.fillStyle = "#66727f";
    ctx.font = "10px Helvetica, Arial, sans-serif";
    for (let t = -DOMAIN; t <= DOMAIN; t += 2) {
      const [cx] = this.toCanvas(t, 0);
      const [, cy] = this.toCanvas(0, t);
      ctx.textAlign = "center";
      ctx.fillText(String(t), cx, this.top + this.size + 12);
      ctx.textAlign = "right";
      ctx.fillText(String(t), this.left - 4, cy + 3);
    }
  }
}

/** A data set's picture for its button: its points at noise 0. */
export function paintThumbnail(canvas, points, task) {
  const size = 52;
  canvas.width = canvas.height = size * 2;
  const ctx = canvas.getContext("2d");
  ctx.scale(2, 2);
  ctx.fillStyle = "#f6f7f9";
  ctx.fillRect(0, 0, size, size);
  const colors = classColors(task);
  for (const [x, y, label] of points) {
    const rgb = task.kind === "regression" ? divergingRGB(label) : colors[label] || [0, 0, 0];
    ctx.fillStyle = rgbString(rgb);
    ctx.fillRect(((x + DOMAIN) / (2 * DOMAIN)) * size - 1, ((DOMAIN - y) / (2 * DOMAIN)) * size - 1, 2.4, 2.4);
  }
}
