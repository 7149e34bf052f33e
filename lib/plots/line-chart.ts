/** Line chart as a standalone SVG string (multiple series, optional log axes, legend, ticks). */
import { InputError } from '@/lib/errors';
import { PALETTE, axesSvg, domainOf, legendSvg, makeScale, px, svgDocument, usable, type Frame } from './axes';

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
}

/** Draws a line chart; returns a self-contained SVG document. */
export function lineChartSvg(opts: LineChartOptions): string {
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  if (!(width >= 120 && height >= 100)) throw new InputError('invalid_plot', `plot must be at least 120x100 px, got ${width}x${height}`);
  const logX = opts.logX ?? false;
  const logY = opts.logY ?? false;
  const series = opts.series.map((s) => ({ name: s.name, points: s.points.filter(([x, y]) => usable(x, logX) && usable(y, logY)) }));
  const frame: Frame = { width, height, left: 64, right: width - 16, top: 34, bottom: height - 44 };
  const x = makeScale(domainOf(series.flatMap((s) => s.points.map((p) => p[0])), logX), [frame.left, frame.right], logX);
  const y = makeScale(domainOf(series.flatMap((s) => s.points.map((p) => p[1])), logY), [frame.bottom, frame.top], logY);
  const lines = series.map((s, i) => {
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
  return svgDocument(width, height, [axesSvg(frame, x, y, opts.title, opts.xLabel, opts.yLabel), ...lines, legend].join('\n'));
}
