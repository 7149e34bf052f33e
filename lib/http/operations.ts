/** Every operation of the REST API: the routes are built from these and the OpenAPI document lists them. */
import { defineOperation as op } from './operation';
import * as req from './request-schemas';
import { apiKeyPageSchema } from './registry';
import * as auth from '@/lib/auth';
import * as c from '@/lib/matching/contract';

const created = (what: string) => `The created ${what}.`;
const FACE_REFUSALS =
  'In a face collection, an image without a usable face is a 422 whose `code` is the refusal (`no_face`, `face_too_small`, ' +
  "`low_score`) and whose `detail` says what to do; `detect` overrides the collection's detection for this request.";

/** Sign-in, sign-out and API keys. */
export const authOps = {
  createSession: op({
    id: 'createSession', method: 'POST', path: '/api/session', tag: 'Auth',
    description:
      'Checks the admin password and sets the session cookie (HttpOnly, SameSite=Strict; Secure over https, directly or per a ' +
      'proxy trusted by TRUST_PROXY_HOPS). A wrong password is 401 and is audited (`session.fail`). After ' +
      'LOGIN_FAILURES_PER_ADDRESS wrong passwords from one client address, or LOGIN_FAILURES_TOTAL from all, each further try ' +
      'must wait 1 s, 2 s, 4 s … (at most 15 min) after the last failure and is 429 with `Retry-After` until then.',
    body: { json: req.loginBody },
    success: { status: 201, description: 'Signed in; the `Set-Cookie` header carries the session.', schema: auth.sessionSchema },
    extraProblems: [401, 429],
  }),
  deleteSession: op({
    id: 'deleteSession', method: 'DELETE', path: '/api/session', tag: 'Auth', description: 'Ends the session of the cookie (if any) and clears the cookie.',
    success: { status: 204, description: 'Signed out.' },
  }),
  createKey: op({
    id: 'createKey', method: 'POST', path: '/api/keys', tag: 'Auth', description: 'The key is in the response once and never again; only its SHA-256 is stored.',
    body: { json: req.createKeyBody },
    success: { status: 201, description: created('key, with the secret'), schema: auth.createdKeySchema },
    extraProblems: [404],
  }),
  listKeys: op({
    id: 'listKeys', method: 'GET', path: '/api/keys', tag: 'Auth',
    query: req.pageQuery, success: { status: 200, description: 'A page of keys, newest first.', schema: apiKeyPageSchema },
  }),
  revokeKey: op({
    id: 'revokeKey', method: 'DELETE', path: '/api/keys/{id}', tag: 'Auth',
    success: { status: 204, description: 'Revoked; the key stops working at once.' },
  }),
  listAudit: op({
    id: 'listAudit', method: 'GET', path: '/api/audit', tag: 'Auth',
    description: 'Every decision (search, verify) with its threshold, neighbours and query image hash, and every admin operation.',
    query: req.auditQuery, success: { status: 200, description: 'A page of entries, newest first.', schema: c.auditPageSchema },
  }),
};

