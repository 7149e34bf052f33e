/**
 * Enrolled images. Enrolment is crash-safe in three steps: blob files first (content-addressed,
 * fsynced), then ONE transaction (blob rows, image rows with sequences allocated under the
 * collection's row lock, embeddings, changes, head sequence), then the index. A crash after the
 * commit is repaired by the index's catch-up at start; one before it leaves only an orphan file,
 * removed at start.
 */
import { env } from '@/lib/config/env';
import { deleteBlob, findBlobShas, upsertBlob } from '@/lib/db/blobs';
import { isDbError } from '@/lib/db/client';
import { createChange, createChanges } from '@/lib/db/changes';
import { findCollectionModelVersion } from '@/lib/db/collections';
import { createEmbedding } from '@/lib/db/embeddings';
import { countBlobImages, createImageRow, deleteImageRow, findIdentityImages, findImage, findImagesBySha, moveImageRow, type ImageWithBlob } from '@/lib/db/images';
import { AppError, ConflictError, InputError, NotFoundError } from '@/lib/errors';
import type { DecodedImage } from '@/lib/imaging';
import { cacheFeatures } from '@/lib/training/photo-features';
import { recordAudit } from './audit';
import type { Principal } from '@/lib/auth';
import { requireAdmin, requireScope } from './caller';
import { openBlobStream, sha256Hex } from './runtime/blob-store';
import { allocateSequences, collectionThreshold, gallerySize, loadCollection, modelFor, runtime, scoringOf } from './context';
import { cachedTrials } from './gallery-calibration';
import { addGalleryVerdicts } from './faces';
import { loadIdentity } from './identities';
import type { CommittedChange } from './runtime/index-store';
import { decodeCursor, pageLimit, toPage, type Page, type PageRequest } from './page';
import { renderPng } from './renditions';
import { decodeUpload, embedPrepared, prepareImage, type DetectSetting, type PreparedInput } from './runtime/embed-input';
import { applyToIndex } from './runtime/sync';
import { encodeVector } from './runtime/vectors';
import { REJECT_REASONS, type EnrollResult, type ImageDto, type RejectReason } from './contract/images';

const REASONS = new Set<string>(REJECT_REASONS);

/** One uploaded file. */
export interface UploadFile {
  /** File name (multipart) or `imagesBase64[i]`. */
  name: string;
  bytes: Uint8Array;
}

const CONTENT_TYPES: Record<string, string> = {
  png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif',
  pgm: 'image/x-portable-graymap', ppm: 'image/x-portable-pixmap', bmp: 'image/bmp',
};

/** An image that passed preparation; only its size is kept, so a batch never holds more than one decoded image (issue 16). */
type Accepted = { i: number; file: UploadFile; sha: string; img: Pick<DecodedImage, 'format' | 'width' | 'height'>; prepared: PreparedInput };

/** Attempts of an enrolment whose collection switched model versions while it embedded. */
const SWITCH_ATTEMPTS = 3;

/**
 * Enrolls images of an identity; see `EnrollResult` and the duplicate rules in the issue. When the
 * collection switches model versions (promote, rollback) while the images embed, the enrolment
 * starts again under the new version, so no image is stored without the version searches use.
 */
export async function enrollImages(caller: Principal, identityId: string, files: UploadFile[], opts: { detect?: DetectSetting } = {}): Promise<EnrollResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await enrollOnce(caller, identityId, files, opts);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'model_switched') || attempt >= SWITCH_ATTEMPTS) throw err;
    }
  }
}

