// The live view of a running job: phase, step, loss, pairs/s, ETA, a progress bar, and the loss and
// validation curves drawn as they grow (retrain); done/total images (switch).
import { LineChart } from '@/app/_components/line-chart';
import type { JobDto } from '@/lib/matching';

interface RetrainProgress {
  phase?: string;
  message?: string;
  epoch?: number;
  epochs?: number;
  step?: number;
  stepsPerEpoch?: number;
  loss?: number;
  pairsPerSecond?: number;
  etaSeconds?: number;
  losses?: [number, number][];
  validation?: [number, number][];
  done?: number;
  total?: number;
}

function formatEta(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '—';
  return s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${Math.round(s)} s`;
}

/** Progress of `job` as it arrives. */
export function JobProgress({ job, events }: { job: JobDto; events: number }) {
  const p = (job.progress ?? {}) as RetrainProgress;
  const share =
    p.total !== undefined && p.done !== undefined
      ? p.done / Math.max(p.total, 1)
      : p.epoch !== undefined && p.epochs && p.step !== undefined && p.stepsPerEpoch
        ? ((p.epoch - 1) * p.stepsPerEpoch + p.step) / (p.epochs * p.stepsPerEpoch)
        : 0;
  return (
    <div className="space-y-3" data-testid="job-progress">
      <p className="text-sm">
        <span className="font-medium" data-testid="job-status">{job.status}</span>
        {p.phase ? <> · <span data-testid="job-phase">{p.phase}</span></> : null}
        {p.message ? <span className="text-slate-600"> · {p.message}</span> : null}
        <span className="text-slate-500"> · <span data-testid="job-events">{events}</span> progress events</span>
      </p>
      <div className="h-2 w-full rounded bg-slate-200" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(share * 100)}>
        <div className="h-2 rounded bg-slate-900" style={{ width: `${Math.min(100, share * 100).toFixed(1)}%` }} />
      </div>
      {p.epoch !== undefined ? (
        <p className="text-sm text-slate-700" data-testid="job-step">
          epoch {p.epoch}/{p.epochs} · step {p.step}/{p.stepsPerEpoch} · loss {p.loss?.toFixed(4)} · {p.pairsPerSecond?.toFixed(0)} pairs/s · ETA {formatEta(p.etaSeconds)}
        </p>
      ) : null}
      {p.total !== undefined ? <p className="text-sm text-slate-700" data-testid="job-step">{p.done} of {p.total} images embedded</p> : null}
      {p.losses && p.losses.length > 0 ? (
        <div className="grid gap-4 md:grid-cols-2">
          <LineChart testId="loss-curve" title="Training loss per step" xLabel="step" yLabel="loss" series={[{ name: 'loss', points: p.losses, color: '#0072B2' }]} />
          <LineChart testId="validation-curve" title="Held-out one-shot accuracy" xLabel="epoch" yLabel="accuracy" yRange={[0, 1]} series={[{ name: 'validation', points: p.validation ?? [], color: '#D55E00' }]} />
        </div>
      ) : null}
      {job.error ? <p className="text-sm text-red-700" data-testid="job-error">{job.error}</p> : null}
    </div>
  );
}
