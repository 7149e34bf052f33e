'use client';
import { useState } from 'react';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';
import type { ApiKeyView } from '@/lib/auth';

/** POST /api/keys; the secret is shown once, here. */
export function CreateKeyForm({ collections }: { collections: { id: string; name: string }[] }) {
  const [created, setCreated] = useState<string | null>(null);
  const { busy, ready, problem, run } = useApiCall();
  return (
    <div className="space-y-3">
      <form
        aria-label="Create API key"
        className={`${CLS.card} grid gap-4 sm:grid-cols-4 sm:items-end`}
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const collectionId = String(f.get('collectionId') ?? '');
          await run(async () => {
            const k = await callApi<ApiKeyView & { key: string }>('/api/keys', {
              json: { name: String(f.get('name')), role: String(f.get('role')), ...(collectionId ? { collectionId } : {}) },
            });
            setCreated(k.key);
          });
        }}
      >
        <label className={CLS.label}>
          Name
          <input name="name" required maxLength={200} className={`${CLS.input} mt-1`} />
        </label>
        <label className={CLS.label}>
          Role
          <select name="role" defaultValue="user" className={`${CLS.input} mt-1`}>
            <option value="user">user (see the table above)</option>
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
        <button type="submit" className={CLS.button} disabled={!ready}>{busy ? 'Creating…' : 'Create key'}</button>
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
