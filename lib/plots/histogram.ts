/**
 * Overlaid histograms (e.g. genuine vs impostor distances) with labelled vertical threshold
 * markers, as a standalone SVG string. Each series is normalised to its share of values per bin,
 * so a few hundred genuine pairs stay visible next to many thousand impostor pairs.
 */
import { InputError } from '@/lib/errors';
import { PALETTE, axesSvg, domainOf, escapeXml, legendSvg, makeScale, px, svgDocument, type Frame } from './axes';

/** Input of `histogramSvg`. */
export interface HistogramOptions {
  /** Title above the plot. */
  title: string;
  /** X axis label. */
  xLabel: string;
  /** Series of raw values; non-finite values are ignored. */
  series: { name: string; values: ArrayLike<number> }[];
  /** Number of equal-width bins over the joint range (default 40). */
  bins?: number;
  /** Vertical lines at x with a label (e.g. thresholds). */
  markers?: { x: number; label: string }[];
  /** Width in px (default 640). */
  width?: number;
  /** Height in px (default 400). */
  height?: number;
}

/** Share of `values` in each of `bins` equal-width bins over [lo, hi] (last bin closed). */
export function binShares(values: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
    counts[b]++;
    n++;
  }
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/** Draws overlaid histograms with threshold markers; returns a self-contained SVG document. */
export function histogramSvg(opts: HistogramOptions): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  const bins = opts.bins ?? 40;
  if (!Number.isInteger(bins) || bins < 1) throw new InputError('invalid_plot', `bins must be a positive integer, got ${bins}`);
  if (!(width >= 120 && height >= 100)) throw new InputError('invalid_plot', `plot must be at least 120x100 px, got ${width}x${height}`);
  const markers = (opts.markers ?? []).filter((m) => Number.isFinite(m.x));
  const all: number[] = [];
  for (const s of opts.series) for (let i = 0; i < s.values.length; i++) all.push(s.values[i]);
  const [lo, hi] = domainOf([...all, ...markers.map((m) => m.x)], false);
  const shares = opts.series.map((s) => binShares(s.values, lo, hi, bins));
  const frame: Frame = { width, height, left: 64, right: width - 16, top: 34 + 14 * Math.min(markers.length, 4), bottom: height - 44 };
  const x = makeScale([lo, hi], [frame.left, frame.right], false);
  const y = makeScale([0, Math.max(1e-9, ...shares.flat()) * 1.05], [frame.bottom, frame.top], false);
  const binWidth = (hi - lo) / bins;
  const bars = shares.map((sh, i) => {
    const colour = PALETTE[i % PALETTE.length];
    return sh
      .map((share, b) => {
        if (share === 0) return '';
        const x0 = x.map(lo + b * binWidth);
        const x1 = x.map(lo + (b + 1) * binWidth);
        const top = y.map(share);
        return `<rect x="${px(x0)}" y="${px(top)}" width="${px(Math.max(0.5, x1 - x0))}" height="${px(frame.bottom - top)}" fill="${colour}" fill-opacity="0.45" stroke="${colour}" stroke-width="0.5"/>`;
      })
      .filter(Boolean)
      .join('\n');
  });
  // Marker labels stack above the plot, one row each (up to 4 rows, then they repeat rows).
  const marks = markers.map((m, i) => {
    const X = px(x.map(m.x));
    const rowY = frame.top - 6 - 14 * (i % 4);
    return [
      `<line x1="${X}" y1="${px(frame.top)}" x2="${X}" y2="${px(frame.bottom)}" stroke="#222" stroke-width="1.5" stroke-dasharray="5 3"/>`,
      `<text x="${X}" y="${px(rowY)}" text-anchor="middle" font-size="11">${escapeXml(m.label)}</text>`,
    ].join('\n');
  });
  const legend = legendSvg(frame, opts.series.map((s) => s.name), (lx, ly, i) =>
    `<rect x="${px(lx)}" y="${px(ly - 5)}" width="16" height="10" fill="${PALETTE[i % PALETTE.length]}" fill-opacity="0.45" stroke="${PALETTE[i % PALETTE.length]}"/>`,
  );
  const body = [axesSvg(frame, x, y, opts.title, opts.xLabel, 'share of values per bin'), ...bars, ...marks, legend];
  return svgDocument(width, height, body.join('\n'));
}
