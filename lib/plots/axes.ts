/** Scales, ticks, number formatting and SVG escaping shared by the charts (pure functions). */

/** Series colours (colour-blind-safe Okabe-Ito order). */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'] as const;

/** Generic font stack: the SVG must not depend on fonts that may be missing where it is rasterised. */
export const FONT_FAMILY = 'sans-serif';

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Short human label for a tick value: 0.001, 25, 1.5e-5, 2e6. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e6) return String(Number(v.toPrecision(6)));
  return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
}

/** A scale maps data values to pixels on one axis. */
export interface Scale {
  /** Data domain [lo, hi] (lo < hi; both > 0 on log scales). */
  domain: [number, number];
  /** Pixel range [start, end]. */
  range: [number, number];
  /** Whether the axis is logarithmic (base 10). */
  log: boolean;
  /** Maps a data value to a pixel. */
  map(v: number): number;
  /** Tick values inside the domain. */
  ticks: number[];
}

/** Finite (and, for log axes, positive) values only. */
export function usable(v: number, log: boolean): boolean {
  return Number.isFinite(v) && (!log || v > 0);
}

/** Domain covering `values`, widened when empty or of zero width. */
export function domainOf(values: readonly number[], log: boolean): [number, number] {
  const vs = values.filter((v) => usable(v, log));
  if (vs.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (lo === hi) {
    if (log) return [lo / 10, hi * 10];
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

/** ~`count` "nice" linear ticks (steps of 1, 2 or 5 x 10^k) within [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 6): number[] {
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => raw <= s * (1 + 1e-9)) ?? 10 * mag;
  const ticks: number[] = [];
  // Integer multiples of step (no accumulated float error); tolerances absorb rounding at the ends.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** Log ticks: powers of ten in [lo, hi]; adds 2x and 5x when the domain spans under two decades. */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  const few = Math.log10(hi / lo) < 2;
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const f of few ? [1, 2, 5] : [1]) {
      const t = Number((f * 10 ** e).toPrecision(12));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks.length > 0 ? ticks : [lo, hi];
}

/** Builds a linear or log scale from a domain to a pixel range. */
export function makeScale(domain: [number, number], range: [number, number], log: boolean): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(d0);
  const b = f(d1);
  return {
    domain,
    range,
    log,
    map: (v: number) => r0 + ((f(v) - a) / (b - a)) * (r1 - r0),
    ticks: log ? logTicks(d0, d1) : linearTicks(d0, d1),
  };
}

/** Rounds a pixel coordinate for compact SVG. */
export function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** Plot frame: margins and the inner plotting rectangle. */
export interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Draws both axes with ticks, grid lines, labels and the title. */
export function axesSvg(frame: Frame, x: Scale, y: Scale, title: string, xLabel: string, yLabel: string): string {
  const parts: string[] = [];
  const { left, right, top, bottom } = frame;
  for (const t of x.ticks) {
    const X = px(x.map(t));
    parts.push(`<line x1="${X}" y1="${px(top)}" x2="${X}" y2="${px(bottom)}" stroke="#e5e5e5" stroke-width="1"/>`);
    parts.push(`<line x1="${X}" y1="${px(bottom)}" x2="${X}" y2="${px(bottom + 5)}" stroke="#333" stroke-width="1"/>`);
    parts.push(`<text x="${X}" y="${px(bottom + 18)}" text-anchor="middle" font-size="11">${escapeXml(formatTick(t))}</text>`);
  }
  for (const t of y.ticks) {
    const Y = px(y.map(t));
    parts.push(`<line x1="${px(left)}" y1="${Y}" x2="${px(right)}" y2="${Y}" stroke="#e5e5e5" stroke-width="1"/>`);
    parts.push(`<line x1="${px(left - 5)}" y1="${Y}" x2="${px(left)}" y2="${Y}" stroke="#333" stroke-width="1"/>`);
    parts.push(`<text x="${px(left - 8)}" y="${Y}" dy="0.35em" text-anchor="end" font-size="11">${escapeXml(formatTick(t))}</text>`);
  }
  parts.push(`<rect x="${px(left)}" y="${px(top)}" width="${px(right - left)}" height="${px(bottom - top)}" fill="none" stroke="#333" stroke-width="1"/>`);
  parts.push(`<text x="${px(frame.width / 2)}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(`<text x="${px((left + right) / 2)}" y="${px(frame.height - 8)}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`);
  parts.push(`<text x="14" y="${px((top + bottom) / 2)}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${px((top + bottom) / 2)})">${escapeXml(yLabel)}</text>`);
  return parts.join('\n');
}

/** Legend box in the top-right corner of the plot. */
export function legendSvg(frame: Frame, names: readonly string[], swatch: (x: number, y: number, i: number) => string): string {
  if (names.length === 0) return '';
  const width = Math.min(260, 30 + 7 * Math.max(...names.map((n) => n.length)));
  const x0 = frame.right - width - 8;
  const y0 = frame.top + 8;
  const rows = names.map(
    (name, i) =>
      `${swatch(x0 + 8, y0 + 14 + i * 18, i)}<text x="${px(x0 + 30)}" y="${px(y0 + 14 + i * 18)}" dy="0.35em" font-size="11">${escapeXml(name)}</text>`,
  );
  return `<rect x="${px(x0)}" y="${px(y0)}" width="${px(width)}" height="${px(10 + names.length * 18)}" fill="#ffffff" fill-opacity="0.85" stroke="#999" stroke-width="1"/>\n${rows.join('\n')}`;
}

/** Wraps content in a standalone SVG document. */
export function svgDocument(width: number, height: number, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT_FAMILY}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}
