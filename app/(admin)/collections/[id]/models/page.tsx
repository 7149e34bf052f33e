import { orNotFound, requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader } from '@/app/_components/ui';
import { DeleteButton } from '@/app/_components/delete-button.client';
import { getCollection, getRetrainOptions, listCollectionModels, listJobStatuses } from '@/lib/matching';
import { RetrainPanel } from './retrain-panel.client';

export const dynamic = 'force-dynamic';

export default async function CollectionModelsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const caller = await requireSession();
  const c = await orNotFound(getCollection(caller, id));
  const [options, kept, jobs] = await Promise.all([getRetrainOptions(caller, id), listCollectionModels(caller, id), listJobStatuses(caller, { collectionId: id, limit: 10 })]);
  return (
    <section className="space-y-8">
      <PageHeader title={`Model: ${c.name}`}>
        Current model <span className="font-mono text-sm" data-testid="current-model">{c.modelVersion}</span>. Retrain it on this gallery, compare the candidate with
        it on held-out identities, then promote or roll back while searches keep working.{' '}
        <a className={CLS.link} href={`/collections/${id}`}>Back to the collection</a> · <a className={CLS.link} href="/models">All models</a>
      </PageHeader>
      <RetrainPanel collectionId={id} previousModelVersion={c.previousModelVersion} options={options} latest={jobs.items[0] ?? null} />
      <section className="space-y-2">
        <h2 className="font-medium">Kept versions</h2>
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white" data-testid="kept-versions">
          {kept.items.map((v) => (
            <li key={v.version} className="flex flex-wrap items-center justify-between gap-2 p-3 text-sm">
              <span>
                <a className={`${CLS.link} font-mono`} href={`/models/${v.version}`}>{v.version}</a>
                {v.current ? ' · current' : ''}{v.previous ? ' · rollback target' : ''} · {v.embeddedImages} images embedded · index {v.indexOnDisk ? 'on disk' : 'not on disk'}
              </span>
              {v.current ? null : (
                <DeleteButton inline label="Delete its embeddings and index" question={`Delete the embeddings and index of ${v.version} in this collection?`} path={`/api/collections/${id}/models/${v.version}`} then={null} className={CLS.danger} />
              )}
            </li>
          ))}
        </ul>
      </section>
      <section className="space-y-2">
        <h2 className="font-medium">Recent jobs</h2>
        {jobs.items.length === 0 ? (
          <EmptyState>No jobs yet.</EmptyState>
        ) : (
          <ul className="text-sm text-slate-700" data-testid="recent-jobs">
            {jobs.items.map((j) => (
              <li key={j.id}>
                {j.createdAt.slice(0, 19).replace('T', ' ')} · {j.type} · {j.status}
                {j.type === 'switch' ? ` · ${String(j.params.from)} → ${String(j.params.to)}` : ''}
                {j.error ? ` · ${j.error}` : ''}
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