async function enrollOnce(caller: Principal, identityId: string, files: UploadFile[], opts: { detect?: DetectSetting }): Promise<EnrollResult> {
  const rt = runtime();
  const identity = await loadIdentity(rt.db, caller, identityId);
  const collection = await loadCollection(rt.db, caller, identity.collectionId);
  const model = await modelFor(rt, collection);
  const detect = opts.detect ?? collection.settings.detect ?? 'auto';
  const results: ({ enrolled: EnrollResult['enrolled'][number] } | { rejected: EnrollResult['rejected'][number] })[] = [];
  const shas = files.map((f) => sha256Hex(f.bytes));

  const existing = await findImagesBySha(rt.db, collection.id, [...new Set(shas)]);
  const bySha = new Map(existing.map((e) => [e.blob.sha256, e]));
  const seen = new Set<string>();
  const toDecode: number[] = [];
  files.forEach((file, i) => {
    const sha = shas[i];
    const other = bySha.get(sha);
    if (other && other.identityId !== identityId) {
      throw new ConflictError('conflict', `${file.name} is already enrolled for identity ${other.identityId} ("${other.identity.name}") of this collection; nothing was stored`, {
        file: file.name, identityId: other.identityId, imageId: other.id,
      });
    }
    if (seen.has(sha)) {
      results[i] = { rejected: { file: file.name, reason: 'duplicate', detail: 'the same bytes appear earlier in this request' } };
    } else if (other) {
      results[i] = { enrolled: { imageId: other.id, verdicts: [...other.verdicts, 'duplicate'], ...(other.box ? { box: other.box } : {}) } };
    } else if (file.bytes.byteLength > env.MAX_UPLOAD_BYTES) {
      results[i] = { rejected: { file: file.name, reason: 'too_large', detail: `${file.bytes.byteLength} bytes; the limit is ${env.MAX_UPLOAD_BYTES}` } };
    } else {
      toDecode.push(i);
    }
    seen.add(sha);
  });

  const accepted: Accepted[] = [];
  for (const i of toDecode) {
    try {
      const img = await decodeUpload(files[i].bytes);
      const [prepared] = await prepareImage(rt.facePreparer, img, collection.kind as 'face' | 'object', { manifest: model.manifest, detect, purpose: 'enroll' });
      if (!prepared) throw new InputError('no_face', 'no face found');
      accepted.push({ i, file: files[i], sha: shas[i], img: { format: img.format, width: img.width, height: img.height }, prepared });
    } catch (err) {
      if (!(err instanceof AppError) || !REASONS.has(err.code)) throw err;
      results[i] = { rejected: { file: files[i].name, reason: err.code as RejectReason, detail: err.message } };
    }
  }

  if (accepted.length > 0) {
    const { backbone } = model.manifest;
    const embedded = await embedPrepared(rt.embedder, model.manifest.version, accepted.map((a) => [a.prepared]), { features: backbone !== undefined });
    if (collection.kind === 'face') {
      // Warnings against the identity's gallery, at the threshold searches use now.
      const threshold = collectionThreshold(collection, model, await gallerySize(rt.db, collection), cachedTrials(rt.db, collection, scoringOf(model))).distance!;
      await addGalleryVerdicts(rt.db, identityId, model.manifest.version, threshold, accepted.map((a, j) => ({ verdicts: a.prepared.verdicts, embedding: embedded[j][0].embedding })));
    }
    const { ids, changes } = await rt.blobs.withLock(accepted.map((a) => a.sha), async () => {
      for (const a of accepted) await rt.blobs.write(a.file.bytes);
      try {
        return await storeEnrolment(caller, collection.id, identityId, model.manifest.version, accepted, embedded.map((e) => e[0]));
      } catch (err) {
        // Nothing of a failed request stays: files no Blob row references go (shared ones stay).
        const keep = await findBlobShas(rt.db, accepted.map((a) => a.sha));
        for (const a of accepted) if (!keep.has(a.sha)) await rt.blobs.remove(a.sha);
        throw err;
      }
    });
    await applyToIndex(rt, collection.id, changes);
    // A photo model's backbone features go to the feature cache, so a retrain of the collection
    // never runs the backbone on these images (lib/training/photo-features.ts). A cache: a failed
    // write costs that retrain a backbone run, not the enrolment.
    if (backbone) {
      const features = accepted.flatMap((a, j) => (embedded[j][0].feature ? [{ sha256: a.sha, feature: embedded[j][0].feature }] : []));
      await cacheFeatures(env.cacheDir, backbone, features).catch((err: unknown) => {
        console.warn(`[enroll] photo features not cached: ${(err as Error).message}`);
      });
    }
    accepted.forEach((a, j) => {
      results[a.i] = { enrolled: { imageId: ids[j], verdicts: a.prepared.verdicts, ...(a.prepared.box ? { box: a.prepared.box } : {}) } };
    });
  }
  const out: EnrollResult = { enrolled: [], rejected: [] };
  for (const r of results) {
    if ('enrolled' in r) out.enrolled.push(r.enrolled);
    else out.rejected.push(r.rejected);
  }
  return out;
}

