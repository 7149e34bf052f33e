/**
 * The embedding tower: one network applied to both (or all three) sides of a pair or triplet —
 * the "twin towers" of a Siamese net share these weights by construction. Its output is
 * L2-normalised, so Euclidean distances between embeddings lie in [0, 2].
 *
 * Image tower (default object model): 4 blocks of conv3x3 (same padding, ReLU) + maxPool 2x2, then
 * flatten and a linear dense layer to `embeddingDim` (the "conv-4" backbone of Snell et al. 2017,
 * Prototypical Networks); batch norm optional (its gradient on wasm halves training speed, issue 3).
 * An ensemble (`members` > 1) runs M such towers side by side on the same input: each output is
 * L2-normalised, the M are concatenated and normalised again, so a squared distance is the mean of
 * the members' squared distances. `mergeTowers` joins towers trained apart into one.
 * Vector tower (heads on 128-d face descriptors): a plain dense stack.
 */
import type { Tf } from './backend';

/** A TF.js layers model: `tf.sequential` for one tower, `tf.model` for an ensemble. */
export type LayersModel = ReturnType<Tf['model']>;
type Layer = InstanceType<Tf['layers']['Layer']>;
type SymbolicTensor = ReturnType<Tf['input']>;

/** Architecture of a tower; stored in the model manifest. */
export type TowerSpec =
  | {
      /** Convolutional tower over square HWC images. */
      type: 'conv';
      /** Input side in pixels. */
      inputSizePx: number;
      /** Input channels (1 = grey). */
      channels: number;
      /** Filters of each conv block; each block halves the side (maxPool 2x2). */
      filters: number[];
      /** Output embedding length (of each member). */
      embeddingDim: number;
      /** Batch norm after each conv (before ReLU). Fast on tfjs-node; its gradient halves wasm speed (issue 3). */
      batchNorm?: boolean;
      /** Ensemble of this many towers (layer names prefixed `m1_`, `m2_`, …); absent = 1, a plain tower. */
      members?: number;
      /** Embed each image as the mean over test-time shifts (`embedTower` in ./embed.ts); inference only. */
      testShifts?: boolean;
    }
  | {
      /** Dense tower over vectors. */
      type: 'mlp';
      /** Input vector length. */
      inputDim: number;
      /** Widths of the hidden ReLU layers (may be empty: a single linear map). */
      hidden: number[];
      /** Output embedding length. */
      embeddingDim: number;
    };

/** Class name of the L2-normalisation layer in saved `model.json` files. */
export const L2_NORMALIZE_CLASS = 'L2Normalize';

const registered = new WeakSet<object>();

/**
 * Registers the custom `L2Normalize` layer with this TF.js instance's serialization registry
 * (needed before `tf.loadLayersModel` reads a tower). Idempotent.
 */
export function registerTowerLayers(tf: Tf): void {
  if (registered.has(tf.serialization)) return;
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
  registered.add(tf.serialization);
}

function l2NormalizeLayer(tf: Tf, name: string): Layer {
  const L2 = tf.serialization.SerializationMap.getMap().classNameMap[L2_NORMALIZE_CLASS][0] as unknown as new (args: object) => Layer;
  return new L2({ name });
}

/** Layers of one tower, in order, names prefixed; `next()` hands out seeded initialiser seeds. */
function towerLayers(tf: Tf, spec: TowerSpec, prefix: string, next: () => number): Layer[] {
  const he = () => tf.initializers.heNormal({ seed: next() });
  const glorot = () => tf.initializers.glorotUniform({ seed: next() });
  const layers: Layer[] = [];
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
        layers.push(tf.layers.batchNormalization({ momentum: 0.9, name: `${prefix}bn${i + 1}` }));
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
  layers.push(l2NormalizeLayer(tf, `${prefix}l2_normalize`));
  return layers;
}

/** Members of a tower spec (1 for a plain tower). */
export function towerMembers(spec: TowerSpec): number {
  return spec.type === 'conv' ? (spec.members ?? 1) : 1;
}

/** Embedding length a tower outputs (members x each member's). */
export function towerOutputDim(spec: TowerSpec): number {
  return towerMembers(spec) * spec.embeddingDim;
}

/** Builds a tower with seeded initialisers (He-normal before ReLU, Glorot-uniform otherwise). */
export function buildTower(tf: Tf, spec: TowerSpec, seed: number): LayersModel {
  registerTowerLayers(tf);
  let s = seed * 1000;
  const next = () => s++;
  const members = towerMembers(spec);
  if (members === 1) return tf.sequential({ layers: towerLayers(tf, spec, '', next) }) as unknown as LayersModel;
  const input = tf.input({ shape: towerInputShape(spec), name: 'input' });
  const outputs = Array.from({ length: members }, (_, m) =>
    towerLayers(tf, spec, `m${m + 1}_`, next).reduce<SymbolicTensor>((x, layer) => layer.apply(x) as SymbolicTensor, input),
  );
  const joined = tf.layers.concatenate({ name: 'concat' }).apply(outputs) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: l2NormalizeLayer(tf, 'l2_normalize').apply(joined) as SymbolicTensor });
}

/**
 * Joins plain towers trained apart (same spec, e.g. other seeds) into one ensemble tower: each
 * member's weights are copied into the `m<i>_` layers. The members are not disposed.
 */
export function mergeTowers(tf: Tf, members: readonly LayersModel[], spec: Extract<TowerSpec, { type: 'conv' }>): LayersModel {
  const merged = buildTower(tf, { ...spec, members: members.length }, 0);
  members.forEach((member, m) => {
    for (const layer of member.layers) {
      if (layer.getWeights().length > 0) merged.getLayer(`m${m + 1}_${layer.name}`).setWeights(layer.getWeights());
    }
  });
  return merged;
}

/** Input shape of one sample (without the batch axis) for a tower spec. */
export function towerInputShape(spec: TowerSpec): number[] {
  return spec.type === 'conv' ? [spec.inputSizePx, spec.inputSizePx, spec.channels] : [spec.inputDim];
}