/** Collections and identities. */
export const galleryOps = {
  createCollection: op({
    id: 'createCollection', method: 'POST', path: '/api/collections', tag: 'Collections',
    body: { json: req.createCollectionBody },
    success: { status: 201, description: created('collection'), schema: c.collectionSchema }, extraProblems: [409],
  }),
  listCollections: op({
    id: 'listCollections', method: 'GET', path: '/api/collections', tag: 'Collections',
    description: 'A scoped key sees only its collection.',
    query: req.pageQuery, success: { status: 200, description: 'A page of collections.', schema: c.collectionPageSchema },
  }),
  getCalibration: op({
    id: 'getCalibration', method: 'GET', path: '/api/collections/{id}/calibration', tag: 'Collections',
    description:
      'Leave-one-identity-out open-set trials from the enrolled examples under the current model: genuine score = distance of an ' +
      "example to its identity's nearest other example; impostor score = distance of an example to the nearest other identity. " +
      'FAR and FRR at the threshold in force with bootstrap 95% intervals, the target FARs the gallery can measure (3/f impostor ' +
      'trials for FAR f), and the ROC. With 5+ identities of 2+ examples and a measurable target, searches use this threshold.',
    success: { status: 200, description: 'The calibration report.', schema: c.calibrationReportSchema },
  }),
  importArchive: op({
    id: 'importArchive', method: 'POST', path: '/api/collections/{id}/import', tag: 'Collections',
    description:
      'Multipart field `archive`: a zip with one folder per identity (the folder path becomes the identity\'s externalId, so ' +
      'importing again adds only what is missing), or an export of this service (`collection.json`). The archive is refused ' +
      'before anything is unpacked or written when it lists more than MAX_ARCHIVE_ENTRIES entries or declares more than ' +
      'MAX_ARCHIVE_UNPACKED_BYTES (413), or holds an absolute, drive or `..` path (400). Images are enrolled as by ' +
      '`POST /api/identities/{id}/images`; files that fail are listed in `rejected`.',
    body: { multipart: req.importMultipart },
    success: { status: 200, description: 'What was imported.', schema: c.importResultSchema },
  }),
  exportCollection: op({
    id: 'exportCollection', method: 'GET', path: '/api/collections/{id}/export', tag: 'Collections',
    description:
      'A zip: `collection.json` (settings, identities with metadata, per image its file, box, verdicts and embeddings per model ' +
      'version as base64 float32) and the original images under `images/`. Import it with `POST /api/collections/{id}/import`.',
    success: { status: 200, description: 'The archive.', binary: 'application/zip' },
  }),
  getCollection: op({
    id: 'getCollection', method: 'GET', path: '/api/collections/{id}', tag: 'Collections',
    success: { status: 200, description: 'The collection.', schema: c.collectionSchema },
  }),
  updateCollection: op({
    id: 'updateCollection', method: 'PATCH', path: '/api/collections/{id}', tag: 'Collections',
    body: { json: req.updateCollectionBody },
    success: { status: 200, description: 'The updated collection.', schema: c.collectionSchema }, extraProblems: [409],
  }),
  deleteCollection: op({
    id: 'deleteCollection', method: 'DELETE', path: '/api/collections/{id}', tag: 'Collections', success: { status: 204, description: 'Deleted.' },
  }),
  createIdentity: op({
    id: 'createIdentity', method: 'POST', path: '/api/collections/{id}/identities', tag: 'Identities',
    body: { json: req.createIdentityBody },
    success: { status: 201, description: created('identity'), schema: c.identitySchema }, extraProblems: [409],
  }),
  listIdentities: op({
    id: 'listIdentities', method: 'GET', path: '/api/collections/{id}/identities', tag: 'Identities',
    query: req.identityListQuery, success: { status: 200, description: 'A page of identities.', schema: c.identityPageSchema },
  }),
  getIdentity: op({
    id: 'getIdentity', method: 'GET', path: '/api/identities/{id}', tag: 'Identities',
    success: { status: 200, description: 'The identity.', schema: c.identitySchema },
  }),
  updateIdentity: op({
    id: 'updateIdentity', method: 'PATCH', path: '/api/identities/{id}', tag: 'Identities',
    body: { json: req.updateIdentityBody },
    success: { status: 200, description: 'The updated identity.', schema: c.identitySchema }, extraProblems: [409],
  }),
  deleteIdentity: op({
    id: 'deleteIdentity', method: 'DELETE', path: '/api/identities/{id}', tag: 'Identities', description: 'Its images stop matching at once.', success: { status: 204, description: 'Deleted.' },
  }),
};

