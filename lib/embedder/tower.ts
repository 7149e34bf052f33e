/**
 * The embedding tower: one network applied to both (or all three) sides of a pair or triplet —
 * the "twin towers" of a Siamese net share these weights by construction. Its output is
 * L2-normalised, so Euclidean distances between embeddings lie in [0, 2].
 *
 * Image tower (default object model): 4 blocks of conv3x3 (same padding, ReLU) + maxPool 2x2, then
 * flatten and a linear dense layer to `embeddingDim` (the "conv-4" backbone of Snell et al. 2017,
 * Prototypical Networks); batch norm optional (its gradient on wasm halves training speed, issue 3).
 * An ensemble runs M conv towers side by side on one input: a member whose input side is smaller
 * gets the input resized (bilinear, corners aligned) first; each member's output is L2-normalised,
 * the M are concatenated and normalised again, so a squared distance is the mean of the members'
 * squared distances. `mergeTowers` joins towers trained apart into one.
 * Vector tower (heads on 128-d face descriptors): a plain dense stack.
 */
import { assert } from '@/lib/errors';
import type { Tensor, Tensor1D, Tensor4D, Tf } from './backend';
import { fusedBatchNormTraining } from './tensorflow-kernels';

/** A TF.js layers model: `tf.sequential` for one tower, `tf.model` for an ensemble. */
export type LayersModel = ReturnType<Tf['model']>;
type Layer = InstanceType<Tf['layers']['Layer']>;
type SymbolicTensor = ReturnType<Tf['input']>;

/** Architecture of a tower; stored in the model manifest. */
export type TowerSpec = ConvSpec | EnsembleSpec | MlpSpec;

/** Convolutional tower over square HWC images. */
export type ConvSpec = {
  type: 'conv';
  /** Input side in pixels. */
  inputSizePx: number;
  /** Input channels (1 = grey). */
  channels: number;
  /** Filters of each conv block; each block halves the side (maxPool 2x2). */
  filters: number[];
  /** Output embedding length. */
  embeddingDim: number;
  /** Batch norm after each conv (before ReLU). Fast on tfjs-node; its gradient halves wasm speed (issue 3). */
  batchNorm?: boolean;
  /** Embed each image as the mean over test-time shifts (`embedTower` in ./embed.ts); inference only. */
  testShifts?: boolean;
};

/** Conv towers trained apart, run side by side (layer names prefixed `m1_`, `m2_`, …). */
export type EnsembleSpec = {
  type: 'ensemble';
  /** Input side in pixels: the largest member's. */
  inputSizePx: number;
  /** Input channels (every member's). */
  channels: number;
  /** The members' own specs. */
  members: ConvSpec[];
  /** Embed each image as the mean over test-time shifts (`embedTower` in ./embed.ts); inference only. */
  testShifts?: boolean;
};

/** Dense tower over vectors. */
export type MlpSpec = {
  type: 'mlp';
  /** Input vector length. */
  inputDim: number;
  /** Widths of the hidden ReLU layers (may be empty: a single linear map). */
  hidden: number[];
  /** Output embedding length. */
  embeddingDim: number;
  /** No dense layers: embedding = x / ||x|| (a raw feature as a model; then `hidden` is empty and `embeddingDim` = `inputDim`). */
  identity?: true;
};

/** Class name of the L2-normalisation layer in saved `model.json` files. */
export const L2_NORMALIZE_CLASS = 'L2Normalize';
/** Class name of the square bilinear resize layer (ensemble members with a smaller input). */
export const RESIZE_CLASS = 'SquareResize';
/** Class name of TF.js's batch norm layer, which `registerTowerLayers` re-registers (see there). */
const BATCH_NORM_CLASS = 'BatchNormalization';

const registered = new WeakSet<object>();

/**
 * Registers the custom `L2Normalize` and `SquareResize` layers with this TF.js instance's
 * serialization registry (needed before `tf.loadLayersModel` reads a tower). Idempotent.
 * (TF.js's own `Resizing` layer drops the batch axis from its output shape, so a layer after it
 * cannot be built.)
 */
