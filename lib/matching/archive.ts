/**
 * Whole galleries in and out as zip archives.
 *
 * Import takes either layout:
 * - folder per identity: `<identity folder>/<image>`; the folder path is the identity's
 *   `externalId` (so a second import finds it again) and its last segment the name;
 * - an export of this service: `collection.json` plus `images/<sha256>.<ext>`, restoring names,
 *   external ids and metadata.
 * The archive's central directory is checked before anything is unpacked or written: entry count,
 * declared unpacked size, and every path (no `..`, no absolute or drive paths, no backslashes).
 * Images then go through `enrollImages` (one identity at a time), so the database, the blobs and the
 * index change through the one enrollment path; importing the same archive again only adds what is
 * missing (same bytes for the same identity are `duplicate`).
 *
 * Export writes `collection.json` (collection settings, identities with metadata, each image's
 * file, box, verdicts and its embeddings per model version, base64 float32) and the original
 * image files. Import re-embeds the originals with the target collection's model rather than trusting
 * stored vectors, so an export imported under the same model answers searches the same way.
 */
import { strToU8, unzipSync, zipSync, type UnzipFileInfo, type Zippable } from 'fflate';
import { env } from '@/lib/config/env';
import { findCollectionForExport, findIdentityIdByExternalId } from '@/lib/db/identities';
import { ConflictError, InputError } from '@/lib/errors';
import type { Principal } from '@/lib/auth';
import { requireAdmin } from './caller';
import { loadCollection, runtime } from './context';
import { metadataProblems, nameProblem, printable } from './names';
import { createIdentity } from './identities';
import { enrollImages, type UploadFile } from './images';
import type { ImportResult } from './contract/archive';
import { decodeVector } from './runtime/vectors';

/** Format tag of `collection.json`. */
export const EXPORT_FORMAT = 'fewshot-collection/1';

/** Images sent to `enrollImages` per call. */
const ENROLL_CHUNK = 16;

interface ExportImage {
  file: string;
  sha256: string;
  box: unknown;
  verdicts: unknown;
  embeddings: Record<string, string>;
}

interface ExportIdentity {
  name: string;
  externalId: string | null;
  metadata: unknown;
  images: ExportImage[];
}

interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  collection: { name: string; kind: string; domain: string | null; modelVersion: string; targetFar: number; thresholdOverride: number | null; settings: unknown };
  identities: ExportIdentity[];
}

const EXT: Record<string, string> = { png: 'png', jpeg: 'jpg', gif: 'gif', webp: 'webp', avif: 'avif', pgm: 'pgm', ppm: 'ppm', bmp: 'bmp' };

/** Throws unless every entry path is a plain relative path inside the archive. */
function checkEntryPath(name: string): void {
  const unsafe =
    name.startsWith('/') || name.includes('\\') || /^[A-Za-z]:/.test(name) || name.includes('\0') || name.split('/').some((part) => part === '..');
  if (unsafe) throw new InputError('archive_unsafe_path', `archive entry "${name}" points outside the archive (absolute, drive or ".." path); nothing was imported`);
}

const isHidden = (name: string) => name.split('/').some((p) => p.startsWith('.') || p === '__MACOSX');

/**
 * Lists the entries to unpack from the central directory only, refusing the archive when it lists
 * too many entries, declares more unpacked bytes than allowed, or holds an unsafe path.
 */
