import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The rule that enforces the module map and the native owners (eslint.config.js). */
const IMPORTS = '@typescript-eslint/no-restricted-imports';

async function ruleIds(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  return result.messages.map((m) => m.ruleId ?? 'parse');
}

describe('eslint module map', () => {
  it.each([
    { name: 'training may not import the database', rule: IMPORTS, file: 'lib/training/probe.ts', code: "import { openDb } from '@/lib/db/client';\nexport const x = openDb;\n" },
    { name: 'training may not read process.env', rule: 'no-restricted-properties', file: 'lib/training/probe.ts', code: 'export const x = process.env.X;\n' },
    { name: 'only lib/imaging imports sharp', rule: IMPORTS, file: 'lib/matching/probe.ts', code: "import sharp from 'sharp';\nexport const x = sharp;\n" },
    { name: 'only lib/embedder/backend.ts imports TF.js', rule: IMPORTS, file: 'lib/embedder/probe.ts', code: "import * as tf from '@tensorflow/tfjs';\nexport const x = tf;\n" },
    { name: 'only lib/embedder/onnx-runtime.ts imports ONNX Runtime', rule: IMPORTS, file: 'lib/embedder/onnx-embed.ts', code: "import * as ort from 'onnxruntime-node';\nexport const x = ort;\n" },
    { name: 'only lib/index/ann.ts imports hnswlib-node', rule: IMPORTS, file: 'lib/index/exact.ts', code: "import h from 'hnswlib-node';\nexport const x = h;\n" },
    { name: 'route handlers do not query the database', rule: IMPORTS, file: 'app/api/x/route.ts', code: "import { openDb } from '@/lib/db/client';\nexport const x = openDb;\n" },
    { name: 'client components import only types from lib', rule: IMPORTS, file: 'app/x/widget.client.tsx', code: "import { env } from '@/lib/config/env';\nexport const x = env;\n" },
    { name: 'evaluation may not import matching', rule: IMPORTS, file: 'lib/evaluation/probe.ts', code: "import { search } from '@/lib/matching/search';\nexport const x = search;\n" },
    { name: 'calibration imports only lib/errors', rule: IMPORTS, file: 'lib/calibration/probe.ts', code: "import { samplePkEpoch } from '@/lib/training/pairs';\nexport const x = samplePkEpoch;\n" },
    { name: 'the matching runtime imports no use case', rule: IMPORTS, file: 'lib/matching/runtime/probe.ts', code: "import { runtime } from '@/lib/matching/context';\nexport const x = runtime;\n" },
    { name: 'the matching runtime imports nothing of models/', rule: IMPORTS, file: 'lib/matching/runtime/probe.ts', code: "import type { JobDto } from '@/lib/matching/models/retrain';\nexport type X = JobDto;\n" },
    { name: 'lib/http imports no use case', rule: IMPORTS, file: 'lib/http/probe.ts', code: "import { search } from '@/lib/matching/search';\nexport const x = search;\n" },
    { name: 'lib/http takes the contract through its index only', rule: IMPORTS, file: 'lib/http/probe.ts', code: "import { MAX_K } from '@/lib/matching/contract/search';\nexport const x = MAX_K;\n" },
    { name: 'the matching contract imports no use case', rule: IMPORTS, file: 'lib/matching/contract/probe.ts', code: "import { runtime } from '@/lib/matching/context';\nexport const x = runtime;\n" },
    { name: 'the matching contract imports no other lib folder', rule: IMPORTS, file: 'lib/matching/contract/probe.ts', code: "import { openDb } from '@/lib/db/client';\nexport const x = openDb;\n" },
    { name: 'lib/db imports only lib/errors', rule: IMPORTS, file: 'lib/db/probe.ts', code: "import { env } from '@/lib/config/env';\nexport const x = env;\n" },
    { name: 'only lib/db imports its generated client', rule: IMPORTS, file: 'lib/matching/probe.ts', code: "import { PrismaClient } from '@/lib/db/generated/sqlite/client';\nexport const x = PrismaClient;\n" },
    { name: 'lib escapes its folder only through @/lib', rule: IMPORTS, file: 'lib/index/probe.ts', code: "import { env } from '../config/env';\nexport const x = env;\n" },
  ])('refuses: $name, by $rule', async ({ file, code, rule }) => {
    // Exactly the module map's rule: a parse error or another rule's message would not count.
    expect(await ruleIds(file, code)).toEqual([rule]);
  });

  it.each([
    { name: 'matching may use the database and the index', file: 'lib/matching/probe.ts', code: "import { openDb } from '@/lib/db/client';\nimport { AppError } from '@/lib/errors';\nexport const x = [openDb, AppError];\n" },
    { name: 'evaluation may use the pure decision function', file: 'lib/evaluation/probe.ts', code: "import { decide } from '@/lib/calibration';\nexport const x = decide;\n" },
    { name: 'the matching runtime uses its own layer and the database', file: 'lib/matching/runtime/probe.ts', code: "import { openDb } from '@/lib/db/client';\nimport { decodeVector } from '@/lib/matching/runtime/vectors';\nimport { encodeVector } from './vectors';\nexport const x = [openDb, decodeVector, encodeVector];\n" },
    { name: 'matching models use the runtime and the use cases', file: 'lib/matching/models/probe.ts', code: "import { runtime } from '@/lib/matching/context';\nimport { serveModel } from '@/lib/matching/runtime/serve-model';\nexport const x = [runtime, serveModel];\n" },
    { name: 'lib/http builds on the domain contract', file: 'lib/http/probe.ts', code: "import { collectionSchema } from '@/lib/matching/contract';\nexport const x = collectionSchema;\n" },
    { name: 'the matching contract uses zod, the name rules and its own modules', file: 'lib/matching/contract/probe.ts', code: "import { z } from 'zod';\nimport { checkName } from '@/lib/matching/names';\nimport { idSchema } from './common';\nexport const x = [z, checkName, idSchema];\n" },
    { name: 'the matching runtime uses the contract', file: 'lib/matching/runtime/probe.ts', code: "import type { healthSchema } from '@/lib/matching/contract/health';\nexport type X = typeof healthSchema;\n" },
    { name: 'the ONNX runtime module owns ONNX Runtime', file: 'lib/embedder/onnx-runtime.ts', code: "import * as ort from 'onnxruntime-node';\nexport const x = ort;\n" },
    { name: 'the backend owns TF.js', file: 'lib/embedder/backend.ts', code: "import * as tf from '@tensorflow/tfjs';\nexport const x = tf;\n" },
    { name: 'client components may import types', file: 'app/x/widget.client.tsx', code: "import type { Env } from '@/lib/config/env';\nexport type X = Env;\n" },
  ])('allows: $name', async ({ file, code }) => {
    expect(await ruleIds(file, code)).toEqual([]);
  });
});
