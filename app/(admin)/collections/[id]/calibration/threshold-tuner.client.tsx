'use client';
import { useMemo, useState } from 'react';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';
import type { TargetFarPoint } from '@/lib/matching';

/** Values of ascending `sorted` at or under t. */
function countAtMost(sorted: number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const W = 640;
const H = 220;
const BINS = 40;

/** Genuine and impostor histograms with the threshold line; drag the slider or pick a target FAR, see FAR/FRR, save. */
export function ThresholdTuner(props: { collectionId: string; genuine: number[]; impostor: number[]; threshold: number | null; targetFar: number; targets: TargetFarPoint[] }) {
  const { genuine, impostor } = props;
  const max = Math.max(genuine.at(-1) ?? 0, impostor.at(-1) ?? 0, props.threshold ?? 0) * 1.05 || 2;
  const [t, setT] = useState(props.threshold ?? max / 2);
  const [target, setTarget] = useState<number | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const { hydrated, ready, problem, run } = useApiCall();

  const bars = useMemo(() => {
    const bin = (xs: number[]) => {
      const counts = new Array<number>(BINS).fill(0);
      for (const x of xs) counts[Math.min(BINS - 1, Math.floor((x / max) * BINS))]++;
      return counts.map((c) => c / Math.max(1, xs.length));
    };
    return { g: bin(genuine), i: bin(impostor) };
  }, [genuine, impostor, max]);
  const peak = Math.max(...bars.g, ...bars.i, 1e-9);
  const far = countAtMost(impostor, t) / impostor.length;
  const frr = 1 - countAtMost(genuine, t) / genuine.length;
  const x = (v: number) => (v / max) * W;

  const save = (json: object, what: string) =>
    run(
      async () => {
        await callApi(`/api/collections/${props.collectionId}`, { method: 'PATCH', json });
        setSaved(what);
        window.location.reload();
      },
      { leaves: true },
    );

  return (
    <div className={`${CLS.card} space-y-4`}>
      <h2 className="text-lg font-medium">Set the threshold</h2>
      <svg viewBox={`0 0 ${W} ${H + 20}`} className="w-full" role="img" aria-label="Genuine and impostor distance histograms with the threshold">
        {bars.g.map((v, k) => (
          <rect key={`g${k}`} x={(k * W) / BINS} y={H - (v / peak) * H} width={W / BINS - 1} height={(v / peak) * H} fill="#0072B2" opacity={0.55} />
        ))}
        {bars.i.map((v, k) => (
          <rect key={`i${k}`} x={(k * W) / BINS} y={H - (v / peak) * H} width={W / BINS - 1} height={(v / peak) * H} fill="#D55E00" opacity={0.55} />
        ))}
        <line x1={x(t)} x2={x(t)} y1={0} y2={H} stroke="#111" strokeWidth={2} />
        <text x={Math.min(x(t) + 4, W - 90)} y={14} fontSize={12}>threshold {t.toFixed(3)}</text>
        <text x={0} y={H + 16} fontSize={12} fill="#0072B2">■ genuine (same identity)</text>
        <text x={200} y={H + 16} fontSize={12} fill="#D55E00">■ impostor (nearest other identity)</text>
        <text x={W - 4} y={H + 16} fontSize={12} textAnchor="end">distance 0 – {max.toFixed(2)}</text>
      </svg>
      <label className={CLS.label}>
        Drag the threshold
        <input
          type="range"
          min={0}
          max={max}
          step={max / 1000}
          value={t}
          aria-label="Threshold"
          className="mt-1 w-full"
          onChange={(e) => {
            setT(Number(e.target.value));
            setTarget(null);
          }}
        />
      </label>
      <p className="text-sm" data-testid="tuned-rates">
        At {t.toFixed(4)}: FAR {far.toFixed(4)} ({countAtMost(impostor, t)} of {impostor.length} strangers accepted), FRR {frr.toFixed(4)} (
        {genuine.length - countAtMost(genuine, t)} of {genuine.length} enrolled refused)
      </p>
      <fieldset className="space-y-2">
        <legend className={CLS.label}>Or pick a target FAR (current target {props.targetFar})</legend>
        <div className="flex flex-wrap gap-3">
          {props.targets.map((p) => (
            <label key={p.far} className={`flex items-center gap-2 text-sm ${p.measurable ? '' : 'text-slate-400'}`} title={p.measurable ? '' : `needs ${p.minImpostorTrials} impostor trials; this gallery has ${impostor.length}`}>
              <input
                type="radio"
                name="target"
                disabled={!hydrated || !p.measurable}
                checked={target === p.far}
                onChange={() => {
                  setTarget(p.far);
                  if (p.threshold !== null) setT(p.threshold);
                }}
              />
              1 in {Math.round(1 / p.far)} strangers{p.measurable ? '' : ` (needs ${p.minImpostorTrials} impostor trials)`}
            </label>
          ))}
        </div>
      </fieldset>
      <div className="flex flex-wrap gap-3">
        <button type="button" className={CLS.button} disabled={!ready || target === null} onClick={() => save({ targetFar: target, thresholdOverride: null }, 'target')}>
          Save target FAR
        </button>
        <button type="button" className={CLS.secondary} disabled={!ready} onClick={() => save({ thresholdOverride: Number(t.toFixed(6)) }, 'threshold')}>
          Save this threshold ({t.toFixed(4)})
        </button>
        {saved ? <span role="status" className="text-sm text-emerald-700">Saved</span> : null}
      </div>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
    </div>
  );
}
