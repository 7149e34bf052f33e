'use client';
// Retraining a collection's model: the settings form, the job's live progress, the two comparisons
// when it ends (held-out identities; held-out images of the trained identities), and promote (with a
// warning for each gain within noise) and rollback, each a job too.
import { useState } from 'react';
import { callApi } from '@/app/_components/api';
import { CLS, ProblemBox } from '@/app/_components/ui';
import { useApiCall } from '@/app/_components/use-api-call';
import type { JobDto, ModelComparison, RetrainOptions } from '@/lib/matching';
import { ComparisonView } from './comparison-view';
import { JobProgress } from './job-progress';
import { useJob } from './use-job';

type Props = { collectionId: string; previousModelVersion: string | null; options: RetrainOptions; latest: JobDto | null };

export function RetrainPanel(props: Props) {
  const { job, events, follow } = useJob(props.latest);
  const { ready, busy, problem, run } = useApiCall();
  const d = props.options.defaults;
  const [form, setForm] = useState({ epochs: d.epochs, stepsPerEpoch: d.stepsPerEpoch, maxMinutes: d.maxMinutes, includeBaseData: d.includeBaseData });
  const active = job !== null && (job.status === 'queued' || job.status === 'running');
  const comparison = job?.type === 'retrain' && job.status === 'succeeded' ? (job.result?.comparison as ModelComparison | undefined) : undefined;
  // Null when no training identity had 3+ images to hold some out.
  const trained = comparison ? ((job!.result!.trainedComparison as ModelComparison | null | undefined) ?? null) : null;
  const candidate = comparison ? (job!.result!.candidateVersion as string) : null;
  const switched = job?.type === 'switch' && job.status === 'succeeded';
  const base = `/api/collections/${props.collectionId}`;

  const start = () => run(async () => follow(await callApi<JobDto>(`${base}/retrain`, { json: form })));
  const promote = () => {
    if (!candidate || !comparison) return;
    const noisy = [comparison, trained].filter((c) => c?.gainWithinNoise).length;
    if (noisy > 0 && !window.confirm(`${noisy === 1 ? 'An AUC gain is' : 'Both AUC gains are'} within the 95% interval (it may be noise). Promote anyway?`)) return;
    void run(async () => follow(await callApi<JobDto>(`${base}/promote`, { json: { modelVersion: candidate } })));
  };
  const rollback = () => run(async () => follow(await callApi<JobDto>(`${base}/rollback`, { method: 'POST' })));
  const cancel = () => run(async () => follow(await callApi<JobDto>(`/api/jobs/${job!.id}/cancel`, { method: 'POST' })));
  const num = (k: 'epochs' | 'stepsPerEpoch' | 'maxMinutes') => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: Number(e.target.value) });

  return (
    <div className="space-y-6">
      <form
        className={`${CLS.card} grid gap-4 sm:grid-cols-4`}
        onSubmit={(e) => {
          e.preventDefault();
          void start();
        }}
      >
        <label className={CLS.label}>Epochs<input className={CLS.input} type="number" min={1} max={200} value={form.epochs} onChange={num('epochs')} name="epochs" /></label>
        <label className={CLS.label}>Steps per epoch<input className={CLS.input} type="number" min={1} max={1000} value={form.stepsPerEpoch} onChange={num('stepsPerEpoch')} name="stepsPerEpoch" /></label>
        <label className={CLS.label}>Time bound (minutes)<input className={CLS.input} type="number" min={0.5} step={0.5} max={props.options.maxMinutes} value={form.maxMinutes} onChange={num('maxMinutes')} name="maxMinutes" /></label>
        {props.options.baseData ? (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={form.includeBaseData} onChange={(e) => setForm({ ...form, includeBaseData: e.target.checked })} name="includeBaseData" />
            Add the base training set ({props.options.baseData})
          </label>
        ) : null}
        <div className="sm:col-span-4 flex gap-2">
          <button type="submit" className={CLS.button} disabled={!ready || active}>Start retraining</button>
          {active ? <button type="button" className={CLS.secondary} disabled={!ready} onClick={() => void cancel()}>Cancel job</button> : null}
          {props.previousModelVersion ? (
            <button type="button" className={CLS.secondary} disabled={!ready || active} onClick={() => void rollback()} data-testid="rollback">
              Roll back to {props.previousModelVersion}
            </button>
          ) : null}
        </div>
      </form>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
      {job ? (
        <section className={`${CLS.card} space-y-4`} aria-live="polite">
          <h2 className="font-medium">{job.type === 'retrain' ? 'Retraining' : 'Switching model'} <span className="font-mono text-xs text-slate-500">{job.id}</span></h2>
          <JobProgress job={job} events={events} />
          {comparison ? (
            <>
              <ComparisonView c={comparison} testId="comparison" title="Identities neither model trained on" what="held-out identities (in neither model’s training nor the candidate’s calibration)" />
              {comparison.gainWithinNoise ? (
                <p role="alert" className={CLS.warning} data-testid="noise-warning">
                  The AUC gain is within its 95% interval: on these {comparison.identities} identities the candidate is not measurably better.
                </p>
              ) : null}
              {trained ? (
                <>
                  <ComparisonView c={trained} testId="comparison-trained" title="New images of the identities the candidate trained on" what="training identities, queried with their images held out of training, against the whole gallery" />
                  {trained.gainWithinNoise ? (
                    <p role="alert" className={CLS.warning} data-testid="trained-noise-warning">
                      The AUC gain is within its 95% interval: on new images of these {trained.identities} identities the candidate is not measurably better.
                    </p>
                  ) : null}
                </>
              ) : null}
              <button type="button" className={CLS.button} disabled={!ready} onClick={promote} data-testid="promote">Promote {candidate}</button>
            </>
          ) : null}
          {switched ? (
            <p className="text-sm" data-testid="switched">
              The collection now uses <span className="font-mono">{String(job.result?.to)}</span> (threshold {Number(job.result?.threshold).toFixed(4)}).{' '}
              <button type="button" className={CLS.link} disabled={busy} onClick={() => window.location.reload()}>Reload</button>
            </p>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}