/** The enrolment transaction; returns the image ids and the committed changes (with vectors). */
async function storeEnrolment(
  caller: Principal,
  collectionId: string,
  identityId: string,
  modelVersion: string,
  accepted: Accepted[],
  embedded: { embedding: Float32Array }[],
): Promise<{ ids: string[]; changes: CommittedChange[] }> {
  const { db } = runtime();
  try {
    return await db.$transaction(async (tx) => {
      const first = await allocateSequences(tx, collectionId, accepted.length);
      // Under the collection's row lock: a model switch that committed while this request embedded wins.
      const now = await findCollectionModelVersion(tx, collectionId);
      if (now && now.modelVersion !== modelVersion) {
        throw new ConflictError('model_switched', `the collection switched from model ${modelVersion} to ${now.modelVersion} during the enrolment; retry`);
      }
      const ids: string[] = [];
      const changes: CommittedChange[] = [];
      for (const [j, a] of accepted.entries()) {
        const blobId = await upsertBlob(tx, { sha256: a.sha, sizeBytes: a.file.bytes.byteLength, format: a.img.format, width: a.img.width, height: a.img.height });
        const seq = first + j;
        const imageId = await createImageRow(tx, { collectionId, identityId, blobId, seq, verdicts: a.prepared.verdicts, box: a.prepared.box ?? null });
        const vector = embedded[j].embedding;
        await createEmbedding(tx, { imageId, modelVersion, dim: vector.length, vector: encodeVector(vector) });
        ids.push(imageId);
        changes.push({ sequence: seq, op: 'add', imageSeq: seq, vector });
      }
      await createChanges(tx, collectionId, changes);
      await recordAudit(tx, caller, { action: 'images.enroll', collectionId, modelVersion, details: { identityId, imageIds: ids, sha256: accepted.map((a) => a.sha) } });
      return { ids, changes };
    });
  } catch (err) {
    // A concurrent request stored the same bytes in this collection first.
    if (isDbError(err, 'unique')) throw new ConflictError('conflict', 'an image of this request was enrolled concurrently in this collection; retry to see where');
    // A foreign key failed: the identity was deleted while this request embedded.
    if (isDbError(err, 'foreignKey')) throw new NotFoundError('identity_not_found', `identity ${identityId} was deleted during the enrolment`);
    throw err;
  }
}

/** Lists an identity's images in enrolment order. */
export async function listImages(caller: Principal, identityId: string, req: PageRequest = {}): Promise<Page<ImageDto>> {
  const { db } = runtime();
  await loadIdentity(db, caller, identityId);
  const limit = pageLimit(req);
  const cursor = decodeCursor(req.cursor, 1);
  const rows = await findIdentityImages(db, { identityId, ...(cursor ? { afterSeq: Number(cursor[0]) } : {}), take: limit + 1 });
  return toPage(rows, limit, (r) => [String(r.seq)], toDto);
}

/**
 * The bytes of an image and their content type: the original, or with `format: 'png'` a PNG rendition
 * for display (browsers show neither PGM/PPM nor every BMP; a stored PNG is answered as it is).
 */
