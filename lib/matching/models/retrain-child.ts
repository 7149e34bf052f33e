// The retraining child process, an entry point (lib/config/entry-points.ts) that `startRetrain`
// starts with the job id: the job runs here, off the server's event loop and its TF.js worker.
import { runJobChild } from '@/lib/jobs';
import { runRetrainJob } from './retrain-job';

await runJobChild(runRetrainJob);
