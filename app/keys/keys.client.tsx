'use client';
import { useState } from 'react';
import { callApi, type Problem, problemOf } from '@/app/_components/api';
import { useHydrated } from '@/app/_components/use-hydrated';
import { CLS, ProblemBox } from '@/app/_components/ui';
import type { ApiKeyView } from '@/lib/auth';

/** POST /api/keys; the secret is shown once, here. */
export function CreateKeyForm({ collections }: { collections: { id: string; name: string }[] }) {
  const [created, setCreated] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();
  return (
    <div className="space-y-3">
      <form
        aria-label="Create API key"
        className={`${CLS.card} grid gap-4 sm:grid-cols-4 sm:items-end`}
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const collectionId = String(f.get('collectionId') ?? '');
          setBusy(true);
          setProblem(null);
          try {
            const k = await callApi<ApiKeyView & { key: string }>('/api/keys', {
              json: { name: String(f.get('name')), role: String(f.get('role')), ...(collectionId ? { collectionId } : {}) },
            });
            setCreated(k.key);
          } catch (err) {
            setProblem(problemOf(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <label className={CLS.label}>
          Name
          <input name="name" required maxLength={200} className={`${CLS.input} mt-1`} />
        </label>
        <label className={CLS.label}>
          Role
          <select name="role" defaultValue="user" className={`${CLS.input} mt-1`}>
            <option value="user">user: enroll, search, verify</option>
            <option value="admin">admin: everything</option>
          </select>
        </label>
        <label className={CLS.label}>
          Collection
          <select name="collectionId" defaultValue="" className={`${CLS.input} mt-1`}>
            <option value="">all collections</option>
            {collections.map((c) => (
              <option key={c.id} value={c.id}>{c.name}</option>
            ))}
          </select>
        </label>
        <button type="submit" className={CLS.button} disabled={!hydrated || busy}>{busy ? 'Creating…' : 'Create key'}</button>
      </form>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
      {created ? (
        <div role="status" className="rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm">
          <p className="font-medium">Copy this key now: it is not shown again.</p>
          <code className="mt-1 block break-all font-mono" data-testid="new-key">{created}</code>
          <button type="button" className={`${CLS.link} mt-2`} onClick={() => window.location.reload()}>Done</button>
        </div>
      ) : null}
    </div>
  );
}

/** DELETE /api/keys/{id}: the key stops working at once. */
export function RevokeKeyButton({ id, name }: { id: string; name: string }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const hydrated = useHydrated();
  return (
    <span>
      <button
        type="button"
        className="text-red-700 hover:underline disabled:opacity-50"
        disabled={!hydrated}
        onClick={async () => {
          if (!window.confirm(`Revoke key “${name}”? Clients using it get 401 from now on.`)) return;
          try {
            await callApi(`/api/keys/${id}`, { method: 'DELETE' });
            window.location.reload();
          } catch (err) {
            setProblem(problemOf(err));
          }
        }}
      >
        Revoke
      </button>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
    </span>
  );
}
