import { requireSession } from '@/app/_lib/session';
import { CLS, EmptyState, PageHeader } from '@/app/_components/ui';
import { listAudit, listCollections } from '@/lib/matching';

export const dynamic = 'force-dynamic';

type Filters = { collectionId?: string; action?: string; since?: string; until?: string; cursor?: string };

/** A `datetime-local` value (UTC) as a Date, or undefined when empty. */
const asDate = (v: string | undefined) => (v ? new Date(`${v}Z`) : undefined);

type Decision = { match?: boolean; name?: string | null; distance?: number | null };

/** One line summary of an entry's details: each search result's decision, a verify's answer, or the raw JSON. */
function summary(details: unknown): string {
  if (!details || typeof details !== 'object') return '';
  const d = details as { results?: { decision?: Decision }[]; same?: boolean; distance?: number };
  const dist = (x: number | null | undefined) => (typeof x === 'number' ? ` (${x.toFixed(3)})` : '');
  if (Array.isArray(d.results)) return d.results.map((r) => (r.decision?.match ? `match ${r.decision.name}` : 'unknown') + dist(r.decision?.distance)).join('; ') || 'no face';
  if (typeof d.same === 'boolean') return (d.same ? 'same' : 'different') + dist(d.distance);
  return JSON.stringify(details).slice(0, 120);
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<Filters> }) {
  const caller = await requireSession();
  const f = await searchParams;
  const [page, collections] = await Promise.all([
    listAudit(caller, { limit: 50, cursor: f.cursor ?? null, collectionId: f.collectionId || undefined, action: f.action || undefined, since: asDate(f.since), until: asDate(f.until) }),
    listCollections(caller, { limit: 100 }),
  ]);
  const name = new Map(collections.items.map((c) => [c.id, c.name]));
  const keep = new URLSearchParams(Object.entries(f).filter(([k, v]) => k !== 'cursor' && v) as [string, string][]);
  return (
    <section className="space-y-6">
      <PageHeader title="Audit log">Every decision and change: who, when, which model and threshold, and the answer.</PageHeader>
      <form className={`${CLS.card} grid gap-3 sm:grid-cols-5 sm:items-end`} aria-label="Filter audit log">
        <label className={CLS.label}>
          Collection
          <select name="collectionId" defaultValue={f.collectionId ?? ''} className={`${CLS.input} mt-1`}>
            <option value="">all</option>
            {collections.items.map((c) => (
              <option key={c.id} value={c.id}>{c.name}</option>
            ))}
          </select>
        </label>
        <label className={CLS.label}>
          Action
          <input name="action" defaultValue={f.action ?? ''} placeholder="e.g. search" className={`${CLS.input} mt-1`} />
        </label>
        <label className={CLS.label}>
          Since (UTC)
          <input name="since" type="datetime-local" defaultValue={f.since ?? ''} className={`${CLS.input} mt-1`} />
        </label>
        <label className={CLS.label}>
          Until (UTC)
          <input name="until" type="datetime-local" defaultValue={f.until ?? ''} className={`${CLS.input} mt-1`} />
        </label>
        <button type="submit" className={CLS.secondary}>Filter</button>
      </form>
      {page.items.length === 0 ? (
        <EmptyState>No entries match these filters.</EmptyState>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" aria-label="Audit entries">
            <thead className="text-slate-500">
              <tr>
                <th className="py-2 pr-4 font-medium">Time (UTC)</th>
                <th className="py-2 pr-4 font-medium">Actor</th>
                <th className="py-2 pr-4 font-medium">Action</th>
                <th className="py-2 pr-4 font-medium">Collection</th>
                <th className="py-2 pr-4 font-medium">Threshold</th>
                <th className="py-2 pr-4 font-medium">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((e) => (
                <tr key={e.id} className="border-t border-slate-200 align-top">
                  <td className="py-2 pr-4 whitespace-nowrap">{e.createdAt.replace('T', ' ').slice(0, 19)}</td>
                  <td className="py-2 pr-4 font-mono text-xs">{e.actor}</td>
                  <td className="py-2 pr-4">{e.action}</td>
                  <td className="py-2 pr-4">{e.collectionId ? (name.get(e.collectionId) ?? e.collectionId) : '—'}</td>
                  <td className="py-2 pr-4">{e.threshold === null ? '—' : e.threshold.toFixed(4)}</td>
                  <td className="py-2 pr-4 text-xs">{summary(e.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.nextCursor ? <a className={CLS.link} href={`/audit?${keep.toString() ? `${keep.toString()}&` : ''}cursor=${page.nextCursor}`}>Older entries →</a> : null}
        </div>
      )}
    </section>
  );
}
