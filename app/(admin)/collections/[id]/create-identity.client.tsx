'use client';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';
import type { IdentityDto } from '@/lib/matching';

/** POST /api/collections/{id}/identities, then opens the identity to enroll its images. */
export function CreateIdentityForm({ collectionId }: { collectionId: string }) {
  const { busy, ready, problem, run } = useApiCall();
  return (
    <form
      aria-label="Add identity"
      className={`${CLS.card} grid gap-4 sm:grid-cols-3 sm:items-end`}
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const externalId = String(f.get('externalId') ?? '').trim();
        await run(
          async () => {
            const identity = await callApi<IdentityDto>(`/api/collections/${collectionId}/identities`, {
              json: { name: String(f.get('name')), ...(externalId ? { externalId } : {}) },
            });
            window.location.assign(`/identities/${identity.id}`);
          },
          { leaves: true },
        );
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
      <button type="submit" className={CLS.button} disabled={!ready}>{busy ? 'Adding…' : 'Add identity'}</button>
      {problem ? <div className="sm:col-span-3"><ProblemBox title={problem.title} detail={problem.detail} /></div> : null}
    </form>
  );
}
