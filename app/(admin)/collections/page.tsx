import { requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader } from '@/app/_components/ui';
import { listCollections } from '@/lib/matching';
import { CreateCollectionForm } from './create-collection.client';

export const dynamic = 'force-dynamic';

export default async function CollectionsPage({ searchParams }: { searchParams: Promise<{ cursor?: string }> }) {
  const caller = await requireSession();
  const { cursor } = await searchParams;
  const page = await listCollections(caller, { limit: 50, cursor: cursor ?? null });
  return (
    <section className="space-y-8">
      <PageHeader title="Collections">A collection holds identities of one kind (faces or objects) matched with one model.</PageHeader>
      {page.items.length === 0 && !cursor ? (
        <EmptyState>No collections yet: create one below.</EmptyState>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead className="text-slate-500">
              <tr>
                <th className="py-2 pr-4 font-medium">Name</th>
                <th className="py-2 pr-4 font-medium">Kind</th>
                <th className="py-2 pr-4 font-medium">Identities</th>
                <th className="py-2 pr-4 font-medium">Images</th>
                <th className="py-2 pr-4 font-medium">Target FAR</th>
                <th className="py-2 pr-4 font-medium">Model</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((c) => (
                <tr key={c.id} className="border-t border-slate-200">
                  <td className="py-2 pr-4"><a className={CLS.link} href={`/collections/${c.id}`}>{c.name}</a></td>
                  <td className="py-2 pr-4">{c.domain ? `${c.kind} · ${c.domain}` : c.kind}</td>
                  <td className="py-2 pr-4">{c.identityCount}</td>
                  <td className="py-2 pr-4">{c.imageCount}</td>
                  <td className="py-2 pr-4">{c.targetFar}</td>
                  <td className="py-2 pr-4 font-mono text-xs">{c.modelVersion}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.nextCursor ? <a className={`${CLS.link} mt-2 inline-block text-sm`} href={`/collections?cursor=${page.nextCursor}`}>Next page →</a> : null}
        </div>
      )}
      <CreateCollectionForm />
    </section>
  );
}
