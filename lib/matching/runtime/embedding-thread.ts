/**
 * The embedding worker thread, an entry point (lib/config/entry-points.ts) that embedding-worker.ts
 * starts: initialises TF.js, loads the models it was given, and answers `embed`, `prepareFaces` and
 * `debugMemory` requests one at a time, in arrival order. Face detection runs here too: it is TF.js
 * work as heavy as embedding.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getTf, initTf, type BackendName } from '@/lib/embedder/backend';
import { loadServingModel, type BackboneCache } from '@/lib/embedder/photo-model';
import type { EmbeddingModel } from '@/lib/embedder/weights';
import { AppError } from '@/lib/errors';
import { loadFaceModel, prepareFaces, type FaceModel } from '@/lib/faces';
import type { WorkerModel, WorkerData, WorkerExit, WorkerReply, WorkerRequest } from './embedding-worker';

/** Runs the worker's message loop until the thread is terminated. */
async function runEmbeddingWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runEmbeddingWorker must run in a worker thread');
  const data = workerData as WorkerData;
  const models = new Map<string, Pick<EmbeddingModel, 'embed' | 'embedWithFeatures'>>();
  const faceModels = new Map<string, FaceModel>();
  const backbones: BackboneCache = new Map();
  let ready: Promise<BackendName>;
  try {
    ready = (async () => {
      const { backend } = await initTf(data.backend);
      for (const m of data.models) await load(m);
      return backend;
    })();
    port.postMessage({ id: 0, type: 'ready', backend: await ready } satisfies WorkerReply);
  } catch (err) {
    port.postMessage({ id: 0, type: 'error', code: codeOf(err), message: (err as Error).message } satisfies WorkerReply);
    return;
  }
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (req: WorkerRequest | WorkerExit) => {
    if (req.type === 'exit') process.exit(req.code); // outside the chain: between two native calls of the request in flight
    chain = chain.then(() => handle(req)).catch(() => undefined);
  });

  async function load(m: WorkerModel): Promise<void> {
    if (models.has(m.version)) return;
    if (m.kind === 'face') {
      // Verifies the face-api package version and weight hashes against face.json.
      const face = await loadFaceModel(m.dir, { inference: data.inference });
      faceModels.set(m.version, face);
      models.set(m.version, face);
    } else {
      models.set(m.version, await loadServingModel(m.dir, { inference: data.inference, backbones }));
    }
  }

  async function handle(req: WorkerRequest): Promise<void> {
    try {
      if (req.type === 'load') {
        await load(req.model);
        port!.postMessage({ id: req.id, type: 'loaded', version: req.model.version } satisfies WorkerReply);
        return;
      }
      if (req.type === 'debugMemory') {
        const { numTensors, numBytes } = getTf().memory();
        port!.postMessage({ id: req.id, type: 'memory', numTensors, numBytes } satisfies WorkerReply);
        return;
      }
      if (req.type === 'prepareFaces') {
        const face = faceModels.get(req.modelVersion);
        if (!face) throw new AppError('model_not_loaded', `face model ${req.modelVersion} is not loaded in the embedding worker (face models: ${[...faceModels.keys()].join(', ') || 'none'})`);
        const faces = await prepareFaces(req.image, {
          mode: req.options.detect, purpose: req.options.purpose, detector: face.config.detector, thresholds: face.config.thresholds, models: face.models, alignment: face.config.alignment,
        });
        const out = faces.map((f) => ({ box: f.box, descriptor: f.descriptor, verdicts: f.verdicts.map((v) => v.code) }));
        port!.postMessage({ id: req.id, type: 'faces', faces: out } satisfies WorkerReply);
        return;
      }
      const model = models.get(req.modelVersion);
      if (!model) throw new AppError('model_not_loaded', `model ${req.modelVersion} is not loaded in the embedding worker (loaded: ${[...models.keys()].join(', ') || 'none'})`);
      // A photo model's backbone features go back too when asked (enrolment caches them for a retrain).
      const out = req.features && model.embedWithFeatures ? await model.embedWithFeatures(req.inputs) : { embeddings: await model.embed(req.inputs) };
      const buffers = [...out.embeddings, ...('features' in out ? out.features : [])].map((e) => e.buffer as ArrayBuffer);
      port!.postMessage({ id: req.id, type: 'embeddings', ...out } satisfies WorkerReply, [...new Set(buffers)]);
    } catch (err) {
      port!.postMessage({ id: req.id, type: 'error', code: codeOf(err), message: (err as Error).message } satisfies WorkerReply);
    }
  }
}

function codeOf(err: unknown): string {
  return err instanceof AppError ? err.code : 'embedder_failed';
}

await runEmbeddingWorker();
