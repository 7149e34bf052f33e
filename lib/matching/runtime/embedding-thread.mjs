// Entry of the embedding worker thread (lib/matching/runtime/embedding-worker.ts starts it). Plain ESM so
// Node can start it under tsx, vitest and Next alike: it registers tsx's loader in this thread
// and imports the TypeScript worker body, which resolves `@/lib/...` through tsconfig paths.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register({ tsconfig: workerData.tsconfig });
const { runEmbeddingWorker } = await import(workerData.entry);
await runEmbeddingWorker();
