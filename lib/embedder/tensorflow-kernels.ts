/**
 * Training kernels for the `tensorflow` backend (tfjs-node) that TF.js builds from many full-size
 * elementwise ops, run instead as TensorFlow's own fused ops (issue 20: training beside PyTorch).
 *
 * - **Step**, the mask of every ReLU gradient (dy * step(x)): tfjs-node's kernel fills two tensors
 *   of x's shape (ones and alpha), then runs IsNan, Greater and Select over them. Here: Greater,
 *   SelectV2 against two scalars, then IsNan and SelectV2 to keep NaN as NaN (the same values).
 * - **Batch norm in training**: TF.js's layer computes the moments (Mean, SquaredDifference, Mean),
 *   normalises with FusedBatchNorm in inference mode, and differentiates that chain op by op, about
 *   40 elementwise passes over the activations per layer. TensorFlow's `FusedBatchNormV3`
 *   (is_training) and `FusedBatchNormGradV3` do the forward and the backward pass in one op each.
 *
 * Measured with `tf.profile` on the default object tower's training step (batch 120, 28x28, four
 * conv + batch norm blocks; bench/train-bench.ts), see bench/README.md section 3.
 * tests/embedder/tensorflow-kernels.test.ts holds both against the TF.js compositions.
 */
import { assert } from '@/lib/errors';
import type { Tensor, Tensor1D, Tensor4D, TensorInfo, Tf } from './backend';

type KernelConfig = Parameters<Tf['registerKernel']>[0];
type KernelFunc = KernelConfig['kernelFunc'];
type KernelParams = Parameters<KernelFunc>[0];

/** The slice of tfjs-node's `NodeJSKernelBackend` these kernels call (its op executor). */
interface NodeBackend {
  binding: { TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: TensorInfo[]): Tensor;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: TensorInfo[], numOutputs: number): Tensor[];
}
interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

const BACKEND = 'tensorflow';
/** Batch norm in training, forward: inputs x [n, h, w, c], scale [c], offset [c]; outputs y, mean, biased variance, and TF's two reserve spaces. */
const BATCH_NORM_TRAIN = 'FewshotBatchNormTrain';
/** Its gradient: inputs dy, x, scale and the two reserve spaces; outputs dx, dscale, doffset. */
const BATCH_NORM_TRAIN_GRAD = 'FewshotBatchNormTrainGrad';

const ours = new WeakSet<KernelFunc>();

/**
 * Registers the kernels above on the `tensorflow` backend (replacing tfjs-node's Step); returns the
 * names it (re)registered, so a second call returns [] and changes nothing.
 */
export function registerTensorflowTrainingKernels(tf: Tf): string[] {
  const kernels: Record<string, KernelFunc> = {
    Step: (p) => step(tf, p),
    [BATCH_NORM_TRAIN]: (p) => batchNormTrain(tf, p),
    [BATCH_NORM_TRAIN_GRAD]: (p) => batchNormTrainGrad(tf, p),
  };
  const registered: string[] = [];
  for (const [name, kernelFunc] of Object.entries(kernels)) {
    const existing = tf.getKernel(name, BACKEND);
    if (existing && ours.has(existing.kernelFunc)) continue;
    if (existing) tf.unregisterKernel(name, BACKEND);
    ours.add(kernelFunc);
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc });
    registered.push(name);
  }
  return registered;
}

function nodeBackend(p: KernelParams): NodeBackend {
  return p.backend as unknown as NodeBackend;
}

const typeAttr = (b: NodeBackend, name: string): OpAttr => ({ name, type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT });

/** step(x) = 1 where x > 0, alpha elsewhere, NaN where x is NaN (float32). */
function step(tf: Tf, p: KernelParams): Tensor {
  const b = nodeBackend(p);
  const x = p.inputs.x as Tensor;
  const { alpha } = p.attrs as unknown as { alpha: number };
  assert(x.dtype === 'float32', `Step on tensorflow: expected float32, got ${x.dtype}`);
  const [zero, one, a] = [tf.scalar(0), tf.scalar(1), tf.scalar(alpha)];
  const select = (cond: TensorInfo, yes: TensorInfo, no: TensorInfo) => b.executeSingleOutput('SelectV2', [typeAttr(b, 'T')], [cond, yes, no]);
  const positive = b.executeSingleOutput('Greater', [typeAttr(b, 'T')], [x, zero]);
  const mask = select(positive, one, a);
  const nan = b.executeSingleOutput('IsNan', [typeAttr(b, 'T')], [x]);
  const out = select(nan, x, mask);
  for (const t of [positive, mask, nan, zero, one, a]) t.dispose();
  return out;
}