export function registerTowerLayers(tf: Tf): void {
  if (registered.has(tf.serialization)) return;
  type Kwargs = ConstructorParameters<Tf['layers']['Layer']>[0];
  class SquareResize extends tf.layers.Layer {
    static className = RESIZE_CLASS;
    readonly side: number;
    constructor(args: Kwargs & { side: number }) {
      super(args);
      this.side = args.side;
    }
    computeOutputShape(shape: number[]) {
      return [shape[0], this.side, this.side, shape[3]]; // [n, side, side, c]
    }
    // Bilinear with corners aligned, the same on every backend.
    call(inputs: Parameters<InstanceType<Tf['layers']['Layer']>['call']>[0]) {
      return tf.tidy(() => tf.image.resizeBilinear((Array.isArray(inputs) ? inputs[0] : inputs) as ReturnType<Tf['tensor4d']>, [this.side, this.side], true));
    }
    getConfig() {
      return { ...super.getConfig(), side: this.side };
    }
  }
  tf.serialization.registerClass(SquareResize);
  class L2Normalize extends tf.layers.Layer {
    static className = L2_NORMALIZE_CLASS;
    // x / sqrt(max(sum(x^2), 1e-12)) along the last axis.
    call(inputs: Parameters<InstanceType<Tf['layers']['Layer']>['call']>[0]) {
      return tf.tidy(() => {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return x.div(tf.maximum(x.square().sum(-1, true), 1e-12).sqrt());
      });
    }
  }
  tf.serialization.registerClass(L2Normalize);
  // TF.js's batch norm layer, except in training on the tensorflow backend over NHWC batches: there
  // the batch statistics, the normalisation and its gradient are TensorFlow's fused ops
  // (./tensorflow-kernels.ts: same values, a fraction of the passes), and the moving averages are
  // updated as the stock layer does, v <- v - (v - batch) * (1 - momentum). It keeps the class name,
  // so saved models are unchanged and load into it.
  const Stock = tf.serialization.SerializationMap.getMap().classNameMap[BATCH_NORM_CLASS][0] as unknown as typeof tf.layers.Layer;
  type Variable = { read(): Tensor; write(v: Tensor): void };
  type Fields = { axis: number; momentum: number; epsilon: number; center: boolean; scale: boolean; gamma: Variable; beta: Variable; movingMean: Variable; movingVariance: Variable };
  class BatchNormalization extends Stock {
    static className = BATCH_NORM_CLASS;
    call(inputs: Parameters<InstanceType<Tf['layers']['Layer']>['call']>[0], kwargs: Parameters<InstanceType<Tf['layers']['Layer']>['call']>[1]) {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor4D;
      const f = this as unknown as Fields;
      const lastAxis = f.axis === -1 || f.axis === x.rank - 1;
      if (!kwargs.training || tf.getBackend() !== 'tensorflow' || x.rank !== 4 || !lastAxis || !f.center || !f.scale) return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const { y, mean, variance } = fusedBatchNormTraining(tf, x, f.gamma.read() as Tensor1D, f.beta.read() as Tensor1D, f.epsilon);
        for (const [moving, batch] of [[f.movingMean, mean], [f.movingVariance, variance]] as const) {
          const v = moving.read();
          moving.write(tf.sub(v, tf.mul(tf.sub(v, batch), 1 - f.momentum)));
        }
        mean.dispose();
        variance.dispose();
        return y;
      });
    }
  }
  tf.serialization.registerClass(BatchNormalization);
  registered.add(tf.serialization);
}

function customLayer(tf: Tf, className: string, args: object): Layer {
  const Class = tf.serialization.SerializationMap.getMap().classNameMap[className][0] as unknown as new (args: object) => Layer;
  return new Class(args);
}

