/**
 * The one reader of `process.env`: parsed once with zod into a frozen `env`.
 * Every variable is documented in README.md ("Configuration").
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const schema = z.object({
  /** Where SQLite, blob files (BLOB_STORE=fs), indexes and trained model folders live. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** `postgresql://…` selects PostgreSQL; unset (or `file:…`) uses SQLite under DATA_DIR. */
  DATABASE_URL: z.string().optional(),
  /**
   * Where image bytes and trained model files live: `fs` (DATA_DIR/blobs, one instance) or
   * `database` (rows of the database, shared by instances). Default: `database` on PostgreSQL, else `fs`.
   */
  BLOB_STORE: z.enum(['fs', 'database']).optional(),
  /** HTTP port of `npm start`. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Listen address of `npm start`. */
  HOST: z.string().default('0.0.0.0'),
  /** TF.js backend: auto tries tfjs-node then wasm. */
  ML_BACKEND: z.enum(['auto', 'tensorflow', 'wasm']).default('auto'),
  /** Inference runtime of the embedding worker: auto runs ONNX Runtime where a model has an .onnx artefact and it loads, else TF.js. */
  ML_INFERENCE: z.enum(['auto', 'onnx', 'tfjs']).default('auto'),
  /** Embedding worker threads (TF.js wasm computes on one thread each); unset: one per core. */
  EMBED_WORKERS: z.coerce.number().int().min(1).optional(),
  /**
   * How long an embed request that finds no worker free waits for others of the same model to share
   * its forward pass, in ms (issue 20 micro-batching); 0 (default) sends each request alone: 2 ms
   * measured no faster at 1, 4 or 16 clients (README.md, "Bad images, memory and the embedding worker").
   */
  EMBED_BATCH_WINDOW_MS: z.coerce.number().min(0).max(1000).default(0),
  /** Most inputs one micro-batch holds (the embed bench's batch 64); a request this large goes alone. */
  EMBED_BATCH_MAX_INPUTS: z.coerce.number().int().min(1).max(1024).default(64),
  /** Admin password; when unset one is generated and printed on first start. */
  ADMIN_PASSWORD: z.string().min(8).optional(),
  /** An API key with admin rights, accepted while set. */
  API_KEY: z.string().min(16).optional(),
  /** Folder of committed default models. */
  MODELS_DIR: z.string().default('./models'),
  /** Folder of the base training data (`omniglot-background/`), offered to retraining when present. */
  TRAINING_DATA_DIR: z.string().default('../shared/data'),
  /** Longest a retraining job may train, in minutes (its settings may ask for less). */
  MAX_RETRAIN_MINUTES: z.coerce.number().positive().default(30),
  /** Largest accepted upload body in bytes. */
  MAX_UPLOAD_BYTES: z.coerce.number().int().positive().default(20 * 1024 * 1024),
  /** Most entries an uploaded archive (collection import) may list. */
  MAX_ARCHIVE_ENTRIES: z.coerce.number().int().positive().default(10_000),
  /** Most bytes an uploaded archive may unpack to, summed over its entries (checked before extraction). */
  MAX_ARCHIVE_UNPACKED_BYTES: z.coerce.number().int().positive().default(512 * 1024 * 1024),
  /** Largest decoded image in pixels. */
  MAX_IMAGE_PIXELS: z.coerce.number().int().positive().default(40_000_000),
  /**
   * Reverse proxies in front of `npm start` whose `X-Forwarded-For`/`X-Forwarded-Proto` are trusted:
   * 0 (default) uses the socket's address and protocol and ignores those headers.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Wrong admin passwords one client address may send before each further try must wait (doubling delays). */
  LOGIN_FAILURES_PER_ADDRESS: z.coerce.number().int().positive().default(5),
  /** Wrong admin passwords from all addresses together before every sign-in must wait (doubling delays). */
  LOGIN_FAILURES_TOTAL: z.coerce.number().int().positive().default(20),
  /** How often an instance writes its heartbeat, renews its jobs' leases and looks for expired ones, in ms. */
  INSTANCE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(5_000),
  /** How long a job's lease lasts without a heartbeat of its owner before any instance marks it interrupted, in ms. */
  JOB_LEASE_MS: z.coerce.number().int().min(300).default(30_000),
  /** `1`: every API response carries a `Server-Timing` header of its spans (lib/config/server-timing.ts); `0` (default) measures nothing. */
  SERVER_TIMING: z.enum(['0', '1']).default('0'),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
});

/** Parsed configuration. */
export type Env = Readonly<
  z.infer<typeof schema> & {
    dataDir: string;
    modelsDir: string;
    trainingDataDir: string;
    embedWorkers: number;
    /**
     * DATA_DIR/cache: decoded Omniglot for retraining, and the photo backbone's features per image
     * sha256 (`photo-features/`, lib/training/photo-features.ts), written by enrolment and read by a
     * retrain. Local to each instance, also on PostgreSQL with the database blob store: a cache, so
     * another instance computes its own.
     */
    cacheDir: string;
  }
>;

function parseEnv(): Env {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid environment: ${issues}`);
  }
  // A lease must outlive a few missed heartbeats (a busy event loop, a slow database), or a live instance's job is interrupted.
  if (parsed.data.JOB_LEASE_MS < 3 * parsed.data.INSTANCE_HEARTBEAT_MS) {
    throw new Error(`invalid environment: JOB_LEASE_MS (${parsed.data.JOB_LEASE_MS}) must be at least 3 × INSTANCE_HEARTBEAT_MS (${parsed.data.INSTANCE_HEARTBEAT_MS})`);
  }
  const dataDir = path.resolve(parsed.data.DATA_DIR);
  return Object.freeze({
    ...parsed.data,
    dataDir,
    cacheDir: path.join(dataDir, 'cache'),
    modelsDir: path.resolve(parsed.data.MODELS_DIR),
    trainingDataDir: path.resolve(parsed.data.TRAINING_DATA_DIR),
    embedWorkers: parsed.data.EMBED_WORKERS ?? Math.max(1, os.availableParallelism()),
  });
}

/** The process configuration, parsed on first use. */
export const env: Env = parseEnv();