function planArchive(bytes: Uint8Array): UnzipFileInfo[] {
  const listed: UnzipFileInfo[] = [];
  try {
    unzipSync(bytes, {
      filter: (f) => {
        listed.push(f);
        return false; // list only: nothing is inflated here
      },
    });
  } catch (err) {
    throw new InputError('invalid_archive', `not a readable zip archive (${(err as Error).message})`);
  }
  if (listed.length > env.MAX_ARCHIVE_ENTRIES) {
    throw new InputError('archive_too_large', `the archive lists ${listed.length} entries; at most ${env.MAX_ARCHIVE_ENTRIES} (MAX_ARCHIVE_ENTRIES); nothing was imported`);
  }
  for (const f of listed) checkEntryPath(f.name);
  const files = listed.filter((f) => !f.name.endsWith('/') && !isHidden(f.name));
  const unpacked = files.reduce((sum, f) => sum + f.originalSize, 0);
  if (unpacked > env.MAX_ARCHIVE_UNPACKED_BYTES) {
    throw new InputError(
      'archive_too_large',
      `the archive unpacks to ${unpacked} bytes; at most ${env.MAX_ARCHIVE_UNPACKED_BYTES} (MAX_ARCHIVE_UNPACKED_BYTES); nothing was imported`,
    );
  }
  if (files.length === 0) throw new InputError('invalid_archive', 'the archive holds no files');
  return files;
}

/** Unpacks the planned entries; a lying size header cannot grow an entry past its declared size. */
function unpack(bytes: Uint8Array, plan: UnzipFileInfo[]): Map<string, Uint8Array> {
  const wanted = new Set(plan.map((f) => f.name));
  try {
    return new Map(Object.entries(unzipSync(bytes, { filter: (f) => wanted.has(f.name) })));
  } catch (err) {
    throw new InputError('invalid_archive', `the zip archive is corrupt (${(err as Error).message}); nothing was imported`);
  }
}

type PlannedIdentity = { name: string; externalId: string | null; metadata: unknown; files: { name: string; bytes: Uint8Array }[] };

function identitiesFromExport(files: Map<string, Uint8Array>): PlannedIdentity[] {
  let doc: ExportDocument;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(files.get('collection.json')!)) as ExportDocument;
  } catch {
    throw new InputError('invalid_archive', 'collection.json is not valid JSON');
  }
  if (doc?.format !== EXPORT_FORMAT || !Array.isArray(doc.identities)) {
    throw new InputError('invalid_archive', `collection.json is not a ${EXPORT_FORMAT} export (format ${JSON.stringify(doc?.format)})`);
  }
  return doc.identities.map((i) => ({
    name: String(i.name),
    externalId: i.externalId ?? null,
    metadata: i.metadata ?? null,
    files: (i.images ?? []).map((img) => {
      const bytes = files.get(img.file);
      if (!bytes) throw new InputError('invalid_archive', `collection.json names ${img.file}, which the archive does not hold`);
      return { name: img.file, bytes };
    }),
  }));
}

function identitiesFromFolders(files: Map<string, Uint8Array>): PlannedIdentity[] {
  const byFolder = new Map<string, { name: string; bytes: Uint8Array }[]>();
  for (const [name, bytes] of files) {
    const slash = name.lastIndexOf('/');
    if (slash < 0) throw new InputError('invalid_archive', `images must sit in one folder per identity, but ${name} is in the archive's root`);
    const folder = name.slice(0, slash);
    const inFolder = byFolder.get(folder) ?? [];
    inFolder.push({ name, bytes });
    byFolder.set(folder, inFolder);
  }
  const cmp = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  return [...byFolder.keys()].sort(cmp).map((folder) => ({
    name: folder.slice(folder.lastIndexOf('/') + 1),
    externalId: folder,
    metadata: null,
    files: byFolder.get(folder)!.sort((a, b) => cmp(a.name, b.name)),
  }));
}

/** Refuses, before anything is written, a name or metadata the API would refuse (lib/matching/names.ts). */
function checkPlan(plan: PlannedIdentity[]): void {
  for (const who of plan) {
    const problems = [nameProblem(who.name), ...(who.metadata === null ? [] : metadataProblems(who.metadata))].filter((p) => p !== null);
    if (problems.length > 0) {
      throw new InputError('invalid_archive', `identity "${printable(who.externalId ?? who.name)}": ${problems.join('; ')}; nothing was imported`);
    }
  }
}

