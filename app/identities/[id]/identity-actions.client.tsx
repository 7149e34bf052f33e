'use client';
import { useState } from 'react';
import { callApi, type Problem, problemOf } from '@/app/_components/api';
import { useHydrated } from '@/app/_components/use-hydrated';
import { CLS, ProblemBox } from '@/app/_components/ui';
import { explainVerdict } from '@/app/_components/verdicts';
import type { EnrollResult } from '@/lib/matching';

/** Several images at once (choose or drop): POST /api/identities/{id}/images, each file's verdicts shown. */
export function EnrollForm({ identityId, kind }: { identityId: string; kind: 'face' | 'object' }) {
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [result, setResult] = useState<{ enrolled: { file: string; verdicts: string[] }[]; rejected: { file: string; reason: string; detail: string }[] } | null>(null);
  const [dragging, setDragging] = useState(false);
  const hydrated = useHydrated();

  const submit = async () => {
    if (files.length === 0) return;
    const form = new FormData();
    for (const f of files) form.append('images', f, f.name);
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      const r = await callApi<EnrollResult>(`/api/identities/${identityId}/images`, { form });
      // `enrolled` keeps upload order without names: they are the files not named in `rejected`.
      const refused = new Set(r.rejected.map((x) => x.file));
      const names = files.map((f) => f.name).filter((n) => !refused.has(n));
      setResult({ enrolled: r.enrolled.map((e, i) => ({ file: names[i] ?? `image ${i + 1}`, verdicts: e.verdicts })), rejected: r.rejected });
      setFiles([]);
    } catch (err) {
      const p = problemOf(err);
      setProblem(p);
      if (p.rejected) setResult({ enrolled: [], rejected: p.rejected });
    } finally {
      setBusy(false);
    }
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
      <button type="button" className={CLS.button} disabled={!hydrated || busy || files.length === 0} onClick={submit}>
        {busy ? 'Enrolling…' : 'Enroll'}
      </button>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
      {result ? (
        <div role="status" className="space-y-2 text-sm">
          <p>
            Enrolled {result.enrolled.length}, refused {result.rejected.length}.{' '}
            {result.enrolled.length > 0 ? <button type="button" className={CLS.link} onClick={() => window.location.reload()}>Show them</button> : null}
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
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const hydrated = useHydrated();
  const act = async (run: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await run();
      window.location.reload();
    } catch (err) {
      setProblem(problemOf(err));
      setBusy(false);
    }
  };
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap gap-2">
        <button type="button" className={CLS.danger} disabled={!hydrated || busy} onClick={() => act(() => callApi(`/api/images/${imageId}`, { method: 'DELETE' }))}>
          Delete
        </button>
        {targets.length > 0 ? (
          <select
            aria-label="Move to identity"
            className="rounded-md border border-slate-300 px-2 text-xs"
            disabled={!hydrated || busy}
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

/** DELETE /api/identities/{id} after a confirmation; its images stop matching at once. */
export function DeleteIdentityButton({ id, name, collectionId }: { id: string; name: string; collectionId: string }) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const hydrated = useHydrated();
  return (
    <div className="space-y-2">
      <button
        type="button"
        className={CLS.danger}
        disabled={!hydrated}
        onClick={async () => {
          if (!window.confirm(`Delete “${name}” and all its examples?`)) return;
          try {
            await callApi(`/api/identities/${id}`, { method: 'DELETE' });
            window.location.assign(`/collections/${collectionId}`);
          } catch (err) {
            setProblem(problemOf(err));
          }
        }}
      >
        Delete identity
      </button>
      {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
    </div>
  );
}
