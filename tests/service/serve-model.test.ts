import { describe, expect, it } from 'vitest';
import { serveModel } from '@/lib/matching/runtime/serve-model';
import type { ServedModel } from '@/lib/matching/runtime/model-registry';

/** The runtime parts serveModel reads; the embedder must never be asked to load a refused model. */
function runtimeParts() {
  const loads: string[] = [];
  return {
    loads,
    rt: {
      served: new Map<string, ServedModel>(),
      modelRoots: { bundled: 'models', trained: '/nonexistent-trained-models' },
      embedder: { load: async (m: { version: string }) => void loads.push(m.version) } as never,
    },
  };
}

describe('serveModel', () => {
  it.each([
    { name: 'the photo head', input: 'photos-2026-12-05-259d' },
    { name: 'the raw photo feature', input: 'photos-raw-2026-12-05-d2fb' },
  ])('refuses $name for an object collection until photo collections are served (model_domain_mismatch)', async ({ input }) => {
    const { rt, loads } = runtimeParts();
    await expect(serveModel(rt, 'object', input)).rejects.toMatchObject({ code: 'model_domain_mismatch', message: expect.stringContaining(`model ${input} is a photo model`) });
    expect(loads).toEqual([]);
    expect(rt.served.size).toBe(0);
  });
});
