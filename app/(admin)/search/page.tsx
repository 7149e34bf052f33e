import { requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader } from '@/app/_components/ui';
import { listCollections } from '@/lib/matching';
import { SearchPanel } from './search-panel.client';

export const dynamic = 'force-dynamic';

export default async function SearchPage({ searchParams }: { searchParams: Promise<{ collection?: string }> }) {
  const caller = await requireSession();
  const { collection } = await searchParams;
  const collections = await listCollections(caller, { limit: 100 });
  return (
    <section>
      <PageHeader title="Search">Find who or what an image shows: the nearest enrolled identities, or “unknown” when none is close enough.</PageHeader>
      {collections.items.length === 0 ? (
        <EmptyState>
          No collections yet. <a className={CLS.link} href="/collections">Create one</a> and enroll a few images first.
        </EmptyState>
      ) : (
        <SearchPanel
          collections={collections.items.map((c) => ({ id: c.id, name: c.name, kind: c.kind, identityCount: c.identityCount }))}
          initialId={collections.items.some((c) => c.id === collection) ? collection! : collections.items[0].id}
        />
      )}
    </section>
  );
}
