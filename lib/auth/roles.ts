/**
 * The role table: every REST operation, who may call it, and its one-line summary. The route
 * wrapper enforces it, the OpenAPI document and the keys page render it (issue 16, section 5).
 * It lives in lib/auth because every consumer may import lib/auth (lib/http, route handlers and
 * pages) while pages may not import lib/http. A key scoped to a collection has its role in that
 * collection only (the domain checks the scope, `requireScope` in lib/matching/caller.ts).
 */

/** Who may call: anyone (no credentials), any valid caller (user or admin), or admins only. */
export type Access = 'none' | 'any' | 'admin';

/** One row of the role table. */
export interface RoleRow {
  access: Access;
  /** The operation's summary (OpenAPI `summary`, and the line on the keys page). */
  summary: string;
}

const row = <A extends Access>(access: A, summary: string) => ({ access, summary });

/**
 * Users enroll, search, verify and read; managing identities (rename, delete, move or delete
 * images), imports, exports, calibration, retraining, models, keys and the audit log is admin.
 */
export const ROLE_TABLE = {
  health: row('none', 'Liveness and readiness'),
  openapi: row('none', 'This OpenAPI 3.1 document'),
  createSession: row('none', 'Sign in as admin'),
  deleteSession: row('any', 'Sign out'),
  listCollections: row('any', 'List collections'),
  getCollection: row('any', 'Get a collection'),
  createIdentity: row('any', 'Create an identity'),
  listIdentities: row('any', 'List identities'),
  getIdentity: row('any', 'Get an identity'),
  enrollImages: row('any', 'Enroll images'),
  listImages: row('any', "List an identity's images"),
  getImageFile: row('any', 'Download the original image'),
  renderImage: row('any', 'Render an image as PNG'),
  search: row('any', 'Search a collection with an image'),
  verifyPair: row('any', 'Do two images show the same identity?'),
  verifyIdentity: row('any', 'Does an image show this identity?'),
  updateIdentity: row('admin', 'Update (rename) an identity'),
  deleteIdentity: row('admin', 'Delete an identity'),
  moveImage: row('admin', 'Move an image to another identity'),
  deleteImage: row('admin', 'Delete an image'),
  createCollection: row('admin', 'Create a collection'),
  updateCollection: row('admin', 'Update a collection'),
  deleteCollection: row('admin', 'Delete a collection with its identities, images and index'),
  importArchive: row('admin', 'Import a zip archive'),
  exportCollection: row('admin', 'Export a collection'),
  getCalibration: row('admin', "Calibration on the collection's gallery"),
  startRetrain: row('admin', "Retrain the collection's model on its gallery"),
  listJobs: row('admin', 'List jobs'),
  getJob: row('admin', 'Get a job'),
  jobEvents: row('admin', "Follow a job's progress (server-sent events)"),
  cancelJob: row('admin', 'Cancel a job'),
  promoteModel: row('admin', 'Switch the collection to a model version'),
  rollbackModel: row('admin', 'Switch back to the previous model version'),
  listCollectionModels: row('admin', 'Model versions a collection keeps'),
  deleteCollectionModel: row('admin', "Delete a kept version's embeddings and index"),
  listModels: row('admin', 'List model versions'),
  getModel: row('admin', 'Get a model version with its manifest'),
  getModelPlot: row('admin', 'A training plot of a model version'),
  createKey: row('admin', 'Create an API key'),
  listKeys: row('admin', 'List API keys'),
  revokeKey: row('admin', 'Revoke an API key'),
  listAudit: row('admin', 'Read the audit log'),
} as const satisfies Record<string, RoleRow>;

/** An operation id of the role table (and of the OpenAPI document). */
export type OperationId = keyof typeof ROLE_TABLE;

/** The access rule of one operation, as a literal type. */
export type AccessOf<I extends OperationId> = (typeof ROLE_TABLE)[I]['access'];

/** Who may call an operation with this access, in words (OpenAPI descriptions). */
export const ACCESS_TEXT: Record<Access, string> = {
  none: 'No credentials needed.',
  any: 'Role: user (any API key or the admin session; a scoped key in its collection only).',
  admin: 'Role: admin (an admin API key or the admin session).',
};

/** The summaries of the operations with this access, in table order (the keys page lists them). */
export function summariesWith(access: Access): string[] {
  return Object.values(ROLE_TABLE as Record<string, RoleRow>).filter((r) => r.access === access).map((r) => r.summary);
}
