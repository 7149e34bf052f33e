'use client';
import { useEffect, useState } from 'react';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { imageSrc } from '@/app/_components/image-src';
import { CLS, DistanceBar, ProblemBox } from '@/app/_components/ui';
import type { ImageDto, Page, SearchResponse } from '@/lib/matching';

interface Choice {
  id: string;
  name: string;
  kind: 'face' | 'object';
  identityCount: number;
}

/** Up to 3 enrolled examples of an identity, loaded from the API. */
function Examples({ identityId, name }: { identityId: string; name: string }) {
  const [images, setImages] = useState<ImageDto[] | null>(null);
  useEffect(() => {
    callApi<Page<ImageDto>>(`/api/identities/${identityId}/images?limit=3`)
      .then((p) => setImages(p.items))
      .catch(() => setImages([]));
  }, [identityId]);
  if (images === null) return <span className="text-xs text-slate-400">loading…</span>;
  return (
    <span className="flex gap-1">
      {images.map((img) => (
        <img key={img.id} src={imageSrc(img)} alt={`enrolled example of ${name}`} className="h-12 w-12 rounded bg-slate-100 object-contain" />
      ))}
    </span>
  );
}

/** Pick a collection, give an image (choose, drop or paste), see the decision and the neighbours. */
export function SearchPanel({ collections, initialId }: { collections: Choice[]; initialId: string }) {
  const [collectionId, setCollectionId] = useState(initialId);
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<{ url: string; width: number; height: number } | null>(null);
  const [answer, setAnswer] = useState<(SearchResponse & { query: string }) | null>(null);
  const { hydrated, busy, problem, run, clear } = useApiCall();

  const choose = (f: File | null | undefined) => {
    if (!f) return;
    setFile(f);
    setAnswer(null);
    clear();
    showPreview(URL.createObjectURL(f), async () => {
      // The browser cannot show this format (PGM/PPM, some BMP): show the API's PNG rendition of it.
      const form = new FormData();
      form.append('image', f, f.name);
      return URL.createObjectURL(await callApi<Blob>('/api/renditions', { form, blob: true }));
    });
  };

  /** Shows `url` with its natural size; when the browser cannot decode it, `fallback()`'s URL instead. */
  const showPreview = (url: string, fallback: (() => Promise<string>) | null) => {
    const img = new Image();
    img.onload = () => setPreview({ url, width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => {
      if (fallback) fallback().then((next) => showPreview(next, null), () => setPreview({ url, width: 0, height: 0 }));
      else setPreview({ url, width: 0, height: 0 });
    };
    img.src = url;
  };

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => choose([...(e.clipboardData?.files ?? [])][0]);
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  const search = async () => {
    if (!file) return;
    const form = new FormData();
    form.append('image', file, file.name);
    setAnswer(null);
    await run(async () => setAnswer({ ...(await callApi<SearchResponse>(`/api/collections/${collectionId}/search`, { form })), query: file.name }));
  };

  return (
    <div className="grid gap-6 md:grid-cols-2">
      <div className="space-y-4">
        <label className={CLS.label}>
          Collection
          <select className={`${CLS.input} mt-1`} value={collectionId} onChange={(e) => { setCollectionId(e.target.value); setAnswer(null); }}>
            {collections.map((c) => (
              <option key={c.id} value={c.id}>{c.name} ({c.kind}, {c.identityCount} identities)</option>
            ))}
          </select>
        </label>
        <label
          className="flex cursor-pointer flex-col items-center rounded-md border-2 border-dashed border-slate-300 p-6 text-sm"
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            choose(e.dataTransfer.files[0]);
          }}
        >
          <span>Drop an image, choose one, or paste from the clipboard</span>
          <input type="file" accept="image/*,.pgm,.ppm,.bmp" className="mt-2 text-sm" aria-label="Query image" disabled={!hydrated} onChange={(e) => choose(e.target.files?.[0])} />
        </label>
        <div>
          <button type="button" className={CLS.button} disabled={!file || busy} onClick={search}>{busy ? 'Searching…' : 'Search'}</button>
        </div>
        {preview ? (
          <figure className="relative w-fit max-w-full">
            <img src={preview.url} alt="query" className="max-h-80 max-w-full rounded border border-slate-200" />
            {answer && preview.width > 0
              ? answer.results.map((r, i) =>
                  r.box ? (
                    <span
                      key={i}
                      className={`absolute border-2 ${r.decision.match ? 'border-emerald-500' : 'border-amber-500'}`}
                      style={{
                        left: `${(r.box.x / preview.width) * 100}%`,
                        top: `${(r.box.y / preview.height) * 100}%`,
                        width: `${(r.box.width / preview.width) * 100}%`,
                        height: `${(r.box.height / preview.height) * 100}%`,
                      }}
                    >
                      <span className="absolute -top-5 left-0 bg-slate-900 px-1 text-xs text-white">{i + 1}</span>
                    </span>
                  ) : null,
                )
              : null}
          </figure>
        ) : null}
      </div>

      <div className="space-y-4" aria-live="polite">
        {problem ? <ProblemBox title={problem.title} detail={problem.detail} /> : null}
        {answer ? (
          <>
            <p className="text-xs text-slate-500" data-testid="answered" data-query={answer.query}>
              {answer.query} · model {answer.modelVersion}
            </p>
            {answer.results.length === 0 ? <p className="text-sm">No face was found in this image.</p> : null}
            {answer.results.map((r, i) => (
              <article key={i} className={`${CLS.card} space-y-3`} data-testid="search-result">
                <h2 className="text-lg font-semibold" data-testid="decision">
                  {answer.results.length > 1 ? `Face ${i + 1}: ` : ''}
                  {r.decision.match ? <span className="text-emerald-700">Match: {r.decision.name}</span> : <span className="text-amber-700">Unknown</span>}
                </h2>
                <DistanceBar distance={r.decision.distance} threshold={r.decision.threshold} />
                {r.neighbours.length > 0 ? (
                  <table className="w-full text-left text-sm">
                    <thead className="text-slate-500">
                      <tr><th className="py-1 font-medium">Nearest</th><th className="py-1 font-medium">Distance</th><th className="py-1 font-medium">Examples</th></tr>
                    </thead>
                    <tbody>
                      {r.neighbours.slice(0, 5).map((n) => (
                        <tr key={n.identityId} className="border-t border-slate-100">
                          <td className="py-1"><a className={CLS.link} href={`/identities/${n.identityId}`}>{n.name}</a></td>
                          <td className="py-1 font-mono text-xs">{n.distance.toFixed(3)}</td>
                          <td className="py-1"><Examples identityId={n.identityId} name={n.name} /></td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  <p className="text-sm text-slate-500">The collection has no enrolled images yet.</p>
                )}
              </article>
            ))}
          </>
        ) : null}
      </div>
    </div>
  );
}
