/** The contract of sign-in and API keys: what the API shows of a session and a key (never a secret after its creation). */
import { z } from 'zod';

const id = z.string().min(1);
const isoTime = z.iso.datetime();

/** A session as `POST /api/session` answers it; its token travels only in the cookie. */
export const sessionSchema = z.object({ id, expiresAt: isoTime }).strict();

/** An API key as lists show it (never the secret). */
export const apiKeySchema = z
  .object({
    id,
    name: z.string(),
    prefix: z.string().describe('First characters of the key, to recognise it.'),
    role: z.enum(['admin', 'user']),
    collectionId: z.string().nullable(),
    createdAt: isoTime,
    lastUsedAt: isoTime.nullable(),
    revokedAt: isoTime.nullable(),
  })
  .strict();

/** A key just created: the secret is shown this once. */
export const createdKeySchema = apiKeySchema.extend({ key: z.string().describe('The secret; store it now, it is not shown again.') }).strict();

/** An API key as lists show it. */
export type ApiKeyView = z.infer<typeof apiKeySchema>;
/** A key just created, with its secret. */
export type CreatedApiKey = z.infer<typeof createdKeySchema>;