/** Finds the identity with this external id, or creates it. */
async function findOrCreate(caller: Principal, collectionId: string, who: PlannedIdentity): Promise<{ id: string; created: boolean }> {
  const { db } = runtime();
  if (who.externalId !== null) {
    const found = await findIdentityIdByExternalId(db, collectionId, who.externalId);
    if (found !== null) return { id: found, created: false };
  }
  const made = await createIdentity(caller, collectionId, {
    name: who.name,
    ...(who.externalId !== null ? { externalId: who.externalId } : {}),
    ...(who.metadata && typeof who.metadata === 'object' ? { metadata: who.metadata as Record<string, unknown> } : {}),
  });
  return { id: made.id, created: true };
}

/** Imports a zip archive (either layout, see the module comment) into a collection. */
export async function importArchive(caller: Principal, collectionId: string, archive: Uint8Array): Promise<ImportResult> {
  requireAdmin(caller, 'importing an archive');
  await loadCollection(runtime().db, caller, collectionId);
  const files = unpack(archive, planArchive(archive));
  const layout = files.has('collection.json') ? 'export' : 'folders';
  const plan = layout === 'export' ? identitiesFromExport(files) : identitiesFromFolders(files);
  checkPlan(plan);
  const result: ImportResult = { layout, identities: { created: 0, existing: 0 }, enrolled: 0, duplicates: 0, rejected: [] };
  for (const who of plan) {
    const { id, created } = await findOrCreate(caller, collectionId, who);
    result.identities[created ? 'created' : 'existing']++;
    // A conflict (a file enrolled for another identity) refuses the whole call: retry its files one by one.
    const send = async (batch: UploadFile[]): Promise<void> => {
      try {
        const r = await enrollImages(caller, id, batch);
        for (const e of r.enrolled) result[e.verdicts.includes('duplicate') ? 'duplicates' : 'enrolled']++;
        result.rejected.push(...r.rejected);
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        if (batch.length > 1) for (const file of batch) await send([file]);
        else result.rejected.push({ file: batch[0].name, reason: 'conflict', detail: err.message });
      }
    };
    for (let i = 0; i < who.files.length; i += ENROLL_CHUNK) await send(who.files.slice(i, i + ENROLL_CHUNK));
  }
  return result;
}

/** Exports a collection (admin) as a zip archive; see the module comment for the layout. */
export async function exportCollection(caller: Principal, collectionId: string): Promise<{ name: string; bytes: Uint8Array }> {
  requireAdmin(caller, 'exporting a collection');
  const rt = runtime();
  const c = await loadCollection(rt.db, caller, collectionId);
  const identities = await findCollectionForExport(rt.db, collectionId);
  const zippable: Zippable = {};
  const doc: ExportDocument = {
    format: EXPORT_FORMAT,
    exportedAt: new Date().toISOString(),
    collection: { name: c.name, kind: c.kind, domain: c.domain, modelVersion: c.modelVersion, targetFar: c.targetFar, thresholdOverride: c.thresholdOverride, settings: c.settings },
    identities: [],
  };
  for (const i of identities) {
    const images: ExportImage[] = [];
    for (const img of i.images) {
      const file = `images/${img.blob.sha256}.${EXT[img.blob.format] ?? 'bin'}`;
      if (!zippable[file]) zippable[file] = [await rt.blobs.read(img.blob.sha256), { level: 0 }]; // already compressed formats
      const embeddings: Record<string, string> = {};
      for (const e of img.embeddings) embeddings[e.modelVersion] = ((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength))(decodeVector(e.vector)).toString('base64');
      images.push({ file, sha256: img.blob.sha256, box: img.box, verdicts: img.verdicts, embeddings });
    }
    doc.identities.push({ name: i.name, externalId: i.externalId, metadata: i.metadata, images });
  }
  zippable['collection.json'] = strToU8(`${JSON.stringify(doc, null, 1)}\n`);
  return { name: `${c.name.replace(/[^A-Za-z0-9._-]+/g, '_')}.zip`, bytes: zipSync(zippable) };
}
