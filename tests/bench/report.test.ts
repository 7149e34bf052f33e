// bench/README.md is generated from the full run's JSON (npm run bench -- --report): it must match.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../bench/report';

const README = path.resolve(import.meta.dirname, '../../bench/README.md');
const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

describe('bench/README.md', () => {
  it('equals the report rendered from bench/results/*.json', () => {
    expect(readFileSync(README, 'utf8')).toBe(renderReport());
  });

  it('renders a table from a result file (the comparison can fail)', () => {
    expect(renderReport(FIXTURES)).toContain('| object | 64 | 1000 |');
  });

  it('puts the PostgreSQL HTTP topologies side by side, errors included', () => {
    const report = renderReport(FIXTURES);
    expect(report).toContain('## 4b. HTTP on one PostgreSQL: one instance and two');
    expect(report).toContain('| operation | clients | 1× req/s | 1× p50 ms | 1× p99 ms | 1× requests | 1× errors | 1× 500s logged | 2× req/s | 2× p50 ms | 2× p99 ms | 2× requests | 2× errors | 2× 500s logged |');
    expect(report).toContain('| search | 16 | 40 | 380 | 700 | 80 | 0 | 0 | 35 | 420 | 800 | 70 | 0 | 0 |');
    expect(report).toContain('| health | 16 | 900 | 15 | 40 | 1800 | 0 | 0 | 1100 | 12 | 30 | 2200 | 0 | 0 |');
  });

  it('says so when no PostgreSQL HTTP run is recorded', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    try {
      expect(renderReport(empty)).toContain('## 4b. HTTP on one PostgreSQL: one instance and two\n\nNo run recorded yet.');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
