// The live loss chart: training loss (grey) and test loss (black) against epochs.

const MAX_POINTS = 1500;

export class LossChart {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    const css = canvas.getBoundingClientRect();
    this.width = css.width || canvas.width;
    this.height = css.height || canvas.height;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(this.width * ratio);
    canvas.height = Math.round(this.height * ratio);
    this.ctx.scale(ratio, ratio);
    this.points = [];
  }

  reset() {
    this.points = [];
    this.draw();
  }

  /** Add (epoch, train, test); a smaller epoch than the last one starts a new run. */
  add(epoch, train, test) {
    const last = this.points[this.points.length - 1];
    if (last && epoch < last[0]) this.points = [];
    if (last && epoch === last[0]) this.points[this.points.length - 1] = [epoch, train, test];
    else this.points.push([epoch, train, test]);
    if (this.points.length > MAX_POINTS) {
      // Keep every other point: the curve keeps its shape, the memory stays bounded.
      this.points = this.points.filter((_, i) => i % 2 === 0 || i === this.points.length - 1);
    }
    this.draw();
  }

  draw() {
    const { ctx, width, height, points } = this;
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = "#e1e5ea";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, height - 0.5);
    ctx.lineTo(width, height - 0.5);
    ctx.stroke();
    if (points.length < 2) return;
    const x0 = points[0][0], x1 = points[points.length - 1][0];
    let top = 0;
    for (const p of points) top = Math.max(top, isFinite(p[1]) ? p[1] : 0, isFinite(p[2]) ? p[2] : 0);
    top = top || 1;
    const X = (e) => ((e - x0) / Math.max(x1 - x0, 1e-9)) * (width - 2) + 1;
    const Y = (v) => height - 2 - (Math.min(v, top) / top) * (height - 6);
    const line = (index, color) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      points.forEach((p, i) => (i ? ctx.lineTo(X(p[0]), Y(p[index])) : ctx.moveTo(X(p[0]), Y(p[index]))));
      ctx.stroke();
    };
    line(1, "#9aa5b1");
    line(2, "#1f2933");
    ctx.fillStyle = "#66727f";
    ctx.font = "10px Helvetica, Arial, sans-serif";
    ctx.fillText(top.toPrecision(2), 2, 10);
  }
}
