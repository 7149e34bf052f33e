import { orNotFound, requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader, isolated } from '@/app/_components/ui';
import { getCollection, getRuntime, listIdentities } from '@/lib/matching';
import { DeleteButton } from '@/app/_components/delete-button.client';
import { CollectionSettingsForm } from './settings-form.client';
import { CreateIdentityForm } from './create-identity.client';
import { ImportArchiveForm } from './archive-forms.client';

export const dynamic = 'force-dynamic';

/** What the collection's model was trained on, from its manifest (null when it is not loaded). */
function trainedOn(version: string): string | null {
  const model = getRuntime().served.get(version);
  if (!model) return null;
  return model.manifest.data.source.replace(/\s*\(.*\)$/, '');
}

export default async function CollectionPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ q?: string; cursor?: string }> }) {
  const { id } = await params;
  const { q, cursor } = await searchParams;
  const caller = await requireSession();
  const c = await orNotFound(getCollection(caller, id));
  const identities = await listIdentities(caller, id, { limit: 25, cursor: cursor ?? null, q: q || undefined });
  const source = trainedOn(c.modelVersion);
  return (
    <section className="space-y-8">
      <PageHeader title={c.name}>
        {c.domain ? `${c.kind} collection of ${c.domain}` : `${c.kind} collection`} · {c.identityCount} identities · {c.imageCount} images ·{' '}
        <a className={CLS.link} href={`/search?collection=${c.id}`}>Search this collection</a> ·{' '}
        <a className={CLS.link} href={`/collections/${c.id}/calibration`}>Calibration</a> ·{' '}
        <a className={CLS.link} href={`/collections/${c.id}/models`}>Model and retraining</a>
      </PageHeader>

      {c.kind === 'object' && c.domain === 'photos' ? (
        <p className="rounded-md border border-sky-200 bg-sky-50 p-3 text-sm text-sky-900" data-testid="object-model-notice">
          Photos are matched with the photo model <span className="font-mono">{c.modelVersion}</span>: a frozen ImageNet-pretrained
          backbone and a head trained on {source?.includes('grocery-store') ? 'photos of grocery products (the Grocery Store set)' : (source ?? 'its own training set')}.
          Retrain it on your own images for objects far from those; drawings belong in a drawings collection.
        </p>
      ) : c.kind === 'object' ? (
        <p className="rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" data-testid="object-model-notice">
          Drawings are matched with model <span className="font-mono">{c.modelVersion}</span>, trained on{' '}
          {source?.startsWith('omniglot') ? 'handwritten characters (the Omniglot alphabets)' : (source ?? 'its own training set')}. It knows
          nothing of photos: those belong in a photos collection.
        </p>
      ) : null}

      <dl className={`${CLS.card} grid grid-cols-2 gap-4 text-sm sm:grid-cols-4`}>
        <div>
          <dt className="text-slate-500">Match threshold</dt>
          <dd className="font-medium" data-testid="threshold">{c.threshold.distance === null ? 'model not loaded' : c.threshold.distance.toFixed(4)}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Threshold source</dt>
          <dd className="font-medium">
            {c.threshold.source === 'override' ? 'admin override' : c.threshold.source === 'gallery' ? 'this gallery’s calibration' : `model calibration for ${c.threshold.images} images of ${c.threshold.identities} identities, counted as ${Number(c.threshold.comparisons?.toPrecision(3))} comparisons (${c.threshold.trials} impostor pairs)`}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Target FAR</dt>
          <dd className="font-medium">{c.targetFar} (1 in {Math.round(1 / c.targetFar)} strangers)</dd>
        </div>
        <div>
          <dt className="text-slate-500">Model version</dt>
          <dd className="font-mono text-xs">{c.modelVersion}</dd>
        </div>
      </dl>

      <div className="space-y-4">
        <h2 className="text-lg font-medium">Identities</h2>
        <form className="flex gap-2" role="search" action={`/collections/${c.id}`}>
          <input name="q" defaultValue={q ?? ''} placeholder="Search by name" aria-label="Search identities by name" className={CLS.input} />
          <button type="submit" className={CLS.secondary}>Find</button>
        </form>
        {identities.items.length === 0 ? (
          <EmptyState>{q ? `No identity matches “${q}”.` : 'No identities yet: add one below, then enroll a few images of it.'}</EmptyState>
        ) : (
          <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white" aria-label="Identities">
            {identities.items.map((i) => (
              <li key={i.id} className="flex items-center justify-between px-4 py-2 text-sm">
                <a className={CLS.link} href={`/identities/${i.id}`}>{i.name}</a>
                <span className="text-slate-500">{i.imageCount} image{i.imageCount === 1 ? '' : 's'}{i.externalId ? ` · ${i.externalId}` : ''}</span>
              </li>
            ))}
          </ul>
        )}
        <nav className="flex gap-4 text-sm" aria-label="Identity pages">
          {cursor ? <a className={CLS.link} href={`/collections/${c.id}${q ? `?q=${encodeURIComponent(q)}` : ''}`}>← First page</a> : null}
          {identities.nextCursor ? (
            <a className={CLS.link} href={`/collections/${c.id}?cursor=${identities.nextCursor}${q ? `&q=${encodeURIComponent(q)}` : ''}`}>Next page →</a>
          ) : null}
        </nav>
        <CreateIdentityForm collectionId={c.id} />
      </div>

      <ImportArchiveForm collectionId={c.id} />
      <CollectionSettingsForm collection={c} />
      <DeleteButton
        label="Delete collection"
        question={`Delete collection “${isolated(c.name)}” with all its identities and images? This cannot be undone.`}
        path={`/api/collections/${c.id}`}
        then="/collections"
        className={CLS.danger}
      />
    </section>
  );
}
