import { authOps } from '@/lib/http/operations';
import { listAudit } from '@/lib/matching';
import { route } from '@/app/api/_lib/handler';

/** Read the audit log (admin), newest first, with filters. */
export const GET = route(authOps.listAudit, async ({ caller, query }) =>
  listAudit(caller, {
    limit: query.limit,
    cursor: query.cursor,
    collectionId: query.collectionId,
    action: query.action,
    since: query.since ? new Date(query.since) : undefined,
    until: query.until ? new Date(query.until) : undefined,
  }),
);
