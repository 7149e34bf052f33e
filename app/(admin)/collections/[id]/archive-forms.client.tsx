'use client';
import { useState } from 'react';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';
import { explainVerdict } from '@/app/_components/verdicts';
import type { ImportResult } from '@/lib/matching';

/** Upload a zip (folder per identity, or an export): POST /api/collections/{id}/import. */
export function ImportArchiveForm({ collectionId }: { collectionId: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const { hydrated, busy, problem, run } = useApiCall();
  return (
    <div className={`${CLS.card} space-y-3`}>
      <h2 className="text-lg font-medium">Import and export</h2>
      <p className="text-sm text-slate-600">
        Import a .zip with one folder per identity (the folder name becomes the identity; importing again only adds what is new), or an
        export of a collection. Larger galleries: <code className="font-mono">npm run enroll</code>.
      </p>
      <div className="flex flex-wrap items-center gap-3">
        <input type="file" accept=".zip,application/zip" aria-label="Archive to import" className="text-sm" disabled={!hydrated} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        <button
          type="button"
          className={CLS.button}
          disabled={!file || busy}
          onClick={async () => {
            const form = new FormData();
            form.append('archive', file!, file!.name);
            setResult(null);
            await run(async () => setResult(await callApi<ImportResult>(`/api/collections/${collectionId}/import`, { form })));
          }}
        >
          {busy ? 'Importing…' : 'Import'}
        </button>
        <a className={CLS.secondary} href={`/api/collections/${collectionId}/export`} download>
          Export as .zip
        </a>
      </div>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
      {result ? (
        <div role="status" className="space-y-1 text-sm">
          <p>
            {result.identities.created} identities created, {result.identities.existing} already there; {result.enrolled} images enrolled,{' '}
            {result.duplicates} already enrolled, {result.rejected.length} refused.{' '}
            <button type="button" className={CLS.link} onClick={() => window.location.reload()}>Refresh</button>
          </p>
          <ul>
            {result.rejected.map((r, i) => (
              <li key={i} className="text-red-800">✗ {r.file}: {r.reason === 'conflict' ? 'already enrolled for another identity.' : explainVerdict(r.reason)}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
