'use client';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';
import type { CollectionDto } from '@/lib/matching';

/** POST /api/collections, then opens the new collection. */
export function CreateCollectionForm() {
  const { busy, ready, problem, run } = useApiCall();
  return (
    <form
      aria-label="Create collection"
      className={`${CLS.card} grid gap-4 sm:grid-cols-5 sm:items-end`}
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const kind = String(f.get('kind'));
        await run(
          async () => {
            const c = await callApi<CollectionDto>('/api/collections', {
              // The domain is an object collection's only: a face collection takes none.
              json: {
                name: String(f.get('name')),
                kind,
                ...(kind === 'object' ? { domain: String(f.get('domain')) } : {}),
                targetFar: Number(f.get('targetFar')),
              },
            });
            window.location.assign(`/collections/${c.id}`);
          },
          { leaves: true },
        );
      }}
    >
      <h2 className="text-lg font-medium sm:col-span-5">New collection</h2>
      <label className={CLS.label}>
        Name
        <input name="name" required maxLength={200} className={`${CLS.input} mt-1`} />
      </label>
      <label className={CLS.label}>
        Kind
        <select name="kind" className={`${CLS.input} mt-1`} defaultValue="face">
          <option value="face">face</option>
          <option value="object">object</option>
        </select>
      </label>
      <label className={CLS.label}>
        Objects are
        <select name="domain" className={`${CLS.input} mt-1`} defaultValue="photos">
          <option value="photos">photos (photo model)</option>
          <option value="drawings">drawings (handwritten-character model)</option>
        </select>
      </label>
      <label className={CLS.label}>
        Target false-accept rate
        <select name="targetFar" className={`${CLS.input} mt-1`} defaultValue="0.01">
          <option value="0.1">1 in 10 strangers accepted</option>
          <option value="0.01">1 in 100 strangers accepted</option>
          <option value="0.001">1 in 1,000 strangers accepted</option>
        </select>
      </label>
      <button type="submit" className={CLS.button} disabled={!ready}>{busy ? 'Creating…' : 'Create collection'}</button>
      {problem ? <div className="sm:col-span-5"><ProblemBox title={problem.title} detail={problem.detail} /></div> : null}
    </form>
  );
}
