/**
 * The benchmarks (issue 9): `npm run bench` (full, at most an hour), `npm run bench -- --quick`
 * (under 3 minutes, what CI runs), `--only index,embed,train,http,scale,profile`, `--instances 2
 * --databaseUrl postgresql://… [--httpIdentities N]` (the HTTP benchmark on PostgreSQL, one instance
 * beside two, issue 21), `--only http --batchWindowsMs 0,2` (object search with micro-batching off and
 * on, issue 20), `--report` (bench/README.md
 * from the full run's JSON); flags read by scripts/cli/args.ts (unknown flags are errors). Each
 * benchmark prints a table and writes bench/results[/quick]/<name>.json. Backend-specific parts run
 * in a child process per available backend.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { BackendName } from '@/lib/embedder/backend';
import { initTf } from '@/lib/embedder/backend';
import { OMNIGLOT_SPLIT } from '@/lib/datasets/omniglot';
import { InputError } from '@/lib/errors';
import { HNSW_DEFAULTS } from '@/lib/index/types';
import { log, PEAK_GFLOPS, percentile, printTable, ROOT, runInfo, writeResult } from '../bench/common';
import { benchEmbedding, type EmbedRow } from '../bench/embed-bench';
import { assertNoHttpErrors, benchHttp, benchHttpOnPostgres, benchHttpWindows } from '../bench/http-bench';
import { benchIndexSize, type IndexRow } from '../bench/index-bench';
import { benchProfile } from '../bench/profile-bench';
import { renderReport } from '../bench/report';
import { benchGrowth, benchReembed } from '../bench/scale-bench';
import { benchTorch, benchTraining, type TrainRow } from '../bench/train-bench';
import { mixtureVectors, realVectors } from '../bench/vectors';
import { parseCli } from './cli/args';

const ALL = ['index', 'embed', 'train', 'http', 'scale', 'profile'] as const;

const PLAN = {
  quick: { alphabets: OMNIGLOT_SPLIT.heldOut, sizes: [2_000, 20_000], efs: [16, 100], queries: 100, faceIndex: false, embedImages: 64, trainSteps: 5, trainRounds: 1, httpIdentities: 200, httpSeconds: 2, httpFaces: 5, httpFaceRequestsPerClient: 1, scale: [2_000, 10_000, 20_000], reembed: 1_000, profileIdentities: 200, profileFaces: 10, profileRequests: 20 },
  full: { alphabets: undefined, sizes: [10_000, 100_000, 1_000_000], efs: [16, 32, 64, 100, 128, 256], queries: 1_000, faceIndex: true, embedImages: 256, trainSteps: 30, trainRounds: 5, httpIdentities: 10_000, httpSeconds: 10, httpFaces: 100, httpFaceRequestsPerClient: 20, scale: [10_000, 100_000, 1_000_000], reembed: 10_000, profileIdentities: 3_000, profileFaces: 100, profileRequests: 200 },
};

/** Backends this machine can run: wasm always, tensorflow where tfjs-node loads. */
function availableBackends(): BackendName[] {
  try {
    execFileSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node')"], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, TF_ENABLE_ONEDNN_OPTS: '0', TF_CPP_MIN_LOG_LEVEL: '2' } });
    return ['tensorflow', 'wasm'];
  } catch {
    return ['wasm'];
  }
}