const batchNormAttrs = (b: NodeBackend, epsilon: number): OpAttr[] => [
  typeAttr(b, 'T'),
  typeAttr(b, 'U'),
  { name: 'epsilon', type: b.binding.TF_ATTR_FLOAT, value: epsilon },
  { name: 'data_format', type: b.binding.TF_ATTR_STRING, value: 'NHWC' },
  { name: 'is_training', type: b.binding.TF_ATTR_BOOL, value: true },
];

/**
 * FusedBatchNormV3 in training mode. Its batch_variance output is Bessel-corrected (x m/(m-1), m =
 * n*h*w); TF.js's layer keeps the biased variance for its moving average, so this returns that.
 */
function batchNormTrain(tf: Tf, p: KernelParams): Tensor[] {
  const b = nodeBackend(p);
  const { x, scale, offset } = p.inputs as { x: Tensor4D; scale: Tensor1D; offset: Tensor1D };
  const { epsilon } = p.attrs as unknown as { epsilon: number };
  const empty = tf.zeros([0]);
  const exponentialAvgFactor = { name: 'exponential_avg_factor', type: b.binding.TF_ATTR_FLOAT, value: 1 };
  const [y, mean, unbiased, reserve1, reserve2, reserve3] = b.executeMultipleOutputs('FusedBatchNormV3', [...batchNormAttrs(b, epsilon), exponentialAvgFactor],
    [x, scale, offset, empty, empty], 6);
  empty.dispose();
  reserve3.dispose(); // empty on CPU
  const m = x.shape[0] * x.shape[1] * x.shape[2];
  const factor = tf.scalar((m - 1) / m);
  const variance = b.executeSingleOutput('Mul', [typeAttr(b, 'T')], [unbiased, factor]);
  unbiased.dispose();
  factor.dispose();
  return [y, mean, variance, reserve1, reserve2];
}

function batchNormTrainGrad(tf: Tf, p: KernelParams): Tensor[] {
  const b = nodeBackend(p);
  const { dy, x, scale, reserve1, reserve2 } = p.inputs as Record<string, Tensor>;
  const { epsilon } = p.attrs as unknown as { epsilon: number };
  const empty = tf.zeros([0]);
  const [dx, dscale, doffset, r4, r5] = b.executeMultipleOutputs('FusedBatchNormGradV3', batchNormAttrs(b, epsilon), [dy, x, scale, reserve1, reserve2, empty], 5);
  empty.dispose();
  r4.dispose();
  r5.dispose();
  return [dx, dscale, doffset];
}

/**
 * Batch norm of an NHWC batch over its first three axes, as in training: y = (x - mean) /
 * sqrt(variance + epsilon) * scale + offset, with the batch's mean and biased variance (returned
 * for the moving averages; not differentiated, and kept out of every tidy: the caller disposes
 * them). Gradients flow to x, scale and offset through one FusedBatchNormGradV3. Only on the
 * `tensorflow` backend (registerTensorflowTrainingKernels).
 */
export function fusedBatchNormTraining(tf: Tf, x: Tensor4D, scale: Tensor1D, offset: Tensor1D, epsilon: number): { y: Tensor4D; mean: Tensor1D; variance: Tensor1D } {
  assert(tf.getBackend() === BACKEND, `fusedBatchNormTraining runs on the ${BACKEND} backend, not ${tf.getBackend()}`);
  let stats: Tensor[] = [];
  const run = tf.customGrad((...args: unknown[]) => {
    const [xi, s, o] = args as [Tensor4D, Tensor1D, Tensor1D];
    const save = args[3] as (tensors: Tensor[]) => void;
    const [y, mean, variance, reserve1, reserve2] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x: xi, scale: s, offset: o }, { epsilon }) as Tensor[];
    stats = [tf.keep(mean), tf.keep(variance)]; // the engine runs this in a tidy: kept, the caller disposes them
    save([xi, s, reserve1, reserve2]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, ss, r1, r2] = saved;
        return tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x: sx, scale: ss, reserve1: r1, reserve2: r2 }, { epsilon }) as Tensor[];
      },
    };
  });
  const y = run(x, scale, offset) as Tensor4D;
  return { y, mean: stats[0] as Tensor1D, variance: stats[1] as Tensor1D };
}
