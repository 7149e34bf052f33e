'use client';
import { useState } from 'react';
import { callApi, type Problem, problemOf } from '@/app/_components/api';
import { useHydrated } from '@/app/_components/use-hydrated';
import { CLS, ProblemBox } from '@/app/_components/ui';
import type { IdentityDto } from '@/lib/matching';

/** POST /api/collections/{id}/identities, then opens the identity to enroll its images. */
export function CreateIdentityForm({ collectionId }: { collectionId: string }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();
  return (
    <form
      aria-label="Add identity"
      className={`${CLS.card} grid gap-4 sm:grid-cols-3 sm:items-end`}
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const externalId = String(f.get('externalId') ?? '').trim();
        setBusy(true);
        setProblem(null);
        try {
          const identity = await callApi<IdentityDto>(`/api/collections/${collectionId}/identities`, {
            json: { name: String(f.get('name')), ...(externalId ? { externalId } : {}) },
          });
          window.location.assign(`/identities/${identity.id}`);
        } catch (err) {
          setProblem(problemOf(err));
          setBusy(false);
        }
      }}
    >
      <label className={CLS.label}>
        Name
        <input name="name" required maxLength={200} className={`${CLS.input} mt-1`} />
      </label>
      <label className={CLS.label}>
        External id (optional)
        <input name="externalId" maxLength={200} className={`${CLS.input} mt-1`} />
      </label>
      <button type="submit" className={CLS.button} disabled={!hydrated || busy}>{busy ? 'Adding…' : 'Add identity'}</button>
      {problem ? <div className="sm:col-span-3"><ProblemBox title={problem.title} detail={problem.detail} /></div> : null}
    </form>
  );
}
