/**
 * Batched inference of an exported tower (`model.onnx`, pinned by the manifest's sha256) under
 * ONNX Runtime: the same inputs, batching and test-time shifts as ./embed.ts on TF.js, so the two
 * agree to float rounding (tests/embedder/onnx-parity.test.ts: ≤ 1e-5 on 1,000 real images).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, NotReadyError } from '@/lib/errors';
import { EMBED_BATCH_SIZE, packInputs, splitRows, TEST_SHIFTS } from './embed';
import { sha256Hex, type ModelManifest } from './manifest';
import { ONNX_INPUT, ONNX_OUTPUT } from './onnx-export';
import { openOnnxSession } from './onnx-runtime';

/** An embed function over ONNX Runtime and the release of its session. */
export interface OnnxEmbedder {
  embed(inputs: readonly Float32Array[]): Promise<Float32Array[]>;
  release(): Promise<void>;
}

/** `x` [n, h, w, c] moved by dy rows and dx columns, zeros shifted in: out[y][x] = in[y − dy][x − dx]. */
function shifted(x: Float32Array, [n, h, w, c]: readonly number[], dy: number, dx: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let y = Math.max(dy, 0); y < Math.min(h, h + dy); y++) {
      const x0 = Math.max(dx, 0);
      const x1 = Math.min(w, w + dx);
      const from = ((b * h + (y - dy)) * w + (x0 - dx)) * c;
      out.set(x.subarray(from, from + (x1 - x0) * c), ((b * h + y) * w + x0) * c);
    }
  }
  return out;
}

/**
 * Opens the model folder's `.onnx` artefact. Throws `onnx_missing` (no artefact: a model saved
 * before issue 20), `onnx_unavailable` / `onnx_session_failed` (ONNX Runtime cannot run it: the
 * caller may fall back to TF.js), and `invalid_manifest` when the file's sha256 is not the manifest's.
 */
export async function openOnnxEmbedder(dir: string, manifest: ModelManifest, inputShape: readonly number[], testShifts: boolean): Promise<OnnxEmbedder> {
  const ref = manifest.artefacts?.onnx;
  if (!ref) throw new NotReadyError('onnx_missing', `${dir}: the manifest names no .onnx artefact (saved before issue 20; re-export with \`npm run export-onnx -- ${dir}\`)`);
  const file = path.join(dir, ref.file);
  const bytes = new Uint8Array(await readFile(file).catch((e: Error) => {
    throw new NotReadyError('onnx_missing', `cannot read ${file}: ${e.message}`);
  }));
  const got = sha256Hex(bytes);
  if (got !== ref.sha256) throw new InputError('invalid_manifest', `${file}: expected sha256 ${ref.sha256}, got ${got}; the file changed after the manifest was written (re-export it)`);
  const session = await openOnnxSession(bytes, { inputName: ONNX_INPUT, outputName: ONNX_OUTPUT });
  return {
    async embed(inputs) {
      const out: Float32Array[] = [];
      for (let start = 0; start < inputs.length; start += EMBED_BATCH_SIZE) {
        const chunk = inputs.slice(start, start + EMBED_BATCH_SIZE);
        const dims = [chunk.length, ...inputShape];
        const flat = packInputs(chunk, inputShape);
        if (!testShifts) {
          out.push(...splitRows(await session.run(flat, dims), chunk.length));
          continue;
        }
        // Mean of the shifted views' embeddings, normalised: s / sqrt(max(Σ s², 1e-12)).
        const sum = new Float32Array(chunk.length * manifest.embeddingDim);
        for (const [dy, dx] of TEST_SHIFTS) {
          const v = await session.run(dy === 0 && dx === 0 ? flat : shifted(flat, dims, dy, dx), dims);
          for (let i = 0; i < sum.length; i++) sum[i] += v[i];
        }
        for (const row of splitRows(sum, chunk.length)) {
          const norm = Math.sqrt(Math.max(row.reduce((s, v) => s + v * v, 0), 1e-12));
          out.push(row.map((v) => v / norm));
        }
      }
      return out;
    },
    release: () => session.release(),
  };
}
