// A small SVG line chart drawn in the browser (live curves: training loss, validation accuracy, ROC),
// where lib/plots cannot run (client components import only types from lib).

/** One named series of [x, y] points. */
export interface ChartSeries {
  name: string;
  points: [number, number][];
  color: string;
}

const W = 420;
const H = 220;
const PAD = { left: 44, right: 12, top: 24, bottom: 34 };

function extent(values: number[], log: boolean): [number, number] {
  const v = log ? values.filter((x) => x > 0).map(Math.log10) : values;
  if (v.length === 0) return [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
  return [lo, hi];
}

/** Lines over linear (or log10 x) axes, with the end values of each axis and a legend. */
export function LineChart(props: { title: string; xLabel: string; yLabel: string; series: ChartSeries[]; logX?: boolean; yRange?: [number, number]; testId?: string }) {
  const logX = props.logX ?? false;
  const all = props.series.flatMap((s) => s.points).filter(([x]) => !logX || x > 0);
  const [x0, x1] = extent(all.map(([x]) => x), logX);
  const [y0, y1] = props.yRange ?? extent(all.map(([, y]) => y), false);
  const sx = (x: number) => PAD.left + (((logX ? Math.log10(x) : x) - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const fmt = (v: number, log: boolean) => (log ? `1e${Math.round(v)}` : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(2));
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-2" data-testid={props.testId}>
      <svg viewBox={`0 0 ${W} ${H}`} className="w-full" role="img" aria-label={props.title}>
        <text x={W / 2} y={14} textAnchor="middle" fontSize={12} fontWeight={600}>{props.title}</text>
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} stroke="#94a3b8" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} stroke="#94a3b8" />
        <text x={PAD.left} y={H - PAD.bottom + 14} fontSize={10}>{fmt(x0, logX)}</text>
        <text x={W - PAD.right} y={H - PAD.bottom + 14} fontSize={10} textAnchor="end">{fmt(x1, logX)}</text>
        <text x={(W + PAD.left) / 2} y={H - 6} fontSize={11} textAnchor="middle">{props.xLabel}</text>
        <text x={PAD.left - 4} y={H - PAD.bottom} fontSize={10} textAnchor="end">{fmt(y0, false)}</text>
        <text x={PAD.left - 4} y={PAD.top + 8} fontSize={10} textAnchor="end">{fmt(y1, false)}</text>
        <text transform={`translate(12 ${(H - PAD.bottom + PAD.top) / 2}) rotate(-90)`} fontSize={11} textAnchor="middle">{props.yLabel}</text>
        {props.series.map((s) => {
          const pts = s.points.filter(([x]) => !logX || x > 0);
          return pts.length > 0 ? (
            <polyline key={s.name} fill="none" stroke={s.color} strokeWidth={1.5} points={pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')} />
          ) : null;
        })}
        {props.series.map((s, i) => (
          <g key={`legend-${s.name}`}>
            <rect x={PAD.left + 8} y={PAD.top + 4 + i * 14} width={10} height={3} fill={s.color} />
            <text x={PAD.left + 22} y={PAD.top + 9 + i * 14} fontSize={10}>{s.name}</text>
          </g>
        ))}
      </svg>
    </figure>
  );
}
