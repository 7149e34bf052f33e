// Prints one summary line per suite from vitest's or Playwright's JSON report, and with
// --total the closing line over every suite: "total: N passed, N failed, N skipped".
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

function counts(report) {
  if (report.stats) {
    // Playwright: expected = passed, unexpected = failed, flaky passed on retry.
    const s = report.stats;
    return { passed: s.expected + s.flaky, failed: s.unexpected, skipped: s.skipped };
  }
  return { passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests + report.numTodoTests };
}

const line = (label, c) => `${label}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;

const [first, file] = process.argv.slice(2);
if (first === '--total') {
  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const name of readdirSync(file).filter((n) => n.endsWith('.counts.json'))) {
    const c = JSON.parse(readFileSync(path.join(file, name), 'utf8'));
    total.passed += c.passed; total.failed += c.failed; total.skipped += c.skipped;
  }
  console.log(line('total', total));
} else {
  const c = existsSync(file) ? counts(JSON.parse(readFileSync(file, 'utf8'))) : { passed: 0, failed: 1, skipped: 0 };
  writeFileSync(path.join(path.dirname(file), `${first}.counts.json`), JSON.stringify(c));
  console.log(line(first, c));
}
