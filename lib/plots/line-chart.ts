/** Line chart as a standalone SVG string (multiple series, optional log axes, legend, ticks). */
import { InputError } from '@/lib/errors';
import { PALETTE, axesSvg, domainOf, escapeXml, legendSvg, makeScale, px, svgDocument, usable, type Frame } from './axes';

/** Input of `lineChartSvg`. */
export interface LineChartOptions {
  /** Title above the plot. */
  title: string;
  /** X axis label. */
  xLabel: string;
  /** Y axis label. */
  yLabel: string;
  /** Series drawn as polylines with point markers; non-finite (or, on log axes, non-positive) points are skipped. */
  series: { name: string; points: [number, number][] }[];
  /** Logarithmic x axis (base 10). */
  logX?: boolean;
  /** Logarithmic y axis (base 10). */
  logY?: boolean;
  /** Width in px (default 640). */
  width?: number;
  /** Height in px (default 400). */
  height?: number;
  /** Fixed x domain (default: the data's extent); points outside it are skipped. */
  xDomain?: [number, number];
  /** Fixed y domain (default: the data's extent); points outside it are skipped. */
  yDomain?: [number, number];
  /** Text drawn in the frame when no point can be drawn (default: none). */
  emptyText?: string;
}

/** Draws a line chart; returns a self-contained SVG document. */
export function lineChartSvg(opts: LineChartOptions): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  if (!(width >= 120 && height >= 100)) throw new InputError('invalid_plot', `plot must be at least 120x100 px, got ${width}x${height}`);
  const logX = opts.logX ?? false;
  const logY = opts.logY ?? false;
  for (const [axis, d, log] of [['x', opts.xDomain, logX], ['y', opts.yDomain, logY]] as const) {
    if (d && !(usable(d[0], log) && usable(d[1], log) && d[0] < d[1])) throw new InputError('invalid_plot', `${axis}Domain must be increasing${log ? ' and positive (log axis)' : ''}, got [${d.join(', ')}]`);
  }
  const within = (v: number, d: [number, number] | undefined) => !d || (v >= d[0] && v <= d[1]);
  const series = opts.series.map((s) => ({
    name: s.name,
    points: s.points.filter(([x, y]) => usable(x, logX) && usable(y, logY) && within(x, opts.xDomain) && within(y, opts.yDomain)),
  }));
  const frame: Frame = { width, height, left: 64, right: width - 16, top: 34, bottom: height - 44 };
  const x = makeScale(opts.xDomain ?? domainOf(series.flatMap((s) => s.points.map((p) => p[0])), logX), [frame.left, frame.right], logX);
  const y = makeScale(opts.yDomain ?? domainOf(series.flatMap((s) => s.points.map((p) => p[1])), logY), [frame.bottom, frame.top], logY);
  const lines = series.flatMap((s, i) => {
    if (s.points.length === 0) return [];
    const colour = PALETTE[i % PALETTE.length];
    const xy = s.points.map(([a, b]) => [px(x.map(a)), px(y.map(b))] as const);
    // Markers only on short series: on long curves (ROC) they would hide the line.
    const marks = xy.length <= 60 ? xy.map(([cx, cy]) => `<circle cx="${cx}" cy="${cy}" r="2.5" fill="${colour}"/>`) : [];
    const points = xy.map(([a, b]) => `${a},${b}`).join(' ');
    return [`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round"/>`, ...marks].join('\n');
  });
  const legend = legendSvg(frame, series.map((s) => s.name), (lx, ly, i) =>
    `<line x1="${px(lx)}" y1="${px(ly)}" x2="${px(lx + 16)}" y2="${px(ly)}" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="3"/>`,
  );
  const empty = opts.emptyText && series.every((s) => s.points.length === 0)
    ? `<text x="${px((frame.left + frame.right) / 2)}" y="${px((frame.top + frame.bottom) / 2)}" text-anchor="middle" font-size="12" fill="#555">${escapeXml(opts.emptyText)}</text>`
    : '';
  return svgDocument(width, height, [axesSvg(frame, x, y, opts.title, opts.xLabel, opts.yLabel), ...lines, legend, empty].join('\n'));
}
