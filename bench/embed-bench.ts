/**
 * Benchmark 2, embedding: images per second at batch 1 and 64 for each default model, decode
 * included, on the backend this process runs; the face pipeline split into detect, align, embed;
 * the newest photo head (issue 19) at batch 1 and 8, split into decode, backbone, head.
 * The object and photo models and the face nets run on TF.js and, in the wasm child, on ONNX
 * Runtime too (issue 20 item 2; the photo backbone, BlazeFace, the landmark net and the descriptor
 * exported in memory: lib/embedder/onnx-keras.ts, onnx-tfgraph.ts, lib/faces/landmarks-onnx.ts,
 * descriptor-onnx.ts), side by side on the same images; each row records the 1-minute load average beside its figures.
 */
import { readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { initTf, type BackendName } from '@/lib/embedder/backend';
import { readManifest } from '@/lib/embedder/manifest';
import { onnxRuntimeVersion } from '@/lib/embedder/onnx-runtime';
import { loadPhotoBackbone } from '@/lib/embedder/photo-backbone';
import { loadModel, type InferenceRuntime } from '@/lib/embedder/weights';
import { listFolderImages } from '@/lib/datasets/folder';
import { alignFace, describeFaces, detectFaces, loadFaceModel } from '@/lib/faces';
import { decodeImage, preprocessImage } from '@/lib/imaging';
import { startEmbeddingPool } from '@/lib/matching/runtime/embedding-pool';
import { msSince, ROOT } from './common';
import { defaultModelDir } from './vectors';

/** One model x batch measurement. */
export interface EmbedRow {
  backend: string;
  model: string;
  batch: number;
  imagesPerSecond: number;
  /** Milliseconds per image by stage (decode+preprocess, detect, align, embed). */
  msPerImage: Record<string, number>;
  /** Object model: images per second of the network alone (1000 / embed ms per image). */
  networkImagesPerSecond?: number;
  /** The machine's 1-minute load average when the row finished (`os.loadavg()[0]`, as `uptime` prints). */
  loadAvg1: number;
}

/** Runs on `backend` (this process initialises it); `images` per measurement. */
export async function benchEmbedding(backend: BackendName, images: number): Promise<EmbedRow[]> {
  await initTf(backend);
  const rows: EmbedRow[] = [];

  // Object model: Omniglot PNGs, decode + preprocess + embed; ONNX Runtime once, beside wasm.
  const objDir = await defaultModelDir('object');
  for (const runtime of runtimesOn(backend)) {
    const obj = await loadModel(objDir, { inference: runtime });
    if (obj.manifest.input.type !== 'image') throw new Error('the object model takes images');
    const spec = obj.manifest.input.preprocess;
    const pngs = readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))), ['Greek']).slice(0, images).map((e) => e.bytes);
    await obj.embed([await preprocessImage(await decodeImage(pngs[0]), spec)]); // warm-up
    for (const batch of [1, 64]) {
      let decodeMs = 0;
      let embedMs = 0;
      for (let i = 0; i < pngs.length; i += batch) {
        const t0 = performance.now();
        const inputs = await Promise.all(pngs.slice(i, i + batch).map(async (b) => preprocessImage(await decodeImage(b), spec)));
        const t1 = performance.now();
        await obj.embed(inputs);
        decodeMs += t1 - t0;
        embedMs += msSince(t1);
      }
      rows.push({
        backend: runtimeLabel(runtime, backend),
        model: `object ${obj.manifest.version}`,
        batch,
        imagesPerSecond: (pngs.length * 1000) / (decodeMs + embedMs),
        msPerImage: { decode: decodeMs / pngs.length, embed: embedMs / pngs.length },
        networkImagesPerSecond: (pngs.length * 1000) / embedMs,
        loadAvg1: os.loadavg()[0],
      });
    }
    obj.dispose();
  }
  if (backend === 'wasm') rows.push(await benchObjectPool(objDir, images));

  // Face pipeline: ORL photos (decode, detect, align, embed), split by stage; BlazeFace, the
  // landmark net and the descriptor on each runtime.
  const orl = unzipSync(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/orl-faces/att_faces.zip'))), { filter: (f) => f.name.endsWith('.pgm') });
  const photos = Object.values(orl).slice(0, Math.max(8, Math.floor(images / 4)));
  for (const runtime of runtimesOn(backend)) {
    const face = await loadFaceModel(await defaultModelDir('face'), { inference: runtime });
    for (const batch of [1, 64]) {
      const ms = { decode: 0, detect: 0, align: 0, embed: 0 };
      let faces = 0;
      for (let i = 0; i < photos.length; i += batch) {
        let t = performance.now();
        const decoded = await Promise.all(photos.slice(i, i + batch).map((b) => decodeImage(b)));
        ms.decode += msSince(t);
        t = performance.now();
        const detected = [];
        for (const img of decoded) detected.push(await detectFaces(face.models, img));
        ms.detect += msSince(t);
        t = performance.now();
        const aligned = [];
        for (const [k, found] of detected.entries()) for (const f of found.slice(0, 1)) aligned.push((await alignFace(decoded[k], f.landmarks, face.config.alignment.method)).image);
        ms.align += msSince(t);
        t = performance.now();
        if (aligned.length > 0) await face.embed(await describeFaces(face.models, aligned, { flip: face.config.alignment.flip }));
        ms.embed += msSince(t);
        faces += aligned.length;
      }
      const total = ms.decode + ms.detect + ms.align + ms.embed;
      rows.push({
        backend: runtimeLabel(runtime, backend),
        model: `face ${face.manifest.version} (${faces}/${photos.length} faces found)`,
        batch,
        imagesPerSecond: (photos.length * 1000) / total,
        msPerImage: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v / photos.length])),
        loadAvg1: os.loadavg()[0],
      });
    }
    face.dispose();
  }
  rows.push(...(await benchPhotoModel(backend, Math.max(8, Math.floor(images / 4)))));
  return rows;
}

