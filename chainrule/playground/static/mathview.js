// "Show the math": one training point's forward pass and backward pass, step by step,
// on the network drawing. Every number comes from the server, where chainrule's
// autograd computed it; this file only lays the numbers out with the formulas:
//
//   forward    a = W h + b,  h = g(a)
//   backward   dL/da = dL/dh * g'(a),  dL/dW = dL/da h^T,  dL/db = dL/da,
//              dL/dh(previous layer) = W^T dL/da

const SUPER = { 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
const sup = (l) => `⁽${String(l).split("").map((d) => SUPER[d]).join("")}⁾`;
const ACT = { tanh: "tanh", sigmoid: "σ", relu: "ReLU", linear: "identity", softmax: "softmax" };
const DERIV = {
  tanh: (a, h) => `1 − tanh²(a) = 1 − ${fmt(h)}²`,
  sigmoid: (a, h) => `σ(a)(1 − σ(a)) = ${fmt(h)}·(1 − ${fmt(h)})`,
  relu: (a) => `[a > 0] = [${fmt(a)} > 0]`,
  linear: () => "1",
};

export function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(2);
  return v.toFixed(a >= 100 ? 1 : 3);
}
const paren = (v) => (v < 0 ? `(${fmt(v)})` : fmt(v));
const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function table(headers, rows) {
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td class="${i === 1 ? "eq" : ""}">${c}</td>`).join("")}</tr>`).join("");
  return `<table>${body}</table>`;
}

/** Node ids of layer l (0 = inputs, 1.. hidden, last = outputs). */
function layerIds(trace, l) {
  const L = trace.layers.length;
  if (l === 0) return trace.features;
  const n = trace.layers[l - 1].a.length;
  return Array.from({ length: n }, (_, j) => (l === L ? `o.${j}` : `h${l}.${j}`));
}

function linksInto(trace, l) {
  // Links of linear layer l - 1 (into layer l).
  const W = trace.layers[l - 1].W;
  const keys = [];
  W.forEach((row, j) => row.forEach((_, i) => keys.push(`${l - 1}:${j}:${i}`)));
  return keys;
}

