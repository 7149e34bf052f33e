/**
 * Exports saved model folders' towers to ONNX (issue 20 item 2), for models saved before
 * `saveModel` wrote `model.onnx` itself:
 *
 *   npm run export-onnx -- <model dir> [--backend wasm|tensorflow|auto]
 *
 * Writes `<dir>/model.onnx` and pins it and the TF.js files by sha256 in the manifest's `artefacts`.
 * Prints the artefacts as JSON.
 */
import { z } from 'zod';
import { initTf } from '@/lib/embedder/backend';
import { exportModelOnnx } from '@/lib/embedder/weights';
import { AppError } from '@/lib/errors';
import { parseCli } from './cli/args';

const exportArgsSchema = z.strictObject({
  /** The model folder (manifest.json, model.json, weights.bin). */
  dir: z.string().min(1),
  /** TF.js backend that reads the weights. */
  backend: z.enum(['auto', 'tensorflow', 'wasm']).default('wasm'),
});

async function main(): Promise<unknown> {
  const args = parseCli(process.argv.slice(2), { schema: exportArgsSchema, positionals: ['dir'], usage: 'usage: npm run export-onnx -- <model dir> [--backend wasm]' });
  await initTf(args.backend);
  return exportModelOnnx(args.dir);
}

main().then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (err: unknown) => {
    const code = err instanceof AppError ? `${err.code}: ` : '';
    process.stderr.write(`export-onnx: ${code}${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