/** The newest committed photo head (issue 19): a `models/object/*` manifest of domain photo with a trained tower. */
async function photoHeadDir(): Promise<string> {
  const root = path.join(ROOT, 'models', 'object');
  const heads = [];
  for (const version of await readdir(root)) {
    const m = await readManifest(path.join(root, version));
    if (m.domain === 'photo' && (m.architecture as { identity?: boolean }).identity !== true) heads.push({ dir: path.join(root, version), createdAt: m.createdAt });
  }
  if (heads.length === 0) throw new Error(`no photo head in ${root}; train one with npm run train -- --preset photo`);
  return heads.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0].dir;
}

/** Photo model: grocery-store JPEGs, decode + preprocess, frozen backbone, head (no feature cache: every image runs the backbone); ONNX Runtime once, beside wasm. */
async function benchPhotoModel(backend: BackendName, count: number): Promise<EmbedRow[]> {
  const { tf } = await initTf(backend);
  const headDir = await photoHeadDir();
  const files = (await listFolderImages(path.join(ROOT, '../shared/data/grocery-store/images'))).slice(0, count).map((f) => f.bytes);
  const rows: EmbedRow[] = [];
  for (const runtime of runtimesOn(backend)) {
    const head = await loadModel(headDir, { inference: runtime });
    const loaded = await loadPhotoBackbone(tf, head.manifest.backbone, { inference: runtime });
    const spec = loaded.backbone.preprocess;
    await head.embed(await loaded.features([await preprocessImage(await decodeImage(files[0]), spec)])); // warm-up
    for (const batch of [1, 8]) {
      const ms = { decode: 0, backbone: 0, head: 0 };
      for (let i = 0; i < files.length; i += batch) {
        let t = performance.now();
        const inputs = await Promise.all(files.slice(i, i + batch).map(async (b) => preprocessImage(await decodeImage(b), spec)));
        ms.decode += msSince(t);
        t = performance.now();
        const features = await loaded.features(inputs);
        ms.backbone += msSince(t);
        t = performance.now();
        await head.embed(features);
        ms.head += msSince(t);
      }
      const total = ms.decode + ms.backbone + ms.head;
      rows.push({ backend: runtimeLabel(runtime, backend), model: `photo ${head.manifest.version}`, batch, loadAvg1: os.loadavg()[0], imagesPerSecond: (files.length * 1000) / total, msPerImage: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, v / files.length])) });
    }
    loaded.dispose();
    head.dispose();
  }
  return rows;
}

