// Per-request timing spans (issue 20): measured only inside collectSpans, summed per name, and
// written and read back as a Server-Timing header.
import { describe, expect, it } from 'vitest';
import { addSpan, collectSpans, formatServerTiming, parseServerTiming, span } from '@/lib/config/server-timing';

describe('server timing', () => {
  it('sums the spans of one request and round-trips them through the header', async () => {
    const { result, spans } = await collectSpans(async () => {
      await span('db', () => new Promise((r) => setTimeout(r, 5)));
      await span('db', async () => undefined);
      addSpan('serialise', 1.5);
      return 42;
    });
    expect(result).toBe(42);
    expect([...spans.keys()]).toEqual(['db', 'serialise']);
    expect(spans.get('db')).toBeGreaterThanOrEqual(4);
    const parsed = parseServerTiming(formatServerTiming(spans));
    expect(parsed.serialise).toBe(1.5);
    expect(parsed.db).toBeCloseTo(spans.get('db')!, 2);
  });

  it('measures nothing outside a request that collects spans', async () => {
    const { spans } = await collectSpans(async () => undefined);
    addSpan('outside', 1);
    expect(await span('outside', async () => 7)).toBe(7);
    expect(spans.size).toBe(0);
  });

  it('skips header entries without a duration', () => {
    expect(parseServerTiming('cache, db;desc="reads";dur=2.5')).toEqual({ db: 2.5 });
  });
});
