import { orNotFound, requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader, isolated } from '@/app/_components/ui';
import { explainVerdict } from '@/app/_components/verdicts';
import { imageSrc } from '@/app/_components/image-src';
import { getCollection, getIdentity, listIdentities, listImages } from '@/lib/matching';
import { DeleteButton } from '@/app/_components/delete-button.client';
import { EnrollForm, ImageActions } from './identity-actions.client';

export const dynamic = 'force-dynamic';

export default async function IdentityPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const { id } = await params;
  const { cursor } = await searchParams;
  const caller = await requireSession();
  const identity = await orNotFound(getIdentity(caller, id));
  const [collection, images, others] = await Promise.all([
    getCollection(caller, identity.collectionId),
    listImages(caller, id, { limit: 48, cursor: cursor ?? null }),
    listIdentities(caller, identity.collectionId, { limit: 100 }),
  ]);
  const moveTargets = others.items.filter((o) => o.id !== id).map((o) => ({ id: o.id, name: o.name }));
  return (
    <section className="space-y-8">
      <PageHeader title={identity.name}>
        In <a className={CLS.link} href={`/collections/${collection.id}`}>{collection.name}</a> · {identity.imageCount} image
        {identity.imageCount === 1 ? '' : 's'}
        {identity.externalId ? ` · external id ${identity.externalId}` : ''}
      </PageHeader>

      <EnrollForm identityId={id} kind={collection.kind} />

      <div className="space-y-3">
        <h2 className="text-lg font-medium">Examples</h2>
        {images.items.length === 0 ? (
          <EmptyState>No examples yet: enroll a few images above (3 to 5 varied ones work best).</EmptyState>
        ) : (
          <ul className="grid grid-cols-2 gap-4 sm:grid-cols-3 md:grid-cols-4" aria-label="Examples">
            {images.items.map((img) => (
              <li key={img.id} className={`${CLS.card} space-y-2 p-2`}>
                <img src={imageSrc(img)} alt={`example of ${identity.name}`} className="h-32 w-full rounded bg-slate-100 object-contain" />
                <p className="text-xs text-slate-500">
                  {img.width}x{img.height} {img.format}
                </p>
                {img.verdicts.length > 0 ? (
                  <ul className="space-y-1 text-xs text-amber-800">
                    {img.verdicts.map((v) => (
                      <li key={v} title={v}>⚠ {explainVerdict(v)}</li>
                    ))}
                  </ul>
                ) : (
                  <p className="text-xs text-emerald-700">No warnings</p>
                )}
                <ImageActions imageId={img.id} targets={moveTargets} />
              </li>
            ))}
          </ul>
        )}
        {images.nextCursor ? <a className={CLS.link} href={`/identities/${id}?cursor=${images.nextCursor}`}>More examples →</a> : null}
      </div>

      <DeleteButton label="Delete identity" question={`Delete “${isolated(identity.name)}” and all its examples?`} path={`/api/identities/${id}`} then={`/collections/${collection.id}`} className={CLS.danger} />
    </section>
  );
}
