// Child process of crash.test.ts: starts the service runtime from the environment and enrolls
// Omniglot drawings one request at a time, printing `ENROLL <sha256 of its first image>` as each
// enrolment request starts and `ACK {json}` after each acknowledged one, until it is killed.
// Run with: node --import tsx tests/service/enroll-stream.ts <collectionName>
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readOmniglotEntries } from '@/lib/datasets/omniglot';
import { createCollection, createIdentity, enrollImages, startRuntime } from '@/lib/matching/index';
import { OMNIGLOT_ZIP } from './harness';

const ADMIN = { actor: 'system', role: 'admin' as const, collectionId: null };

await startRuntime();
const c = await createCollection(ADMIN, { name: process.argv[2] ?? 'crash', kind: 'object', domain: 'drawings' });
console.log(`COLLECTION ${JSON.stringify({ id: c.id })}`);
const entries = readOmniglotEntries(new Uint8Array(readFileSync(OMNIGLOT_ZIP)), ['Korean']);
for (let i = 0; i + 1 < entries.length; i += 2) {
  const who = await createIdentity(ADMIN, c.id, { name: `${entries[i].character}-${i}` });
  // Written before the request starts (stdout to a pipe is synchronous): the hash names the first image's blob file.
  console.log(`ENROLL ${createHash('sha256').update(entries[i].bytes).digest('hex')}`);
  const res = await enrollImages(ADMIN, who.id, [entries[i], entries[i + 1]].map((e) => ({ name: e.path, bytes: e.bytes })));
  console.log(`ACK ${JSON.stringify({ identityId: who.id, paths: [entries[i].path, entries[i + 1].path], imageIds: res.enrolled.map((e) => e.imageId) })}`);
}
