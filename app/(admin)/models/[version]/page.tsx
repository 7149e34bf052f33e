import { orNotFound, requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader } from '@/app/_components/ui';
import { getModel } from '@/lib/matching';

export const dynamic = 'force-dynamic';

export default async function ModelPage({ params }: { params: Promise<{ version: string }> }) {
  const { version } = await params;
  const caller = await requireSession();
  const m = await orNotFound(getModel(caller, version));
  const t = m.manifest.calibration.thresholds;
  return (
    <section className="space-y-8">
      <PageHeader title={m.version}>
        {m.domain ? `${m.domain} ${m.kind}` : m.kind} model · {m.origin === 'trained' ? 'retrained here' : 'bundled'}{m.isDefault ? ' · default for new collections' : ''} · created {m.createdAt.slice(0, 16).replace('T', ' ')} on {m.backend}.{' '}
        <a className={CLS.link} href="/models">All models</a>
      </PageHeader>
      <dl className={`${CLS.card} grid gap-4 text-sm sm:grid-cols-2`}>
        <div><dt className="text-slate-500">Data</dt><dd>{m.manifest.data.source}; {m.manifest.data.identities.train} training and {m.manifest.data.identities.heldOut} held-out identities</dd></div>
        <div><dt className="text-slate-500">Architecture</dt><dd className="font-mono text-xs">{JSON.stringify(m.manifest.architecture)}</dd></div>
        <div><dt className="text-slate-500">Metrics (held-out)</dt><dd data-testid="model-metrics">{Object.entries(m.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' · ')}</dd></div>
        <div>
          <dt className="text-slate-500">Pairwise thresholds</dt>
          <dd>max balanced accuracy {t.maxBalancedAccuracy.distance.toFixed(4)} · FAR 1e-2 {t.far1e2.distance.toFixed(4)} · FAR 1e-3 {t.far1e3.distance.toFixed(4)}</dd>
        </div>
        <div><dt className="text-slate-500">Training</dt><dd>{m.manifest.trainingSeconds} s · {m.manifest.pairsPerSecond} pairs/s · seed {m.manifest.seed}</dd></div>
        <div><dt className="text-slate-500">Config</dt><dd className="font-mono text-xs break-all">{JSON.stringify(m.manifest.config)}</dd></div>
      </dl>
      <section className="space-y-2">
        <h2 className="font-medium">Used by</h2>
        {m.collections.length === 0 ? <EmptyState>No collection uses this version now.</EmptyState> : (
          <ul className="text-sm">{m.collections.map((c) => <li key={c.id}><a className={CLS.link} href={`/collections/${c.id}/models`}>{c.name}</a></li>)}</ul>
        )}
      </section>
      <section className="space-y-2">
        <h2 className="font-medium">Promotions and rollbacks to this version</h2>
        {m.promotions.length === 0 ? <EmptyState>Never promoted (bundled defaults serve new collections without a promotion).</EmptyState> : (
          <ul className="text-sm" data-testid="promotions">
            {m.promotions.map((p) => (
              <li key={p.at + p.actor}>{p.at.slice(0, 19).replace('T', ' ')} · {p.action.replace('model.', '')} by {p.actor}{p.from ? ` from ${p.from}` : ''}{p.threshold !== null ? ` · threshold ${p.threshold.toFixed(4)}` : ''}</li>
            ))}
          </ul>
        )}
      </section>
      <section className="grid gap-4 lg:grid-cols-2">
        {m.manifest.plots.map((name) => (
          <img key={name} src={`/api/models/${m.version}/plots/${name}`} alt={`${name.replace('.png', '')} plot of ${m.version}`} className={`${CLS.card} w-full`} />
        ))}
      </section>
    </section>
  );
}
