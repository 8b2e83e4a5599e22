// Colour scales. A value v in [-1, 1] goes orange (negative) -> light grey -> blue
// (positive), the diverging palette of the original playground, readable with the
// common colour-vision deficiencies. Classes of multi-class data use the Okabe-Ito
// colours, chosen to be told apart by everyone.

const NEG = [245, 147, 34];
const ZERO = [232, 234, 235];
const POS = [8, 119, 189];

// Class colours: two classes keep the orange/blue pair (class 0 orange, class 1 blue).
export const BINARY_CLASS_COLORS = [NEG, POS];
export const CLASS_COLORS = [
  [0, 114, 178],   // blue
  [230, 159, 0],   // orange
  [0, 158, 115],   // bluish green
  [204, 121, 167], // reddish purple
  [86, 180, 233],  // sky blue
];

export function classColors(task) {
  return task.kind === "multiclass" ? CLASS_COLORS : BINARY_CLASS_COLORS;
}

function mix(a, b, t) {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** RGB of a value in [-1, 1] (clamped). */
export function divergingRGB(v) {
  if (!(v > -1)) v = v <= -1 ? -1 : 0; // NaN -> 0
  if (v > 1) v = 1;
  return v < 0 ? mix(ZERO, NEG, -v) : mix(ZERO, POS, v);
}

export function rgbString(rgb, alpha = 1) {
  const [r, g, b] = rgb.map((c) => Math.round(c));
  return alpha === 1 ? `rgb(${r},${g},${b})` : `rgba(${r},${g},${b},${alpha})`;
}

export function diverging(v) {
  return rgbString(divergingRGB(v));
}

/** 256-entry lookup tables: byte b encodes v = b / 127.5 - 1. */
function makeLUT(discrete) {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let b = 0; b < 256; b++) {
    let v = b / 127.5 - 1;
    if (discrete) v = v >= 0 ? 1 : -1;
    const c = divergingRGB(v);
    lut.set([c[0], c[1], c[2]], b * 3);
  }
  return lut;
}
export const LUT = makeLUT(false);
export const LUT_DISCRETE = makeLUT(true);

export { mix, ZERO };
