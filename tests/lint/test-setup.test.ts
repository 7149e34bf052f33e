// A newcomer's first `npm test` (issue 16, section 8): without ../shared/data it stops at once with
// one message naming each missing file and where it comes from (the real scripts/test.sh, run from a
// copy of the repository with no data beside it), the README names every Debian package the
// script installs, and a test file that starts the real server is named for the slow tier.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATA, missingDataMessage, missingTestData } from '../helpers/data';

const REPO = path.resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(path.join(tmpdir(), 'fewshot-newcomer-'));

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('missingTestData', () => {
  it('finds every listed file here and names a missing one with its source', () => {
    expect(missingTestData()).toEqual([]);
    const gone = { path: path.join(scratch, 'nothing.zip'), source: 'from nowhere' };
    expect(missingTestData([...TEST_DATA, gone])).toEqual([gone]);
    expect(missingDataMessage([gone])).toContain(`${gone.path}\n    from nowhere`);
    expect(missingDataMessage([])).toBe('');
  });
});

describe('npm test without ../shared/data', () => {
  it('stops before anything runs with one message naming every missing file', () => {
    // A checkout with the real test script and helpers, and no ../shared/data beside it.
    const checkout = path.join(scratch, 'checkout');
    for (const dir of ['scripts', 'tests/helpers']) mkdirSync(path.join(checkout, dir), { recursive: true });
    cpSync(path.join(REPO, 'scripts/test.sh'), path.join(checkout, 'scripts/test.sh'));
    cpSync(path.join(REPO, 'tests/helpers'), path.join(checkout, 'tests/helpers'), { recursive: true });
    symlinkSync(path.join(REPO, 'node_modules'), path.join(checkout, 'node_modules'));
    expect(existsSync(path.join(scratch, 'shared/data'))).toBe(false);
    const run = spawnSync('bash', ['scripts/test.sh'], { cwd: checkout, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const shared = path.join(scratch, 'shared/data');
    expect(run.stderr).toContain(`The tests read data sets from ${shared}`);
    for (const f of TEST_DATA) expect(run.stderr).toContain(f.path.replace(path.resolve(REPO, '../shared/data'), shared));
    expect(run.stderr).toContain('README.md, "Test and training data"');
  });
});

describe('README', () => {
  it('names every Debian package scripts/test.sh installs', () => {
    const script = readFileSync(path.join(REPO, 'scripts/test.sh'), 'utf8');
    const packages = [...script.matchAll(/missing\+=\(([\w.-]+)\)/g)].map((m) => m[1]);
    expect(packages.length).toBeGreaterThanOrEqual(5);
    const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const listed = /installs the Debian packages it needs when run as root \(([^)]*)\)/.exec(readme.replace(/\s+/g, ' '))?.[1] ?? '';
    expect([...listed.matchAll(/`([\w.-]+)`/g)].map((m) => m[1]).sort()).toEqual(packages.sort());
  });
});

describe('test tiers', () => {
  it('names every test file that starts the real npm start server *.slow.test.ts (left out of npm run test:fast)', () => {
    const tests = path.join(REPO, 'tests');
    const files = readdirSync(tests, { recursive: true }).map(String).filter((f) => f.endsWith('.test.ts'));
    const spawning = files.filter((f) => /\bstartServer\(/.test(readFileSync(path.join(tests, f), 'utf8')));
    expect(spawning.length).toBeGreaterThanOrEqual(4);
    expect(spawning.filter((f) => !f.endsWith('.slow.test.ts'))).toEqual([]);
  });
});