/** Layers of one tower, in order, names prefixed; `next()` hands out seeded initialiser seeds. */
function towerLayers(tf: Tf, spec: ConvSpec | MlpSpec, prefix: string, next: () => number): Layer[] {
  const he = () => tf.initializers.heNormal({ seed: next() });
  const glorot = () => tf.initializers.glorotUniform({ seed: next() });
  const layers: Layer[] = [];
  if (spec.type === 'mlp' && spec.identity) {
    assert(spec.hidden.length === 0 && spec.embeddingDim === spec.inputDim, `an identity tower has no hidden layers and embeddingDim = inputDim, got ${JSON.stringify(spec)}`);
    return [customLayer(tf, L2_NORMALIZE_CLASS, { name: `${prefix}l2_normalize`, inputShape: [spec.inputDim] })];
  }
  if (spec.type === 'conv') {
    spec.filters.forEach((filters, i) => {
      layers.push(
        tf.layers.conv2d({
          ...(i === 0 && !prefix ? { inputShape: [spec.inputSizePx, spec.inputSizePx, spec.channels] } : {}),
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: spec.batchNorm ? 'linear' : 'relu',
          useBias: !spec.batchNorm,
          kernelInitializer: he(),
          name: `${prefix}conv${i + 1}`,
        }),
      );
      if (spec.batchNorm) {
        layers.push(customLayer(tf, BATCH_NORM_CLASS, { momentum: 0.9, name: `${prefix}bn${i + 1}` }));
        layers.push(tf.layers.reLU({ name: `${prefix}relu${i + 1}` }));
      }
      layers.push(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `${prefix}pool${i + 1}` }));
    });
    layers.push(tf.layers.flatten({ name: `${prefix}flatten` })); // [n, side * side * filters]
  } else {
    spec.hidden.forEach((units, i) => {
      layers.push(tf.layers.dense({ ...(i === 0 ? { inputShape: [spec.inputDim] } : {}), units, activation: 'relu', kernelInitializer: he(), name: `hidden${i + 1}` }));
    });
  }
  layers.push(
    tf.layers.dense({
      ...(spec.type === 'mlp' && spec.hidden.length === 0 ? { inputShape: [spec.inputDim] } : {}),
      units: spec.embeddingDim,
      kernelInitializer: glorot(),
      name: `${prefix}embedding`,
    }),
  );
  layers.push(customLayer(tf, L2_NORMALIZE_CLASS, { name: `${prefix}l2_normalize` }));
  return layers;
}

/** Embedding length a tower outputs (an ensemble: the sum of its members'). */
export function towerOutputDim(spec: TowerSpec): number {
  return spec.type === 'ensemble' ? spec.members.reduce((sum, m) => sum + m.embeddingDim, 0) : spec.embeddingDim;
}

/** Builds a tower with seeded initialisers (He-normal before ReLU, Glorot-uniform otherwise). */
export function buildTower(tf: Tf, spec: TowerSpec, seed: number): LayersModel {
  registerTowerLayers(tf);
  let s = seed * 1000;
  const next = () => s++;
  if (spec.type !== 'ensemble') return tf.sequential({ layers: towerLayers(tf, spec, '', next) }) as unknown as LayersModel;
  const input = tf.input({ shape: towerInputShape(spec), name: 'input' });
  const outputs = spec.members.map((member, m) => {
    const resize = member.inputSizePx === spec.inputSizePx ? [] : [customLayer(tf, RESIZE_CLASS, { side: member.inputSizePx, name: `m${m + 1}_resize` })];
    return [...resize, ...towerLayers(tf, member, `m${m + 1}_`, next)].reduce<SymbolicTensor>((x, layer) => layer.apply(x) as SymbolicTensor, input);
  });
  const joined = tf.layers.concatenate({ name: 'concat' }).apply(outputs) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: customLayer(tf, L2_NORMALIZE_CLASS, { name: 'l2_normalize' }).apply(joined) as SymbolicTensor });
}

/**
 * Joins conv towers trained apart (same channels; input sides may differ) into one ensemble tower
 * taking the largest side: each member's weights are copied into its `m<i>_` layers. The members
 * are not disposed.
 */
export function mergeTowers(tf: Tf, members: readonly { model: LayersModel; spec: ConvSpec }[]): { model: LayersModel; spec: EnsembleSpec } {
  const spec: EnsembleSpec = {
    type: 'ensemble',
    inputSizePx: Math.max(...members.map((m) => m.spec.inputSizePx)),
    channels: members[0].spec.channels,
    members: members.map(({ spec: { testShifts: _shifts, ...plain } }) => plain),
  };
  const model = buildTower(tf, spec, 0);
  members.forEach((member, m) => {
    for (const layer of member.model.layers) {
      if (layer.getWeights().length > 0) model.getLayer(`m${m + 1}_${layer.name}`).setWeights(layer.getWeights());
    }
  });
  return { model, spec };
}

/** Input shape of one sample (without the batch axis) for a tower spec. */
export function towerInputShape(spec: TowerSpec): number[] {
  return spec.type === 'mlp' ? [spec.inputDim] : [spec.inputSizePx, spec.inputSizePx, spec.channels];
}
