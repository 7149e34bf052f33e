import { requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader } from '@/app/_components/ui';
import { listModels } from '@/lib/matching';

export const dynamic = 'force-dynamic';

export default async function ModelsPage() {
  const caller = await requireSession();
  const { items } = await listModels(caller);
  return (
    <section className="space-y-6">
      <PageHeader title="Models">Every model version: the bundled defaults and those retrained here, what they were trained on, which collections use them and who promoted them.</PageHeader>
      {items.length === 0 ? (
        <EmptyState>No models yet.</EmptyState>
      ) : (
        <table className="w-full text-sm" data-testid="models">
          <thead>
            <tr className="text-left text-slate-500">
              <th className="py-2 pr-4 font-medium">version</th>
              <th className="pr-4 font-medium">kind</th>
              <th className="pr-4 font-medium">trained on</th>
              <th className="pr-4 font-medium">created</th>
              <th className="pr-4 font-medium">used by</th>
              <th className="font-medium">last promoted</th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.version} className="border-t border-slate-100 align-top">
                <td className="py-2 pr-4">
                  <a className={`${CLS.link} font-mono`} href={`/models/${m.version}`}>{m.version}</a>
                  {m.isDefault ? ' (default)' : ''}
                  <div className="text-xs text-slate-500">{m.origin === 'trained' ? 'retrained here' : 'bundled'}</div>
                </td>
                <td className="pr-4">{m.domain ? `${m.kind} · ${m.domain}` : m.kind}</td>
                <td className="pr-4">{m.dataSource.replace(/\s*\(\/.*\)$/, '')}</td>
                <td className="pr-4">{m.createdAt.slice(0, 16).replace('T', ' ')}</td>
                <td className="pr-4">{m.collections.length === 0 ? '—' : m.collections.map((c) => <a key={c.id} className={`${CLS.link} block`} href={`/collections/${c.id}/models`}>{c.name}</a>)}</td>
                <td>{m.promotions[0] ? `${m.promotions[0].at.slice(0, 16).replace('T', ' ')} by ${m.promotions[0].actor} (${m.promotions[0].action.replace('model.', '')})` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
