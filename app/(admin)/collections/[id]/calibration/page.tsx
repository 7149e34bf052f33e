import { orNotFound, requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader } from '@/app/_components/ui';
import { getCalibrationReport, getCollection, type RateEstimate } from '@/lib/matching';
import { detSvg, rocSvg } from '@/lib/plots';
import { ThresholdTuner } from './threshold-tuner.client';

export const dynamic = 'force-dynamic';

const SOURCE: Record<string, string> = {
  gallery: 'this gallery’s calibration at the target FAR (stricter than the model curve, which its trials showed too loose)',
  model: 'the model’s calibration curve, over the gallery’s images',
  override: 'a raw threshold an admin set',
};

/** "0.031 (95% 0.015–0.049, n=360)" or "< 0.0083 (none of 360)". */
function formatRate(r: RateEstimate): string {
  if (r.n === 0) return 'no trials';
  if (r.upperBound !== null) return `< ${r.upperBound.toPrecision(2)} (none of ${r.n}: an upper bound, not a measurement)`;
  return `${r.value.toFixed(4)} (95% ${r.lo.toFixed(4)}–${r.hi.toFixed(4)}, n=${r.n})`;
}

/** An SVG string from lib/plots, drawn in the page. */
function Plot({ svg, label }: { svg: string; label: string }) {
  return <figure role="img" aria-label={label} className={`${CLS.card} overflow-x-auto p-2`} dangerouslySetInnerHTML={{ __html: svg.replace(/^<\?xml[^>]*>/, '') }} />;
}

export default async function CalibrationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const caller = await requireSession();
  const c = await orNotFound(getCollection(caller, id));
  const r = await getCalibrationReport(caller, id);
  const hasTrials = r.genuine.length > 0 && r.impostor.length > 0;
  return (
    <section className="space-y-8">
      <PageHeader title={`Calibration: ${c.name}`}>
        How the threshold performs on this collection’s own examples (model <span className="font-mono text-sm">{r.modelVersion}</span>).{' '}
        <a className={CLS.link} href={`/collections/${id}`}>Back to the collection</a>
      </PageHeader>

      {r.separation.advice ? (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900" data-testid="domain-guard">
          {r.separation.advice}
        </div>
      ) : null}

      <dl className={`${CLS.card} grid grid-cols-1 gap-4 text-sm sm:grid-cols-3`}>
        <div>
          <dt className="text-slate-500">Threshold in force</dt>
          <dd className="font-medium" data-testid="threshold-in-force">{r.threshold.distance === null ? '—' : r.threshold.distance.toFixed(4)}</dd>
          <dd className="text-slate-600" data-testid="threshold-source">from {SOURCE[r.threshold.source]}</dd>
          <dd className="text-slate-600" data-testid="threshold-evidence">
            {r.threshold.trials} impostor trials; predicted FAR {r.threshold.predictedFar.value ?? '—'}
            {r.threshold.predictedFar.lo !== null && r.threshold.predictedFar.hi !== null ? ` [${r.threshold.predictedFar.lo.toFixed(4)}, ${r.threshold.predictedFar.hi.toFixed(4)}]` : ''}; compared with {r.threshold.images} images{r.threshold.comparisons !== null ? `, counted as ${Number(r.threshold.comparisons.toPrecision(3))} comparisons` : ''}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">FAR at this threshold (strangers accepted)</dt>
          <dd className="font-medium" data-testid="far-now">{r.atThreshold ? formatRate(r.atThreshold.far) : '—'}</dd>
        </div>
        <div>
          <dt className="text-slate-500">FRR at this threshold (enrolled refused)</dt>
          <dd className="font-medium" data-testid="frr-now">{r.atThreshold ? formatRate(r.atThreshold.frr) : '—'}</dd>
        </div>
        <div className="sm:col-span-3 text-slate-600">
          {r.trials.genuine} genuine and {r.trials.impostor} impostor trials from {r.eligibleIdentities} identities with 2+ examples
          {r.trials.sampled ? ' (sampled)' : ''}; AUC {r.auc?.toFixed(3) ?? '—'}, EER {r.eer?.toFixed(3) ?? '—'}. The gallery sets the threshold once it has{' '}
          {r.minIdentities} identities with 2+ examples and enough impostor trials for the target (3/FAR).
        </div>
        <div className="sm:col-span-3 text-slate-600" data-testid="separation">
          {r.separation.verdict === 'too_few_identities'
            ? `Whether the model separates these identities is judged from ${r.separation.minIdentities} identities with 2+ examples.`
            : `Separation (${r.separation.genuinePairs} same-identity and ${r.separation.impostorPairs} different-identity pairs${r.separation.sampled ? ', sampled' : ''}): pairwise AUC ${r.separation.pairwiseAuc?.toFixed(3) ?? '—'} (floor ${r.separation.aucFloor}); ${((r.separation.collapsedShare ?? 0) * 100).toFixed(1)}% of different-identity pairs within the model’s FAR 1e-2 distance ${r.separation.modelDistance.toFixed(3)} (ceiling ${r.separation.collapseCeiling * 100}%): ${r.separation.verdict === 'separates' ? 'the model separates them' : 'the model cannot separate them'}.`}
        </div>
      </dl>

      {!hasTrials ? (
        <EmptyState>Enroll at least 2 examples for 2 or more identities to measure this collection; until then the model’s curve sets the threshold.</EmptyState>
      ) : (
        <>
          <ThresholdTuner
            collectionId={id}
            genuine={r.genuine}
            impostor={r.impostor}
            threshold={r.threshold.distance}
            targetFar={r.targetFar}
            targets={r.targets}
          />
          <div className="grid gap-4 lg:grid-cols-2">
            <Plot label="ROC curve" svg={rocSvg(r.roc!, r.trials, { title: 'ROC (gallery trials)', width: 480, height: 340 })} />
            <Plot label="DET curve" svg={detSvg(r.roc!, r.trials, { title: 'DET (gallery trials)', width: 480, height: 340 })} />
          </div>
        </>
      )}
    </section>
  );
}