/** Runs `--child <what> --backend <b>` in a fresh process and returns its last stdout line as JSON. */
function child<T>(what: 'embed' | 'train', backend: BackendName, quick: boolean): T {
  const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/bench.ts'), '--child', what, '--backend', backend, ...(quick ? ['--quick'] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

async function runChild(what: 'embed' | 'train', backend: BackendName, quick: boolean): Promise<void> {
  const plan = quick ? PLAN.quick : PLAN.full;
  const result = what === 'embed' ? await benchEmbedding(backend, plan.embedImages) : await benchTraining(backend, plan.trainSteps);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The command line; `--child` (the parent's own call) needs `--backend`. */
const benchArgsSchema = z
  .strictObject({
    /** The CI plan (under 3 minutes). */
    quick: z.boolean().default(false),
    /** Only these benchmarks. */
    only: z.array(z.enum(ALL)).min(1).default([...ALL]),
    /** Writes bench/README.md from the full run's JSON instead of measuring. */
    report: z.boolean().default(false),
    /** Internal: one backend-specific part, in a child process. */
    child: z.enum(['embed', 'train']).optional(),
    backend: z.enum(['tensorflow', 'wasm']).optional(),
    /** The HTTP benchmark's servers: 2 measures one instance and then two sharing one PostgreSQL database (issue 21). */
    instances: z.number().int().min(1).max(2).default(1),
    /** `postgresql://…` of a server where the HTTP benchmark may CREATE DATABASE (required with --instances=2); unset: SQLite. */
    databaseUrl: z.string().regex(/^postgresql:\/\//).optional(),
    /** Identities in the HTTP benchmark's collection (every topology the same); default the plan's. */
    httpIdentities: z.number().int().min(1).optional(),
    /**
     * Instead of the HTTP benchmark: object search at 1, 4 and 16 clients (and health at 16) on one
     * server per micro-batching window in ms (`EMBED_BATCH_WINDOW_MS`, 0 = off), rows alternating
     * between the servers in one run (issue 20, item 3); writes bench-http-batch.json.
     */
    batchWindowsMs: z.array(z.number().min(0)).min(1).optional(),
    /** Rounds of the window comparison (each measures every client count on every server). */
    batchRounds: z.number().int().min(1).default(2),
  })
  .refine((a) => !a.child || a.backend, { path: ['backend'], message: 'required with --child (tensorflow or wasm)' })
  .refine((a) => a.instances === 1 || a.databaseUrl, { path: ['databaseUrl'], message: 'required with --instances=2 (two instances share one PostgreSQL database)' });

async function main(): Promise<void> {
  const { quick, only, report, child: part, backend, instances, databaseUrl, httpIdentities, batchWindowsMs, batchRounds } = parseCli(process.argv.slice(2), { schema: benchArgsSchema });
  if (part && backend) return runChild(part, backend, quick);
  if (report) {
    writeFileSync(path.join(ROOT, 'bench/README.md'), renderReport());
    log('wrote bench/README.md');
    return;
  }
  const plan = quick ? PLAN.quick : PLAN.full;
  const backends = availableBackends();
  log(`${quick ? 'quick' : 'full'} run of ${only.join(', ')} on ${backends.join(' + ')}; plan ${JSON.stringify(plan)}`);
  const started = Date.now();

  if (only.includes('scale')) {
    const rows = benchGrowth(await realVectors('object', plan.alphabets), plan.scale, plan.queries);
    const reembed = await benchReembed(plan.reembed);
    printTable('5. scale', rows.map((r) => ({ ...r })));
    log(`re-embed ${reembed.images} images: ${reembed.seconds.toFixed(1)} s (${reembed.imagesPerSecond.toFixed(0)} images/s)`);
    writeResult('bench-scale', quick, { ...runInfo('scale', quick), backend: (await initTf('auto')).backend, rows, reembed });
  }

  if (only.includes('index')) {
    const rows: IndexRow[] = [];
    for (const kind of plan.faceIndex ? (['object', 'face'] as const) : (['object'] as const)) {
      const groups = await realVectors(kind, plan.alphabets);
      const queries = mixtureVectors(groups, plan.queries, 7, false);
      for (const n of plan.sizes) {
        log(`index: ${kind} ${queries.dim}-d, ${n} vectors`);
        rows.push(...(await benchIndexSize(kind, groups.flat().length, mixtureVectors(groups, n, 1), queries, plan.efs, { m: HNSW_DEFAULTS.m, efConstruction: HNSW_DEFAULTS.efConstruction })));
      }
    }
    printTable('1. index', rows.map((r) => ({ ...r })));
    writeResult('bench-index', quick, { ...runInfo('index', quick), k: 10, m: HNSW_DEFAULTS.m, efConstruction: HNSW_DEFAULTS.efConstruction, loadAverage: loadavg(), rows });
  }

  if (only.includes('embed')) {
    const rows = backends.flatMap((b) => child<EmbedRow[]>('embed', b, quick));
    printTable('2. embedding', rows.map((r) => ({ backend: r.backend, model: r.model, batch: r.batch, 'images/s': r.imagesPerSecond, 'network images/s': r.networkImagesPerSecond ?? '-', load: r.loadAvg1, stages: JSON.stringify(r.msPerImage) })));
    writeResult('bench-embed', quick, { ...runInfo('embed', quick), rows });
  }

  if (only.includes('train')) {
    // Rounds take turns (PyTorch, then each backend in a fresh process), so load that drifts
    // during the run reaches every side alike; a row is the backend's median round, its ratio the
    // median of the rounds' ratios (each measured side by side), with their range.
    const rounds = Array.from({ length: plan.trainRounds }, (_, i) => {
      log(`train: round ${i + 1} of ${plan.trainRounds} (load ${loadavg()[0].toFixed(2)})`);
      const torch = benchTorch(plan.trainSteps);
      return { torch, ours: backends.map((b) => child<TrainRow>('train', b, quick)) };
    });
    const summary = (runs: TrainRow[], ratios: number[]) => {
      const median = runs.toSorted((a, b) => a.pairsPerSecond - b.pairsPerSecond)[Math.floor(runs.length / 2)];
      return {
        ...median,
        roundsPairsPerSecond: runs.map((r) => r.pairsPerSecond),
        peakShare: median.gflops / PEAK_GFLOPS,
        vsTorch: ratios.length ? percentile(ratios, 50) : null,
        vsTorchRange: ratios.length ? [Math.min(...ratios), Math.max(...ratios)] : null,
      };
    };
    const torchRuns = rounds.flatMap((r) => (r.torch ? [r.torch] : []));
    const rows = [
      ...backends.map((_, k) => summary(rounds.map((r) => r.ours[k]), rounds.flatMap((r) => (r.torch ? [r.ours[k].pairsPerSecond / r.torch.pairsPerSecond] : [])))),
      ...(torchRuns.length ? [{ ...summary(torchRuns, []), vsTorch: 1 }] : []),
    ];
    if (!torchRuns.length) log('train: python3-torch is not installed; no PyTorch ratio (apt-get install python3-torch)');
    printTable('3. training', rows.map((r) => ({ backend: r.backend, 'pairs/s': r.pairsPerSecond, 'GFLOP/s': r.gflops, 'x torch': r.vsTorch ?? '-', 'x torch range': r.vsTorchRange ? r.vsTorchRange.map((v) => v.toFixed(3)).join('-') : '-' })));
    writeResult('bench-train', quick, { ...runInfo('train', quick), rounds: plan.trainRounds, rows });
  }

  if (only.includes('http')) {
    const identities = httpIdentities ?? plan.httpIdentities;
    if (batchWindowsMs) {
      const windows = await benchHttpWindows(identities, plan.httpSeconds, batchWindowsMs, batchRounds);
      for (const w of windows) printTable(`4c. http, EMBED_BATCH_WINDOW_MS=${w.batchWindowMs}`, w.rows.map((x) => ({ ...x })));
      writeResult('bench-http-batch', quick, { ...runInfo('http-batch', quick), backend: 'server: ML_BACKEND=auto', database: 'sqlite', httpSeconds: plan.httpSeconds, rounds: batchRounds, windows });
      for (const w of windows) assertNoHttpErrors(w.rows, `http, window ${w.batchWindowMs} ms`);
    } else if (databaseUrl) {
      // PostgreSQL: one instance, then (with --instances=2) two, each on a fresh database of that server.
      const topologies = await benchHttpOnPostgres(identities, plan.httpSeconds, databaseUrl, instances === 2 ? [1, 2] : [1]);
      for (const t of topologies) printTable(`4b. http (${t.instances} instance(s), PostgreSQL)`, t.rows.map((x) => ({ ...x })));
      writeResult('bench-http-postgresql', quick, { ...runInfo('http-postgresql', quick), backend: 'server: ML_BACKEND=auto', database: 'postgresql', httpSeconds: plan.httpSeconds, topologies });
      for (const t of topologies) assertNoHttpErrors(t.rows, `http, ${t.instances} instance(s) on PostgreSQL`);
    } else {
      const r = await benchHttp(identities, plan.httpSeconds, { faces: plan.httpFaces, faceRequestsPerClient: plan.httpFaceRequestsPerClient });
      printTable('4. http (1 instance, SQLite)', r.rows.map((x) => ({ ...x })));
      writeResult('bench-http', quick, { ...runInfo('http', quick), backend: 'server: ML_BACKEND=auto', database: 'sqlite', ...r });
      assertNoHttpErrors(r.rows, 'http on SQLite');
    }
  }
  if (only.includes('profile')) {
    const r = await benchProfile(plan.profileIdentities, plan.profileFaces, plan.profileRequests);
    printTable('6. profile', r.rows.map((x) => ({ kind: x.kind, identities: x.identities, 'client p50': x.clientP50Ms, total: x.totalMs, ...x.stagesMs, other: x.otherMs, outside: x.outsideMs })));
    writeResult('bench-profile', quick, { ...runInfo('profile', quick), backend: 'server: ML_BACKEND=auto', ...r });
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((err) => {
  // A bad command line is said in one message; anything else with its stack.
  process.stderr.write(`bench: ${err instanceof InputError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
