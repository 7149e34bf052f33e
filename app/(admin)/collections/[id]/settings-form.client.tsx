'use client';
import { useState } from 'react';
import { callApi } from '@/app/_components/api';
import { useApiCall } from '@/app/_components/use-api-call';
import { CLS, ProblemBox } from '@/app/_components/ui';
import type { CollectionDto } from '@/lib/matching';

/** PATCH /api/collections/{id}: name, target FAR, raw threshold override, face detection. */
export function CollectionSettingsForm({ collection: c }: { collection: CollectionDto }) {
  const [saved, setSaved] = useState(false);
  const { busy, ready, problem, run } = useApiCall();
  return (
    <form
      aria-label="Collection settings"
      className={`${CLS.card} grid gap-4 sm:grid-cols-2`}
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        const override = String(f.get('thresholdOverride') ?? '').trim();
        setSaved(false);
        await run(async () => {
          await callApi(`/api/collections/${c.id}`, {
            method: 'PATCH',
            json: {
              name: String(f.get('name')),
              targetFar: Number(f.get('targetFar')),
              thresholdOverride: override === '' ? null : Number(override),
              ...(c.kind === 'face' ? { settings: { ...c.settings, detect: String(f.get('detect')) } } : {}),
            },
          });
          setSaved(true);
          window.location.reload();
        });
      }}
    >
      <h2 className="text-lg font-medium sm:col-span-2">Settings</h2>
      <label className={CLS.label}>
        Name
        <input name="name" defaultValue={c.name} required maxLength={200} className={`${CLS.input} mt-1`} />
      </label>
      <label className={CLS.label}>
        Target false-accept rate (0–1)
        <input name="targetFar" type="number" step="any" min="0" max="1" defaultValue={c.targetFar} required className={`${CLS.input} mt-1`} />
      </label>
      <label className={CLS.label}>
        Raw threshold override (distance 0–2; empty = from the target FAR)
        <input name="thresholdOverride" type="number" step="any" min="0" max="2" defaultValue={c.thresholdOverride ?? ''} className={`${CLS.input} mt-1`} />
      </label>
      {c.kind === 'face' ? (
        <label className={CLS.label}>
          Face detection
          <select name="detect" defaultValue={c.settings.detect ?? 'auto'} className={`${CLS.input} mt-1`}>
            <option value="auto">auto: detect, or use small crops whole</option>
            <option value="always">always detect</option>
            <option value="never">never: images are aligned face crops</option>
          </select>
        </label>
      ) : null}
      <div className="flex items-center gap-3 sm:col-span-2">
        <button type="submit" className={CLS.button} disabled={!ready}>{busy ? 'Saving…' : 'Save settings'}</button>
        {saved ? <span role="status" className="text-sm text-emerald-700">Saved</span> : null}
      </div>
      {problem ? <div className="sm:col-span-2"><ProblemBox title={problem.title} detail={problem.detail} /></div> : null}
    </form>
  );
}