/** The steps of the walk-through: [{name, html, annotate}]. */
export function mathSteps(trace) {
  const L = trace.layers.length;
  // Neurons are numbered from 1; the outputs of a multi-class network by their class, from 0.
  const ix = (l, j) => (l === L && trace.task === "multiclass" ? j : j + 1);
  const steps = [];
  const names = (l) => (l === L ? (L === 1 ? "output" : "output layer") : `hidden layer ${l}`);
  const inputVals = trace.features.map((f, i) => [f, fmt(trace.input[i])]);

  steps.push({
    name: "Input",
    html: `<div class="formula">h${sup(0)} = features of the point</div>` +
      table(["feature", "", "value"], trace.features.map((f, i) => [escape(trace.labels[f] || f), "=", fmt(trace.input[i])])),
    annotate: { activeNodes: trace.features, values: inputVals.map(([id, v]) => [id, v]) },
  });

  // Forward.
  for (let l = 1; l <= L; l++) {
    const layer = trace.layers[l - 1];
    const prev = l === 1 ? trace.input : trace.layers[l - 2].h;
    const ids = layerIds(trace, l);
    const g = ACT[layer.activation];
    const rows = layer.a.map((a, j) => {
      const terms = layer.W[j].map((w, i) => `${paren(w)}·${paren(prev[i])}`).join(" + ");
      return [`a${sup(l)}<sub>${ix(l, j)}</sub>`, "=", `${terms} + ${paren(layer.b[j])} = <b>${fmt(a)}</b>`];
    });
    let hRows;
    if (layer.activation === "softmax") {
      hRows = layer.h.map((h, j) => [`p<sub>${j}</sub>`, "=", `exp(a<sub>${j}</sub>) / Σ<sub>k</sub> exp(a<sub>k</sub>) = <b>${fmt(h)}</b>`]);
    } else {
      hRows = layer.h.map((h, j) => [`h${sup(l)}<sub>${ix(l, j)}</sub>`, "=", `${g}(${fmt(layer.a[j])}) = <b>${fmt(h)}</b>`]);
    }
    steps.push({
      name: `Forward: ${names(l)}`,
      html: `<div class="formula">a${sup(l)} = W${sup(l)} h${sup(l - 1)} + b${sup(l)}, &nbsp; ` +
        `${layer.activation === "softmax" ? "p = softmax(a)" : `h${sup(l)} = ${g}(a${sup(l)})`}</div>` +
        table(["", "", ""], [...rows, ...hRows]),
      annotate: {
        activeNodes: [...layerIds(trace, l - 1), ...ids],
        activeLinks: linksInto(trace, l),
        values: ids.map((id, j) => [id, `a=${fmt(layer.a[j])}\nh=${fmt(layer.h[j])}`]),
      },
    });
  }

  // Loss.
  const out = trace.layers[L - 1];
  const outIds = layerIds(trace, L);
  let lossHtml;
  if (trace.task === "multiclass") {
    const y = trace.target;
    lossHtml = `<div class="formula">L = −log p<sub>y</sub> = −log p<sub>${y}</sub> = −log ${fmt(out.h[y])} = <b>${fmt(trace.loss)}</b></div>` +
      `<div>The true class is ${y} (of 0–${out.h.length - 1}); cross-entropy asks for its probability.</div>`;
  } else {
    const t = trace.target;
    const what = trace.task === "binary" ? `t = ${fmt(t)} (class ${t > 0 ? 1 : 0} as ${t > 0 ? "+1" : "−1"})` : `t = ${fmt(t)}`;
    lossHtml = `<div class="formula">L = ½ (ŷ − t)² = ½ (${fmt(out.h[0])} − ${paren(t)})² = <b>${fmt(trace.loss)}</b></div>` +
      `<div>ŷ is the output, ${what}: half the squared error of this one point.</div>`;
  }
  steps.push({
    name: "Loss",
    html: lossHtml,
    annotate: { activeNodes: outIds, values: outIds.map((id, j) => [id, `ŷ=${fmt(out.h[j])}`]) },
  });

  // Backward.
  for (let l = L; l >= 1; l--) {
    const layer = trace.layers[l - 1];
    const prev = l === 1 ? trace.input : trace.layers[l - 2].h;
    const ids = layerIds(trace, l);
    const prevIds = layerIds(trace, l - 1);
    let parts = "";
    if (l === L && layer.activation === "softmax") {
      parts += `<div class="formula">dL/da${sup(l)} = p − e<sub>y</sub></div>` +
        table(["", "", ""], layer.da.map((d, j) => [`dL/da<sub>${j}</sub>`, "=",
          `${fmt(layer.h[j])} − ${j === trace.target ? 1 : 0} = <b>${fmt(d)}</b>`]));
    } else {
      const source = l === L
        ? `dL/dŷ = ŷ − t = ${fmt(layer.h[0])} − ${paren(trace.target)} = ${fmt(layer.dh[0])}`
        : `dL/dh${sup(l)} = W${sup(l + 1)}ᵀ dL/da${sup(l + 1)}`;
      parts += `<div class="formula">${source}, &nbsp; dL/da${sup(l)} = dL/dh${sup(l)} · g′(a${sup(l)})</div>` +
        table(["", "", ""], layer.da.map((d, j) => [`dL/da${sup(l)}<sub>${ix(l, j)}</sub>`, "=",
          `${paren(layer.dh[j])} × ${paren(layer.gprime[j])} = <b>${fmt(d)}</b>` +
          ` <span class="hint">g′ = ${(DERIV[layer.activation] || (() => "g′(a)"))(layer.a[j], layer.h[j])}</span>`]));
    }
    const wRows = [];
    layer.dW.forEach((row, j) => row.forEach((v, i) => {
      wRows.push([`dL/dw<sub>${ix(l, j)},${i + 1}</sub>`, "=", `${paren(layer.da[j])} × ${paren(prev[i])} = <b>${fmt(v)}</b>`]);
    }));
    parts += `<div class="formula">dL/dW${sup(l)} = dL/da${sup(l)} h${sup(l - 1)}ᵀ, &nbsp; dL/db${sup(l)} = dL/da${sup(l)}` +
      (l > 1 ? `, &nbsp; dL/dh${sup(l - 1)} = W${sup(l)}ᵀ dL/da${sup(l)}` : "") + "</div>" +
      table(["", "", ""], [
        ...wRows,
        ...layer.db.map((v, j) => [`dL/db<sub>${ix(l, j)}</sub>`, "=", `<b>${fmt(v)}</b>`]),
        ...(l > 1 ? layer.dprev.map((v, i) => [`dL/dh${sup(l - 1)}<sub>${i + 1}</sub>`, "=",
          layer.W.map((w, j) => `${paren(w[i])}·${paren(layer.da[j])}`).join(" + ") + ` = <b>${fmt(v)}</b>`]) : []),
      ]);
    const links = [];
    layer.dW.forEach((row, j) => row.forEach((v, i) => links.push([`${l - 1}:${j}:${i}`, v])));
    steps.push({
      name: `Backward: ${names(l)}`,
      html: parts,
      annotate: {
        activeNodes: [...ids, ...prevIds],
        links,
        values: [
          ...ids.map((id, j) => [id, `dL/da=${fmt(layer.da[j])}`, "grad"]),
          ...(l > 1 ? prevIds.map((id, i) => [id, `dL/dh=${fmt(layer.dprev[i])}`, "grad"]) : []),
        ],
      },
    });
  }

  // The update this one point would make.
  const first = trace.layers[0];
  steps.push({
    name: "Update",
    html: `<div class="formula">W ← W − η dL/dW, &nbsp; b ← b − η dL/db &nbsp; (η = ${fmt(trace.lr)})</div>` +
      `<div>Training averages these gradients over a batch of ${trace.batchSize} point${trace.batchSize === 1 ? "" : "s"}` +
      `${trace.regularization !== "none" ? ` and adds the ${trace.regularization} penalty's gradient` : ""}` +
      ` before the ${escape(trace.optimizer)} step. For this point alone, the first layer would become:</div>` +
      table(["", "", ""], first.W.flatMap((row, j) => row.map((w, i) => [`w<sub>${j + 1},${i + 1}</sub>`, "=",
        `${fmt(w)} − ${fmt(trace.lr)} × ${paren(first.dW[j][i])} = <b>${fmt(w - trace.lr * first.dW[j][i])}</b>`]))),
    annotate: { links: first.dW.flatMap((row, j) => row.map((v, i) => [`0:${j}:${i}`, v])) },
  });
  return steps;
}
