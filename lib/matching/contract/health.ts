/** The contract of `GET /api/health`: a snapshot of the runtime, cheap to take at any moment. */
import { z } from 'zod';

/** Health snapshot of the runtime; `degraded`: started, but the embedding worker is restarting after an exit (searches and enrolments answer 503). */
export const healthSchema = z
  .object({
    status: z.enum(['starting', 'ready', 'degraded', 'failed']).describe('`degraded`: the embedding worker exited and is restarting; searches and enrolments answer 503 until it is back.'),
    version: z.string(),
    uptimeSeconds: z.number(),
    backend: z.string().nullable(),
    database: z
      .object({
        kind: z.enum(['sqlite', 'postgresql']),
        migrations: z.object({ applied: z.number().int(), latest: z.string().nullable(), pending: z.number().int() }).strict().nullable(),
      })
      .strict(),
    models: z.array(z.object({ kind: z.string(), version: z.string(), embeddingDim: z.number().int() }).strict()),
    error: z.string().optional(),
  })
  .strict();
