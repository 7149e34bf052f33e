// Entry of a job's child process (lib/jobs/child.ts starts it): registers tsx's loader with the
// repository's tsconfig (for `@/lib/...` paths), imports the TypeScript job module and runs the
// named export with the job id. Exits when the job returns, whatever handles TF.js left open.
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const [entry, tsconfig, exportName, jobId] = process.argv.slice(2);
register({ tsconfig });
try {
  const mod = await import(pathToFileURL(entry).href);
  await mod[exportName](jobId);
  process.exit(0);
} catch (err) {
  console.error(`[job ${jobId}]`, err);
  process.exit(1);
}
