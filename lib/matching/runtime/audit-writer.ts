/**
 * Group commit of the decision audit (issue 20: audit writes batched without losing any). A search
 * or verify waits until its row is committed before it answers, as before; while one insert is
 * in flight, the rows of the requests that arrive meanwhile gather and go in the next single
 * write transaction (`createAuditEntries`). So under load N requests cost about one write transaction per forward pass
 * instead of N, and the guarantee is unchanged: every answered request's audit row is committed
 * (a SIGKILL loses only rows of requests not yet answered). A failed insert fails each request of
 * its batch (500), never silently.
 */
import { createAuditEntries, type NewAuditEntry } from '@/lib/db/audit';
import type { Db } from '@/lib/db/client';

interface Pending {
  entry: NewAuditEntry;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Appends audit rows in batches; `append` resolves once the row is committed. */
export class AuditWriter {
  private waiting: Pending[] = [];
  private inFlight: Promise<void> | null = null;
  /** Insert statements sent so far (a batch is one). */
  batches = 0;

  constructor(private readonly db: Db) {}

  /** Commits `entry` with whatever else is waiting; resolves after the commit. */
  append(entry: NewAuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      if (!this.inFlight) this.inFlight = this.flush();
    });
  }

  /** Resolves when every row appended so far is committed (or failed). */
  async drain(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      this.batches++;
      try {
        await createAuditEntries(this.db, batch.map((p) => p.entry));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err as Error);
      }
    }
    this.inFlight = null;
  }
}
