// bench/README.md is generated from the full run's JSON (npm run bench -- --report): it must match.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../bench/report';

const README = path.resolve(import.meta.dirname, '../../bench/README.md');

describe('bench/README.md', () => {
  it('equals the report rendered from bench/results/*.json', () => {
    expect(readFileSync(README, 'utf8')).toBe(renderReport());
  });

  it('renders a table from a result file (the comparison can fail)', () => {
    const dir = path.resolve(import.meta.dirname, 'fixtures');
    expect(renderReport(dir)).toContain('| object | 64 | 1000 |');
  });
});
