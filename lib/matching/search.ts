/**
 * Search and verify: embed the query (each face for face collections), take the k nearest
 * images from the index, group by identity, score each identity found there as the model's
 * open-set table was measured (`scoringOf`: the distance to the identity's centroid over all its
 * images, lib/calibration/centroid.ts, or to its nearest image), and decide match when the best
 * identity's distance is at or under the collection's threshold, else unknown. Every decision is
 * audited.
 */
import { span } from '@/lib/config/server-timing';
import type { Db } from '@/lib/db/client';
import { findIdentityVectors, findVectorsOfIdentities } from '@/lib/db/embeddings';
import { findImagesBySeq } from '@/lib/db/images';
import { ConflictError, InputError } from '@/lib/errors';
import { recordDecision } from './audit';
import type { Principal } from '@/lib/auth';
import { sha256Hex } from './runtime/blob-store';
import { cachedGallerySize, collectionThreshold, indexKey, loadCollection, modelFor, runtime, scoringOf, type CollectionRow } from './context';
import { cachedTrials } from './gallery-calibration';
import { centroidOf, decide, galleryCentroids, groupByIdentity, type Aggregate, type Neighbour } from '@/lib/calibration';
import { loadIdentity } from './identities';
import { decodeUpload, embedPrepared, prepareImage, type DetectSetting, type EmbeddedInput } from './runtime/embed-input';
import { decodeVector } from './runtime/vectors';
import { DEFAULT_EF } from './contract/collections';
import { MAX_K, type SearchResponse, type SearchResult, type VerifyResponse } from './contract/search';

/** Neighbours kept per result in the audit log. */
const AUDIT_NEIGHBOURS = 5;

async function embedQuery(c: CollectionRow, bytes: Uint8Array, purpose: 'enroll' | 'search', override?: DetectSetting): Promise<EmbeddedInput[]> {
  const rt = runtime();
  const model = await modelFor(rt, c);
  const img = await span('decode', () => decodeUpload(bytes));
  const detect = override ?? c.settings.detect ?? 'auto';
  // Face collections detect and align in the embedding worker; object collections resize here.
  const prepared = await span(c.kind === 'face' ? 'detect' : 'preprocess', () => prepareImage(rt.facePreparer, img, c.kind as 'face' | 'object', { manifest: model.manifest, detect, purpose }));
  const [embedded] = await span('embed', () => embedPrepared(rt.embedder, model.manifest.version, [prepared]));
  return embedded;
}

/**
 * Identifies the query image against a collection: one result per face (face collections, each
 * with its box) or one for the whole image. `detect` overrides the collection's detection setting.
 */
export async function search(caller: Principal, collectionId: string, bytes: Uint8Array, opts: { k?: number; detect?: DetectSetting } = {}): Promise<SearchResponse> {
  const k = opts.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new InputError('invalid_k', `k must be an integer in 1..${MAX_K}, got ${k}`);
  const rt = runtime();
  const c = await span('db', () => loadCollection(rt.db, caller, collectionId));
  const model = await modelFor(rt, c);
  const queries = await embedQuery(c, bytes, 'search', opts.detect);
  const aggregate = scoringOf(model);
  const threshold = collectionThreshold(c, model, await span('db', () => cachedGallerySize(rt.db, c)), cachedTrials(rt.db, c, aggregate)).distance!;
  const hits = await span('index', () => Promise.all(queries.map((q) => rt.indexes.search(indexKey(c, model), c.headSequence, q.embedding, k, c.settings.ef ?? DEFAULT_EF))));
  // Labels -> images; a label deleted after the index was read has no row and is dropped.
  const labels = [...new Set(hits.flat().map((h) => h.label))];
  const images = labels.length ? await span('db', () => findImagesBySeq(rt.db, c.id, labels)) : [];
  const bySeq = new Map(images.map((i) => [i.seq, i]));
  const nearest = hits.map((h) =>
    h.flatMap((hit) => {
      const img = bySeq.get(hit.label);
      return img ? [{ identityId: img.identityId, name: img.identity.name, distance: hit.distance }] : [];
    }),
  );
  const scored = await span('db', () => scoreIdentities(rt.db, c, aggregate, queries.map((q) => q.embedding), nearest));
  const results: SearchResult[] = queries.map((q, i) => {
    const d = decide(scored[i], threshold);
    return {
      ...(q.box ? { box: q.box } : {}),
      decision: { match: d.match, identityId: d.identityId, name: d.name, distance: d.distance, threshold: d.threshold },
      neighbours: d.neighbours,
    };
  });
  await span('audit', () => recordDecision(caller, {
    action: 'search',
    collectionId: c.id,
    modelVersion: c.modelVersion,
    threshold,
    queryHash: sha256Hex(bytes),
    details: { k, results: results.map((r) => ({ ...r, neighbours: r.neighbours.slice(0, AUDIT_NEIGHBOURS) })) },
  }));
  return { modelVersion: c.modelVersion, results };
}

/** Most centroids kept per collection and model (128-d: 25 MiB); past it the cache starts again. */
const MAX_CACHED_CENTROIDS = 50_000;