/** The inference runtimes measured on `backend`: ONNX Runtime once, beside wasm. */
function runtimesOn(backend: BackendName): InferenceRuntime[] {
  return backend === 'wasm' ? ['tfjs', 'onnx'] : ['tfjs'];
}

/** Batches of the pool row in flight per worker: the next batch waits at each worker, as under load. */
const POOL_BATCHES_IN_FLIGHT_PER_WORKER = 2;

/**
 * The object model as the service embeds it (issue 20 item 3): its embedding pool, one worker per
 * core (`EMBED_WORKERS`' default) on the service's runtime (`ML_INFERENCE` `auto`), fed batches of 64
 * with two per worker in flight, decoding and preprocessing on this thread as the request thread
 * does. `images` x 8 drawings (the first `images`, decoded anew each pass); network images/s from
 * inputs decoded beforehand.
 */
async function benchObjectPool(objDir: string, images: number): Promise<EmbedRow> {
  const manifest = await readManifest(objDir);
  if (manifest.input.type !== 'image') throw new Error('the object model takes images');
  const spec = manifest.input.preprocess;
  const workers = Math.max(1, os.availableParallelism());
  const greek = readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))), ['Greek']).slice(0, images).map((e) => e.bytes);
  const pngs = Array.from({ length: 8 }, () => greek).flat();
  const prepare = async (b: Uint8Array) => preprocessImage(await decodeImage(b), spec);
  const pool = await startEmbeddingPool({ workers, batchWindowMs: 0, maxBatchInputs: 64, backend: 'wasm', inference: 'auto', models: [{ kind: 'object', version: manifest.version, dir: objDir }] });
  try {
    // Runs `work` on each batch of 64 indices, workers x POOL_BATCHES_IN_FLIGHT_PER_WORKER at a time; ms elapsed.
    const stream = async (work: (from: number, to: number) => Promise<unknown>) => {
      const t0 = performance.now();
      let next = 0;
      await Promise.all(Array.from({ length: workers * POOL_BATCHES_IN_FLIGHT_PER_WORKER }, async () => {
        for (let from = next; from < pngs.length; from = next) {
          next = from + 64;
          await work(from, Math.min(pngs.length, from + 64));
        }
      }));
      return msSince(t0);
    };
    const inputs = await Promise.all(pngs.map(prepare));
    await stream((from, to) => pool.embed(manifest.version, inputs.slice(from, to))); // warm-up: every worker's first batches
    const networkMs = await stream((from, to) => pool.embed(manifest.version, inputs.slice(from, to)));
    const totalMs = await stream(async (from, to) => pool.embed(manifest.version, await Promise.all(pngs.slice(from, to).map(prepare))));
    return {
      backend: `${onnxRuntimeVersion()}, pool of ${workers}`,
      model: `object ${manifest.version}`,
      batch: 64,
      imagesPerSecond: (pngs.length * 1000) / totalMs,
      msPerImage: { total: totalMs / pngs.length },
      networkImagesPerSecond: (pngs.length * 1000) / networkMs,
      loadAvg1: os.loadavg()[0],
    };
  } finally {
    await pool.close();
  }
}

/** A row's backend column: the ONNX Runtime version, or the TF.js backend. */
function runtimeLabel(runtime: InferenceRuntime, backend: BackendName): string {
  return runtime === 'onnx' ? onnxRuntimeVersion() : backend;
}