/** Images, search and verify. */
export const imageOps = {
  enrollImages: op({
    id: 'enrollImages', method: 'POST', path: '/api/identities/{id}/images', tag: 'Images',
    description:
      'Multipart field `images` (one or more files) or JSON `imagesBase64`. 201 when at least one image was enrolled, else 422 ' +
      'carrying the same `rejected`. The same bytes again for this identity answer as enrolled with verdict `duplicate`; bytes ' +
      'enrolled for another identity of the collection are 409 and nothing of the request is stored.',
    body: { multipart: req.enrollMultipart, json: req.enrollJson },
    success: { status: 201, description: 'What was enrolled and what was rejected, with reasons.', schema: c.enrollResultSchema },
    extraProblems: [409],
  }),
  listImages: op({
    id: 'listImages', method: 'GET', path: '/api/identities/{id}/images', tag: 'Images',
    query: req.pageQuery, success: { status: 200, description: 'A page of images.', schema: c.imagePageSchema },
  }),
  getImageFile: op({
    id: 'getImageFile', method: 'GET', path: '/api/images/{id}/file', tag: 'Images',
    description: '`format=png` answers a PNG of the decoded pixels instead (for display: browsers cannot show PGM/PPM).',
    query: req.imageFileQuery,
    success: { status: 200, description: 'The original bytes with their image content type, or `image/png` with `format=png`.', binary: 'image/*' },
  }),
  renderImage: op({
    id: 'renderImage', method: 'POST', path: '/api/renditions', tag: 'Images',
    description: 'Multipart `image`: any accepted image (PGM/PPM and BMP too), answered as a PNG of its decoded pixels, for a page to show a query before searching. Nothing is stored.',
    body: { multipart: req.renderMultipart },
    success: { status: 200, description: 'The PNG.', binary: 'image/png' },
  }),
  moveImage: op({
    id: 'moveImage', method: 'PATCH', path: '/api/images/{id}', tag: 'Images',
    body: { json: req.moveImageBody },
    success: { status: 200, description: 'The moved image.', schema: c.imageSchema }, extraProblems: [409],
  }),
  deleteImage: op({
    id: 'deleteImage', method: 'DELETE', path: '/api/images/{id}', tag: 'Images',
    success: { status: 204, description: 'Deleted; it stops matching at once.' },
  }),
  search: op({
    id: 'search', method: 'POST', path: '/api/collections/{id}/search', tag: 'Search',
    description:
      'Multipart `image` (and `k`, `detect`) or JSON `imageBase64`. Unknown is `match: false, identityId: null, name: null` with the best distance still given. ' +
      FACE_REFUSALS,
    body: { multipart: req.searchMultipart, json: req.searchJson },
    success: { status: 200, description: 'One result per query face (one for object collections).', schema: c.searchResponseSchema },
  }),
  verifyPair: op({
    id: 'verifyPair', method: 'POST', path: '/api/collections/{id}/verify', tag: 'Search', description: FACE_REFUSALS,
    body: { multipart: req.verifyPairMultipart, json: req.verifyPairJson },
    success: { status: 200, description: 'Same or not, at the collection threshold.', schema: c.verifyResponseSchema },
  }),
  verifyIdentity: op({
    id: 'verifyIdentity', method: 'POST', path: '/api/identities/{id}/verify', tag: 'Search', description: FACE_REFUSALS,
    body: { multipart: req.verifyImageMultipart, json: req.verifyImageJson },
    success: { status: 200, description: "Same or not, against the identity's closest image.", schema: c.verifyResponseSchema },
  }),
};

/** The service itself. */
export const metaOps = {
  health: op({
    id: 'health', method: 'GET', path: '/api/health', tag: 'Service',
    description: '200 when ready; 503 with the same body while starting, after a failed start, or while the embedding worker restarts (`degraded`).',
    success: { status: 200, description: 'Ready.', schema: c.healthSchema }, sameBodyStatuses: [503],
  }),
  openapi: op({
    id: 'openapi', method: 'GET', path: '/api/openapi.json', tag: 'Service',
    success: { status: 200, description: 'The document.' },
  }),
};