/** Centroids by collection and model version, with the head sequence they were read at. */
const centroidsAtHead = new Map<string, { headSequence: number; centroids: Map<string, Float32Array> }>();

/**
 * The centroids of these identities of a collection under its model, read once per gallery state:
 * every enrolment or removal advances the collection's head sequence (as for `cachedGallerySize`),
 * so centroids read at a head hold until it moves; only the identities not yet cached are read.
 */
async function cachedCentroids(db: Db, c: Pick<CollectionRow, 'id' | 'modelVersion' | 'headSequence'>, identityIds: string[]): Promise<Map<string, Float32Array>> {
  const key = `${c.id} ${c.modelVersion}`;
  let entry = centroidsAtHead.get(key);
  if (entry?.headSequence !== c.headSequence || entry.centroids.size > MAX_CACHED_CENTROIDS) {
    entry = { headSequence: c.headSequence, centroids: new Map() };
    centroidsAtHead.set(key, entry);
  }
  const missing = identityIds.filter((id) => !entry.centroids.has(id));
  if (missing.length > 0) {
    const rows = await findVectorsOfIdentities(db, missing, c.modelVersion);
    for (const g of galleryCentroids(rows.map((r) => ({ identity: r.identityId, vector: decodeVector(r.vector) })))) entry.centroids.set(g.identity, g.vector);
  }
  return entry.centroids;
}

/**
 * The identities among each query's nearest images, scored by `aggregate`: `nearest` keeps their
 * nearest image's distance; `centroid` the distance to the centroid of all their images under the
 * model (`cachedCentroids`; an identity removed meanwhile is dropped).
 */
async function scoreIdentities(db: Db, c: CollectionRow, aggregate: Aggregate, queries: Float32Array[], nearest: Neighbour[][]): Promise<Neighbour[][]> {
  const ids = [...new Set(nearest.flat().map((n) => n.identityId))];
  if (aggregate === 'nearest' || ids.length === 0) return nearest;
  const centroids = await cachedCentroids(db, c, ids);
  return nearest.map((ns, i) =>
    groupByIdentity(ns).flatMap((n) => {
      const centroid = centroids.get(n.identityId);
      return centroid ? [{ ...n, distance: euclidean(queries[i], centroid) }] : [];
    }),
  );
}

/**
 * Whether two images show the same identity, under a collection's model and threshold. `detect`
 * overrides the collection's detection setting; a face refusal of either image is its 422.
 */
export async function verifyPair(caller: Principal, collectionId: string, a: Uint8Array, b: Uint8Array, opts: { detect?: DetectSetting } = {}): Promise<VerifyResponse> {
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  const model = await modelFor(rt, c);
  const [ea, eb] = await Promise.all([embedQuery(c, a, 'enroll', opts.detect), embedQuery(c, b, 'enroll', opts.detect)]);
  const distance = euclidean(first(ea, 'a'), first(eb, 'b'));
  const threshold = collectionThreshold(c, model, { identities: 1, images: 1 }).distance!;
  const out = { modelVersion: c.modelVersion, same: distance <= threshold, distance, threshold };
  await recordDecision(caller, {
    action: 'verify', collectionId: c.id, modelVersion: c.modelVersion, threshold, queryHash: sha256Hex(a),
    details: { queryHashB: sha256Hex(b), same: out.same, distance },
  });
  return out;
}

/** Whether an image shows an enrolled identity: its distance to the identity as searches score it (`scoringOf`; `detect` as in `verifyPair`). */
export async function verifyIdentity(caller: Principal, identityId: string, bytes: Uint8Array, opts: { detect?: DetectSetting } = {}): Promise<VerifyResponse> {
  const rt = runtime();
  const identity = await loadIdentity(rt.db, caller, identityId);
  const c = await loadCollection(rt.db, caller, identity.collectionId);
  const model = await modelFor(rt, c);
  const rows = await findIdentityVectors(rt.db, identityId, c.modelVersion);
  if (rows.length === 0) throw new ConflictError('identity_has_no_images', `identity ${identityId} has no enrolled images under model ${c.modelVersion}; enroll some first`);
  const q = first(await embedQuery(c, bytes, 'enroll', opts.detect), 'image');
  const vectors = rows.map(decodeVector);
  const distance = scoringOf(model) === 'centroid' ? euclidean(q, centroidOf(vectors)) : Math.min(...vectors.map((v) => euclidean(q, v)));
  const threshold = collectionThreshold(c, model, { identities: 1, images: rows.length }).distance!;
  const out = { modelVersion: c.modelVersion, same: distance <= threshold, distance, threshold };
  await recordDecision(caller, {
    action: 'verify_identity', collectionId: c.id, modelVersion: c.modelVersion, threshold, queryHash: sha256Hex(bytes),
    details: { identityId, name: identity.name, same: out.same, distance },
  });
  return out;
}

function first(inputs: EmbeddedInput[], what: string): Float32Array {
  if (inputs.length === 0) throw new InputError('no_face', `no face found in ${what}`);
  return inputs[0].embedding;
}

/** Euclidean distance between two embeddings of one model. */
function euclidean(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}
