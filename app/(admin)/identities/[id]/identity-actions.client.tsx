'use client';
import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';
import { explainVerdict } from '@/app/_components/verdicts';
import type { EnrollResult } from '@/lib/matching';

/** Several images at once (choose or drop): POST /api/identities/{id}/images, each file's verdicts shown. */
export function EnrollForm({ identityId, kind }: { identityId: string; kind: 'face' | 'object' }) {
  const [files, setFiles] = useState<File[]>([]);
  const [enrolled, setEnrolled] = useState<{ enrolled: { file: string; verdicts: string[] }[]; rejected: { file: string; reason: string; detail: string }[] } | null>(null);
  const [dragging, setDragging] = useState(false);
  const { hydrated, busy, ready, problem, run } = useApiCall();
  const router = useRouter();
  // A 422 enrolled nothing: its problem carries why each file was refused.
  const result = enrolled ?? (problem?.rejected ? { enrolled: [], rejected: problem.rejected } : null);

  const submit = async () => {
    if (files.length === 0) return;
    const form = new FormData();
    for (const f of files) form.append('images', f, f.name);
    setEnrolled(null);
    await run(async () => {
      const r = await callApi<EnrollResult>(`/api/identities/${identityId}/images`, { form });
      // `enrolled` keeps upload order without names: they are the files not named in `rejected`.
      const refused = new Set(r.rejected.map((x) => x.file));
      const names = files.map((f) => f.name).filter((n) => !refused.has(n));
      setEnrolled({ enrolled: r.enrolled.map((e, i) => ({ file: names[i] ?? `image ${i + 1}`, verdicts: e.verdicts })), rejected: r.rejected });
      setFiles([]);
      // Re-renders the page's server parts (image count, examples) without a reload; this form keeps its state.
      if (r.enrolled.length > 0) router.refresh();
    });
  };

  return (
    <div className={`${CLS.card} space-y-3`}>
      <h2 className="text-lg font-medium">Enroll images</h2>
      <label
        className={`flex cursor-pointer flex-col items-center rounded-md border-2 border-dashed p-6 text-sm ${dragging ? 'border-slate-700 bg-slate-100' : 'border-slate-300'}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          setFiles([...e.dataTransfer.files]);
        }}
      >
        <span>Drop images here or choose files ({kind === 'face' ? 'one face per photo works best' : 'one object per image'})</span>
        <input type="file" name="images" multiple accept="image/*,.pgm,.ppm,.bmp" className="mt-2 text-sm" aria-label="Images to enroll" disabled={!hydrated} onChange={(e) => setFiles([...(e.target.files ?? [])])} />
      </label>
      {files.length > 0 ? <p className="text-sm text-slate-600">{files.length} file{files.length === 1 ? '' : 's'} selected</p> : null}
      <button type="button" className={CLS.button} disabled={!ready || files.length === 0} onClick={submit}>
        {busy ? 'Enrolling…' : 'Enroll'}
      </button>
      {/* A refusal of every file lists each file's reason in words below: its API detail adds nothing. */}
      {problem ? <ProblemBox title={problem.title} detail={problem.rejected ? null : problem.detail} /> : null}
      {result ? (
        <div role="status" className="space-y-2 text-sm">
          <p>
            Enrolled {result.enrolled.length}, refused {result.rejected.length}.
          </p>
          <ul className="space-y-1">
            {result.enrolled.map((e, i) => (
              <li key={`e${i}`} className="text-emerald-800">
                ✓ {e.file}{e.verdicts.length ? `: ${e.verdicts.map(explainVerdict).join(' ')}` : ''}
              </li>
            ))}
            {result.rejected.map((r, i) => (
              <li key={`r${i}`} className="text-red-800">
                ✗ {r.file}: {explainVerdict(r.reason)} <span className="text-slate-500">({r.detail})</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}

/** Delete one example, or move it to another identity of the collection. */
export function ImageActions({ imageId, targets }: { imageId: string; targets: { id: string; name: string }[] }) {
  const { ready, problem, run } = useApiCall();
  const act = (call: () => Promise<unknown>) =>
    run(
      async () => {
        await call();
        window.location.reload();
      },
      { leaves: true },
    );
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        <button type="button" className={CLS.danger} disabled={!ready} onClick={() => act(() => callApi(`/api/images/${imageId}`, { method: 'DELETE' }))}>
          Delete
        </button>
        {targets.length > 0 ? (
          <select
            aria-label="Move to identity"
            className="rounded-md border border-slate-300 px-2 text-xs"
            disabled={!ready}
            defaultValue=""
            onChange={(e) => {
              const identityId = e.target.value;
              if (identityId) void act(() => callApi(`/api/images/${imageId}`, { method: 'PATCH', json: { identityId } }));
            }}
          >
            <option value="">Move to…</option>
            {targets.map((t) => (
              <option key={t.id} value={t.id}>{t.name}</option>
            ))}
          </select>
        ) : null}
      </div>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
    </div>
  );
}
