/**
 * PostgreSQL session advisory locks on one dedicated connection, so instances sharing a database
 * can hold a key across several of their own transactions (the blob store's `withLock`). Taken
 * with `pg_try_advisory_lock` and polled, so one key waited for never blocks the connection for
 * the others; the server releases them all when the connection (the instance) dies.
 */
import pg from 'pg';

/** Poll interval while another instance holds a key. */
const RETRY_MS = 20;

/** Advisory locks of one instance. */
export class AdvisoryLocks {
  private client: Promise<pg.Client> | null = null;

  constructor(private readonly url: string) {}

  private connection(): Promise<pg.Client> {
    this.client ??= (async () => {
      const c = new pg.Client({ connectionString: this.url });
      await c.connect();
      return c;
    })();
    return this.client;
  }

  /**
   * Takes every key (all or none each try, so two holders never wait on each other) and returns
   * the release. Keys are signed 64-bit integers, as PostgreSQL's advisory lock functions take them.
   */
  async acquire(keys: bigint[]): Promise<() => Promise<void>> {
    const c = await this.connection();
    const sorted = [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
    for (;;) {
      const held: string[] = [];
      for (const k of sorted) {
        const { rows } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [k]);
        if (!rows[0].ok) break;
        held.push(k);
      }
      const release = async () => {
        for (const k of held) await c.query('SELECT pg_advisory_unlock($1::bigint)', [k]);
      };
      if (held.length === sorted.length) return release;
      await release();
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  /** Closes the connection, releasing whatever it still holds. */
  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await (await c).end();
  }
}
