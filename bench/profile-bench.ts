/**
 * Benchmark 6, profile: where one search's time goes (issue 20). Starts the server with
 * `SERVER_TIMING=1` (lib/config/server-timing.ts), builds an object collection (one Omniglot
 * drawing per identity) and a face collection (one CFP photo per identity), then sends `requests`
 * searches one at a time to each and averages the `Server-Timing` spans: auth, multipart parse,
 * database reads, decode, preprocess (object) or detect (face, in the embedding worker), embed,
 * index, audit write, JSON serialisation, and `total` inside `route()`. `outside` is the client's
 * latency less `total`: Next's routing and the HTTP exchange.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseServerTiming } from '@/lib/config/server-timing';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { log, percentile, ROOT } from './common';
import { cfpFiles } from './face-photo';
import { api, BOUNDARY, importFiles, KEY, multipart, startBenchServer } from './server';

/** The spans a search reports, in the order of the request. */
export const PROFILE_STAGES = ['auth', 'parse', 'db', 'decode', 'preprocess', 'detect', 'embed', 'index', 'audit', 'serialise'] as const;

/** Mean milliseconds per stage of one search kind. */
export interface ProfileRow {
  kind: 'object' | 'face';
  /** Identities in the collection searched. */
  identities: number;
  requests: number;
  /** Client-side latency, sequential requests. */
  clientP50Ms: number;
  clientMeanMs: number;
  /** Mean of the `total` span (inside route()). */
  totalMs: number;
  /** Mean per stage (0 when the kind has no such stage). */
  stagesMs: Record<(typeof PROFILE_STAGES)[number], number>;
  /** `total` less the stages: the handler's own code between them. */
  otherMs: number;
  /** Client mean less `total`: Next routing and HTTP. */
  outsideMs: number;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function profileSearches(base: string, collectionId: string, body: Buffer, warmup: number, requests: number): Promise<Omit<ProfileRow, 'kind' | 'identities'>> {
  const timings: Record<string, number>[] = [];
  const client: number[] = [];
  for (let i = 0; i < warmup + requests; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}/api/collections/${collectionId}/search`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: new Uint8Array(body) });
    await res.arrayBuffer();
    const ms = performance.now() - t0;
    if (!res.ok) throw new Error(`profile search: ${res.status}`);
    const header = res.headers.get('server-timing');
    if (!header) throw new Error('profile search: no Server-Timing header (is SERVER_TIMING=1 reaching the server?)');
    if (i < warmup) continue;
    timings.push(parseServerTiming(header));
    client.push(ms);
  }
  const stagesMs = Object.fromEntries(PROFILE_STAGES.map((s) => [s, mean(timings.map((t) => t[s] ?? 0))])) as ProfileRow['stagesMs'];
  const totalMs = mean(timings.map((t) => t.total));
  const clientMeanMs = mean(client);
  return { requests, clientP50Ms: percentile(client, 50), clientMeanMs, totalMs, stagesMs, otherMs: totalMs - Object.values(stagesMs).reduce((a, b) => a + b, 0), outsideMs: clientMeanMs - totalMs };
}

/** Runs the benchmark: `identities` object identities, `faces` face identities, `requests` searches each. */
export async function benchProfile(identities: number, faces: number, requests: number): Promise<{ rows: ProfileRow[] }> {
  const drawings = readOmniglotEntries(new Uint8Array(readFileSync(path.join(ROOT, '../shared/data/omniglot-background/images_background.zip'))));
  const { base, stop } = await startBenchServer({ SERVER_TIMING: '1' });
  try {
    const rows: ProfileRow[] = [];
    const objects = (await api(base, '/api/collections', { method: 'POST', json: { name: 'profile-object', kind: 'object', domain: 'drawings' } })) as { id: string };
    log(`profile: importing ${identities} object identities`);
    await importFiles(base, objects.id, drawings.slice(0, identities).map((d, i) => [`id${String(i).padStart(6, '0')}/${d.drawer}.png`, d.bytes]));
    const objectQuery = multipart('image', 'query.png', drawings[identities].bytes);
    rows.push({ kind: 'object', identities, ...(await profileSearches(base, objects.id, objectQuery, 20, requests)) });

    const people = cfpFiles(faces + 1);
    const faceCollection = (await api(base, '/api/collections', { method: 'POST', json: { name: 'profile-face', kind: 'face' } })) as { id: string };
    log(`profile: importing ${faces} face identities`);
    await importFiles(base, faceCollection.id, people.slice(0, faces));
    const faceQuery = multipart('image', 'query.jpg', people[faces][1], 'image/jpeg');
    rows.push({ kind: 'face', identities: faces, ...(await profileSearches(base, faceCollection.id, faceQuery, 5, requests)) });
    for (const r of rows) log(`profile ${r.kind}: client p50 ${r.clientP50Ms.toFixed(2)} ms, total ${r.totalMs.toFixed(2)} ms, ${PROFILE_STAGES.map((s) => `${s} ${r.stagesMs[s].toFixed(2)}`).join(', ')}, other ${r.otherMs.toFixed(2)}, outside ${r.outsideMs.toFixed(2)}`);
    return { rows };
  } finally {
    await stop();
  }
}
