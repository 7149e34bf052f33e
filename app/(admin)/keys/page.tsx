import { requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader, isolated } from '@/app/_components/ui';
import { listApiKeys, requireAdminRole, summariesWith, type Access } from '@/lib/auth';
import { getRuntime, listCollections } from '@/lib/matching';
import { DeleteButton } from '@/app/_components/delete-button.client';
import { CreateKeyForm } from './keys.client';

export const dynamic = 'force-dynamic';

const ROLE_COLUMNS: { access: Access; title: string }[] = [
  { access: 'any', title: 'User keys (and admins) may' },
  { access: 'admin', title: 'Only admin keys and the admin session may' },
  { access: 'none', title: 'Anyone may, without a key' },
];

/** The role table (lib/auth/roles.ts), the one the API enforces and documents. */
function RoleTable() {
  return (
    <div className={`${CLS.card} grid gap-4 text-sm sm:grid-cols-3`} aria-label="What each role may do" role="group">
      {ROLE_COLUMNS.map(({ access, title }) => (
        <div key={access}>
          <h2 className="font-medium">{title}</h2>
          <ul className="mt-1 list-disc pl-5 text-slate-700">
            {summariesWith(access).map((s) => <li key={s}>{s}</li>)}
          </ul>
        </div>
      ))}
    </div>
  );
}

export default async function KeysPage({ searchParams }: { searchParams: Promise<{ cursor?: string }> }) {
  const caller = await requireSession();
  requireAdminRole(caller);
  const { cursor } = await searchParams;
  const [keys, collections] = await Promise.all([listApiKeys(getRuntime().db, { limit: 50, cursor }), listCollections(caller, { limit: 100 })]);
  const collectionName = new Map(collections.items.map((c) => [c.id, c.name]));
  return (
    <section className="space-y-8">
      <PageHeader title="API keys">
        Send a key as the <code className="font-mono">x-api-key</code> header. A key scoped to a collection has its role in that collection only.
      </PageHeader>
      <RoleTable />
      <CreateKeyForm collections={collections.items.map((c) => ({ id: c.id, name: c.name }))} />
      {keys.items.length === 0 ? (
        <EmptyState>No API keys yet.</EmptyState>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" aria-label="API keys">
            <thead className="text-slate-500">
              <tr>
                <th className="py-2 pr-4 font-medium">Name</th>
                <th className="py-2 pr-4 font-medium">Starts with</th>
                <th className="py-2 pr-4 font-medium">Role</th>
                <th className="py-2 pr-4 font-medium">Collection</th>
                <th className="py-2 pr-4 font-medium">Last used</th>
                <th className="py-2 pr-4 font-medium">State</th>
              </tr>
            </thead>
            <tbody>
              {keys.items.map((k) => (
                <tr key={k.id} className="border-t border-slate-200">
                  <td className="py-2 pr-4">{k.name}</td>
                  <td className="py-2 pr-4 font-mono text-xs">{k.prefix}…</td>
                  <td className="py-2 pr-4">{k.role}</td>
                  <td className="py-2 pr-4">{k.collectionId ? (collectionName.get(k.collectionId) ?? k.collectionId) : 'all'}</td>
                  <td className="py-2 pr-4">{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString('en-GB', { timeZone: 'UTC' }) : 'never'}</td>
                  <td className="py-2 pr-4">{k.revokedAt ? 'revoked' : (
                      <DeleteButton label="Revoke" question={`Revoke key “${isolated(k.name)}”? Clients using it get 401 from now on.`} path={`/api/keys/${k.id}`} then={null} className="text-red-700 hover:underline disabled:opacity-50" inline />
                    )}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {keys.nextCursor ? <a className={CLS.link} href={`/keys?cursor=${keys.nextCursor}`}>Next page →</a> : null}
        </div>
      )}
    </section>
  );
}
