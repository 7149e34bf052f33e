/** Auth: API keys, admin sessions and password, resolving a request's credentials to a `Principal`. */
export type { Db as AuthDb } from '@/lib/db/client';
export { authenticate, type Credentials } from './authenticate';
export { bootstrapAuth } from './bootstrap';
export { requestAddress } from './client-address';
export { createApiKey, listApiKeys, revokeApiKey, KEY_PREFIX, type NewApiKey } from './keys';
export { apiKeySchema, createdKeySchema, sessionSchema, type ApiKeyView, type CreatedApiKey } from './contract';
export type { AuthPage } from './page';
export { ACCESS_TEXT, ROLE_TABLE, summariesWith, type Access, type AccessOf, type OperationId, type RoleRow } from './roles';
export { NotAuthenticatedError, requireAdminRole, ROLES, type Principal } from './principal';
export {
  clearedSessionCookie,
  createSession,
  endSession,
  readSessionToken,
  sessionCookie,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  type NewSession,
} from './sessions';
