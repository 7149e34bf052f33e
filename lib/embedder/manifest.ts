/**
 * `manifest.json` of a model folder `models/<kind>/<version>/`: everything a loader must force
 * (input preprocessing, embedding dim, metric, thresholds) plus how the model was trained.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InputError, NotFoundError } from '@/lib/errors';
import type { PreprocessSpec } from '@/lib/imaging/types';
import type { Calibration } from '@/lib/calibration';
import type { PhotoBackbone } from './photo-backbone';

/** A file of the model folder pinned by its hash: the weights, the cohort, the open-set table (pinned-files.ts). */
export interface FileRef {
  /** File name, relative to the model folder. */
  file: string;
  /** sha256 hex of the file. */
  sha256: string;
}

/** The inference artefacts of a tower, each pinned by its hash (weights.ts writes and checks them). */
export interface ModelArtefacts {
  /** TF.js layers model: the training runtime and the inference fallback. */
  tfjs: { model: FileRef; weights: FileRef };
  /** The same tower exported to ONNX (onnx-export.ts), run by ONNX Runtime. */
  onnx: FileRef;
}

/** sha256 hex of some bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** zod schema of a `FileRef`. */
const fileRefSchema = z.object({ file: z.string().regex(/^[A-Za-z0-9._-]+$/), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict();

/** The training fields of a manifest, which an ensemble keeps for each member. */
const MEMBER_FIELDS = ['version', 'seed', 'config', 'metrics', 'lossHistory', 'pairsPerSecond', 'backend', 'trainingSeconds', 'createdAt'] as const;

/** How one member of an ensemble (`mergeTowers`) was trained: its own manifest's training fields. */
export type ManifestMember = Pick<ModelManifest, (typeof MEMBER_FIELDS)[number]>;

/** A member's record, taken from its manifest. */
export function manifestMember(m: ModelManifest): ManifestMember {
  return Object.fromEntries(MEMBER_FIELDS.map((k) => [k, m[k]])) as ManifestMember;
}

/** The manifest of one trained model version. */
export interface ModelManifest {
  /** Manifest format version. */
  format: 1;
  /** Model version, e.g. "omniglot-2026-11-29-a1b2". */
  version: string;
  /** What the model embeds. */
  kind: 'object' | 'face';
  /** Model input: preprocessed images, or raw vectors (heads over face descriptors). */
  input: { type: 'image'; preprocess: PreprocessSpec } | { type: 'vector'; dim: number };
  /** Tower architecture (a `TowerSpec`). */
  architecture: Record<string, unknown>;
  /** Embedding length. */
  embeddingDim: number;
  /** Euclidean distance between L2-normalised embeddings. */
  metric: 'euclidean';
  /** Thresholds learned on identities not seen in training. */
  calibration: Calibration;
  /** Data source and split. */
  data: { source: string; train: string[]; heldOut: string[]; identities: { train: number; heldOut: number } };
  /** Seed of the training run. */
  seed: number;
  /** Resolved training config. */
  config: Record<string, unknown>;
  /** Final metrics (e.g. held-out N-way one-shot accuracy). */
  metrics: Record<string, number>;
  /** Mean loss (and validation accuracy) per epoch. */
  lossHistory: { epoch: number; loss: number; valAccuracy?: number }[];
  /** Training throughput (images through the tower per second / pair-equivalents). */
  pairsPerSecond: number;
  /** TF.js backend used for training. */
  backend: string;
  /** Wall time of training in seconds. */
  trainingSeconds: number;
  /** ISO timestamp of creation. */
  createdAt: string;
  /** PNG plot file names, relative to the model folder. */
  plots: string[];
  /** An ensemble's members, each trained apart (then `lossHistory` is empty: see theirs). */
  members?: ManifestMember[];
  /** The score-normalisation cohort (`cohort.json`, pinned by sha256; see cohort.ts). */
  cohort?: FileRef;
  /** The open-set table (`openset-table.json`, pinned by sha256; see open-set-table.ts). */
  openSetTable?: FileRef;
  /** The inference artefacts and their sha256 (absent in manifests written before issue 20: TF.js only, unpinned). */
  artefacts?: ModelArtefacts;
  /** What an object model is for (issue 19): grey `drawing`s, or real `photo`s; absent = drawing (models before issue 19). */
  domain?: ModelDomain;
  /** The frozen backbone whose pooled features are a photo model's `vector` input. */
  backbone?: PhotoBackbone;
}

/** The image domain an object model was trained for. */
export type ModelDomain = 'drawing' | 'photo';

/** The domain of a model (`drawing` for object models written before the field existed). */
export function modelDomain(m: Pick<ModelManifest, 'domain'>): ModelDomain {
  return m.domain ?? 'drawing';
}

const thresholdPoint = z.object({
  distance: z.number(),
  far: z.number(),
  tar: z.number(),
  impostorPairs: z.number().int(),
  genuinePairs: z.number().int(),
});

const preprocessSchema = z.object({
  inputSizePx: z.number().int().positive(),
  channels: z.union([z.literal(1), z.literal(3)]),
  invert: z.boolean(),
  fit: z.enum(['fill', 'contain', 'cover']),
  background: z.number().min(0).max(255).optional(),
});

/** zod shape of the training fields (`MEMBER_FIELDS`). */
const memberShape = {
  version: z.string().regex(/^[A-Za-z0-9._-]+$/),
  seed: z.number().int(),
  config: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.number()),
  lossHistory: z.array(z.object({ epoch: z.number().int(), loss: z.number(), valAccuracy: z.number().optional() })),
  pairsPerSecond: z.number(),
  backend: z.string(),
  trainingSeconds: z.number(),
  createdAt: z.string(),
} satisfies Record<(typeof MEMBER_FIELDS)[number], z.ZodType>;

/** zod schema of `manifest.json`. */
export const modelManifestSchema = z.object({
  ...memberShape,
  format: z.literal(1),
  kind: z.enum(['object', 'face']),
  input: z.discriminatedUnion('type', [
    z.object({ type: z.literal('image'), preprocess: preprocessSchema }),
    z.object({ type: z.literal('vector'), dim: z.number().int().positive() }),
  ]),
  architecture: z.record(z.string(), z.unknown()),
  embeddingDim: z.number().int().positive(),
  metric: z.literal('euclidean'),
  calibration: z.object({
    curve: z.object({ distances: z.array(z.number()), far: z.array(z.number()), tar: z.array(z.number()) }),
    genuinePairs: z.number().int(),
    impostorPairs: z.number().int(),
    auc: z.number(),
    eer: z.number(),
    thresholds: z.object({ maxBalancedAccuracy: thresholdPoint, far1e2: thresholdPoint, far1e3: thresholdPoint }),
  }),
  data: z.object({
    source: z.string(),
    train: z.array(z.string()),
    heldOut: z.array(z.string()),
    identities: z.object({ train: z.number().int(), heldOut: z.number().int() }),
  }),
  plots: z.array(z.string()),
  members: z.array(z.object(memberShape)).optional(),
  cohort: fileRefSchema.optional(),
  openSetTable: fileRefSchema.optional(),
  artefacts: z.object({ tfjs: z.object({ model: fileRefSchema, weights: fileRefSchema }).strict(), onnx: fileRefSchema }).strict().optional(),
  domain: z.enum(['drawing', 'photo']).optional(),
  backbone: z.object({
    id: z.string().min(1),
    pins: z.object({ package: z.string(), version: z.string(), sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)) }),
    layer: z.string().min(1),
    dim: z.number().int().positive(),
    preprocess: preprocessSchema,
  }).optional(),
}).refine((m) => (m.domain === 'photo') === (m.backbone !== undefined && m.input.type === 'vector' && m.input.dim === m.backbone.dim), {
  message: 'a photo model (domain photo) has a backbone and takes its features as vector input of the backbone\'s dim; other models have neither',
  path: ['backbone'],
});

/** Parses and validates a manifest object; throws `InputError` (`invalid_manifest`) naming the bad field. */
export function parseManifest(value: unknown, where = 'manifest.json'): ModelManifest {
  const parsed = modelManifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('invalid_manifest', `${where}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data as ModelManifest;
}

/**
 * The bytes of `<dir>/manifest.json` with `fields` set, from the raw file rather than the parsed
 * manifest: parsing drops keys the schema does not name. The caller writes them.
 */
export async function manifestBytesWith(dir: string, fields: Partial<ModelManifest>): Promise<Uint8Array> {
  const raw = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  return new TextEncoder().encode(`${JSON.stringify({ ...raw, ...fields }, null, 2)}\n`);
}

/** Reads and validates `<dir>/manifest.json`. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new NotFoundError('model_not_found', `no model manifest at ${file}; train one with \`npm run train\``);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError('invalid_manifest', `${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseManifest(json, file);
}