export async function getImageFile(caller: Principal, imageId: string, opts: { format?: 'original' | 'png' } = {}): Promise<ImageFile> {
  const rt = runtime();
  const image = await loadImage(caller, imageId);
  const sha256 = image.blob.sha256;
  if (opts.format === 'png' && image.blob.format !== 'png') {
    const png = await renderPng(await rt.blobs.read(sha256));
    return { body: new Blob([new Uint8Array(png)]).stream(), sizeBytes: png.byteLength, contentType: 'image/png', sha256 };
  }
  // The original is streamed from the store piece by piece (a 20 MB image is never one buffer here).
  return { body: await openBlobStream(rt.blobs, sha256), sizeBytes: image.blob.sizeBytes, contentType: CONTENT_TYPES[image.blob.format] ?? 'application/octet-stream', sha256 };
}

/** An image file as `getImageFile` answers it: its bytes as a stream, their total size and type. */
export interface ImageFile {
  body: ReadableStream<Uint8Array>;
  sizeBytes: number;
  contentType: string;
  sha256: string;
}

/** Deletes an image; it is out of the index before this returns. */
export async function deleteImage(caller: Principal, imageId: string): Promise<void> {
  requireAdmin(caller, 'deleting an image');
  const rt = runtime();
  const image = await loadImage(caller, imageId);
  const { change } = await rt.blobs.withLock([image.blob.sha256], async () => {
    const stored = await rt.db.$transaction(async (tx) => {
      const sequence = await allocateSequences(tx, image.collectionId, 1);
      await createChange(tx, image.collectionId, { sequence, op: 'delete', imageSeq: image.seq });
      if (!(await deleteImageRow(tx, imageId))) throw new NotFoundError('image_not_found', `image ${imageId} was deleted by a concurrent request`);
      const left = await countBlobImages(tx, image.blobId);
      if (left === 0) await deleteBlob(tx, image.blobId);
      await recordAudit(tx, caller, { action: 'image.delete', collectionId: image.collectionId, details: { imageId, identityId: image.identityId } });
      return { change: { sequence, op: 'delete' as const, imageSeq: image.seq }, orphanSha: left === 0 ? image.blob.sha256 : null };
    });
    if (stored.orphanSha) await rt.blobs.remove(stored.orphanSha);
    return stored;
  });
  await applyToIndex(rt, image.collectionId, [change]);
}

/** Moves an image to another identity of the same collection (its embedding and index label stay). */
export async function moveImage(caller: Principal, imageId: string, identityId: string): Promise<ImageDto> {
  requireAdmin(caller, 'moving an image');
  const { db } = runtime();
  const image = await loadImage(caller, imageId);
  const target = await loadIdentity(db, caller, identityId);
  if (target.collectionId !== image.collectionId) {
    throw new InputError('identity_other_collection', `identity ${identityId} belongs to collection ${target.collectionId}, the image to ${image.collectionId}; images move only within a collection`);
  }
  const row = await db.$transaction(async (tx) => {
    const moved = await moveImageRow(tx, imageId, identityId);
    await recordAudit(tx, caller, { action: 'image.move', collectionId: image.collectionId, details: { imageId, from: image.identityId, to: identityId } });
    return moved;
  });
  return toDto(row);
}

async function loadImage(caller: Principal, imageId: string): Promise<ImageWithBlob> {
  const image = await findImage(runtime().db, imageId);
  if (!image) throw new NotFoundError('image_not_found', `no image with id ${imageId}`);
  requireScope(caller, image.collectionId);
  return image;
}

function toDto(r: ImageWithBlob): ImageDto {
  return {
    id: r.id,
    identityId: r.identityId,
    collectionId: r.collectionId,
    sha256: r.blob.sha256,
    format: r.blob.format,
    width: r.blob.width,
    height: r.blob.height,
    sizeBytes: r.blob.sizeBytes,
    box: r.box,
    verdicts: r.verdicts,
    createdAt: r.createdAt.toISOString(),
  };
}