/** Retraining, promote and rollback, model versions (all admin). */
export const modelOps = {
  startRetrain: op({
    id: 'startRetrain', method: 'POST', path: '/api/collections/{id}/retrain', tag: 'Models',
    description:
      "Starts a training job in a child process: the gallery's identities (2+ images each) are split into training, calibration " +
      'and evaluation identities; the current model is fine-tuned on the training ones (plus the base data set when asked and ' +
      'present), calibrated on the calibration ones, and compared with the current model on the evaluation ones. One job per ' +
      'collection at a time (409 `job_running`). A gallery with fewer than 6 identities of 2+ images is refused at once (422 ' +
      '`gallery_too_small`, no job created). Follow it with `GET /api/jobs/{id}/events`.',
    body: { json: req.retrainBody },
    success: { status: 201, description: 'The queued job.', schema: c.jobSchema }, extraProblems: [409],
  }),
  listJobs: op({
    id: 'listJobs', method: 'GET', path: '/api/jobs', tag: 'Models',
    query: req.jobListQuery, success: { status: 200, description: 'Jobs, newest first.', schema: c.jobListSchema },
  }),
  getJob: op({
    id: 'getJob', method: 'GET', path: '/api/jobs/{id}', tag: 'Models',
    success: { status: 200, description: 'The job with its progress and result.', schema: c.jobSchema },
  }),
  jobEvents: op({
    id: 'jobEvents', method: 'GET', path: '/api/jobs/{id}/events', tag: 'Models',
    description: '`event: job` with the job (as `GET /api/jobs/{id}`) whenever it changes, then `event: end` when it has ended.',
    success: { status: 200, description: 'An event stream.', binary: 'text/event-stream' },
  }),
  cancelJob: op({
    id: 'cancelJob', method: 'POST', path: '/api/jobs/{id}/cancel', tag: 'Models',
    description: 'A cancelled switch leaves the collection on its old model; a cancelled retrain writes no candidate. 409 when the job already ended.',
    success: { status: 200, description: 'The cancelled job.', schema: c.jobSchema }, extraProblems: [409],
  }),
  promoteModel: op({
    id: 'promoteModel', method: 'POST', path: '/api/collections/{id}/promote', tag: 'Models',
    description:
      'Starts a switch job: every image is embedded with the version into its own index in the background while searches keep ' +
      'using the current pair; then the collection switches model and index in one step, the threshold is re-derived from the ' +
      'target FAR for the new model and written to the audit log. The old embeddings and index are kept for rollback.',
    body: { json: req.promoteBody },
    success: { status: 202, description: 'The switch job.', schema: c.jobSchema }, extraProblems: [409],
  }),
  rollbackModel: op({
    id: 'rollbackModel', method: 'POST', path: '/api/collections/{id}/rollback', tag: 'Models',
    description: 'A switch job to `previousModelVersion`; images enrolled since the last switch are embedded with it first. 409 when there is no previous version.',
    success: { status: 202, description: 'The switch job.', schema: c.jobSchema }, extraProblems: [409],
  }),
  listCollectionModels: op({
    id: 'listCollectionModels', method: 'GET', path: '/api/collections/{id}/models', tag: 'Models',
    success: { status: 200, description: 'Each version with embeddings in this collection, and whether its index is on disk.', schema: c.collectionModelListSchema },
  }),
  deleteCollectionModel: op({
    id: 'deleteCollectionModel', method: 'DELETE', path: '/api/collections/{id}/models/{version}', tag: 'Models', description: '409 for the current version or while a job runs.',
    success: { status: 204, description: 'Deleted.' }, extraProblems: [409],
  }),
  listModels: op({
    id: 'listModels', method: 'GET', path: '/api/models', tag: 'Models',
    success: { status: 200, description: 'Every version (bundled and trained here), newest first, with its use and promotions.', schema: c.modelListSchema },
  }),
  getModel: op({
    id: 'getModel', method: 'GET', path: '/api/models/{version}', tag: 'Models',
    success: { status: 200, description: 'The version.', schema: c.modelDetailSchema },
  }),
  getModelPlot: op({
    id: 'getModelPlot', method: 'GET', path: '/api/models/{version}/plots/{name}', tag: 'Models',
    success: { status: 200, description: 'The PNG (one of the manifest `plots`).', binary: 'image/png' },
  }),
};

/** All operations, in document order. */
export const OPERATIONS = [...Object.values(metaOps), ...Object.values(authOps), ...Object.values(galleryOps), ...Object.values(imageOps), ...Object.values(modelOps)];
