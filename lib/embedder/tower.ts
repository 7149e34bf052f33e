/**
 * The embedding tower: one network applied to both (or all three) sides of a pair or triplet —
 * the "twin towers" of a Siamese net share these weights by construction. Its output is
 * L2-normalised, so Euclidean distances between embeddings lie in [0, 2].
 *
 * Image tower (default object model): 4 blocks of conv3x3 (same padding, ReLU) + maxPool 2x2, then
 * flatten and a linear dense layer to `embeddingDim` (the "conv-4" backbone of Snell et al. 2017,
 * Prototypical Networks). No batch norm: its gradient on wasm halved training speed (issue 3).
 * Vector tower (heads on 128-d face descriptors): a plain dense stack.
 */
import type { Tf } from './backend';

/** A TF.js layers model, as built by `tf.sequential`. */
export type LayersModel = ReturnType<Tf['sequential']>;

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
      /** Output embedding length. */
      embeddingDim: number;
      /** Batch norm after each conv (before ReLU). Fast on tfjs-node; its gradient halves wasm speed (issue 3). */
      batchNorm?: boolean;
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

/** Builds a tower with seeded initialisers (He-normal before ReLU, Glorot-uniform otherwise). */
export function buildTower(tf: Tf, spec: TowerSpec, seed: number): LayersModel {
  registerTowerLayers(tf);
  let s = seed * 1000;
  const he = () => tf.initializers.heNormal({ seed: s++ });
  const glorot = () => tf.initializers.glorotUniform({ seed: s++ });
  const model = tf.sequential();
  if (spec.type === 'conv') {
    spec.filters.forEach((filters, i) => {
      model.add(
        tf.layers.conv2d({
          ...(i === 0 ? { inputShape: [spec.inputSizePx, spec.inputSizePx, spec.channels] } : {}),
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: spec.batchNorm ? 'linear' : 'relu',
          useBias: !spec.batchNorm,
          kernelInitializer: he(),
          name: `conv${i + 1}`,
        }),
      );
      if (spec.batchNorm) {
        model.add(tf.layers.batchNormalization({ momentum: 0.9, name: `bn${i + 1}` }));
        model.add(tf.layers.reLU({ name: `relu${i + 1}` }));
      }
      model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool${i + 1}` }));
    });
    model.add(tf.layers.flatten({ name: 'flatten' })); // [n, side * side * filters]
  } else {
    spec.hidden.forEach((units, i) => {
      model.add(
        tf.layers.dense({
          ...(i === 0 ? { inputShape: [spec.inputDim] } : {}),
          units,
          activation: 'relu',
          kernelInitializer: he(),
          name: `hidden${i + 1}`,
        }),
      );
    });
  }
  model.add(
    tf.layers.dense({
      ...(spec.type === 'mlp' && spec.hidden.length === 0 ? { inputShape: [spec.inputDim] } : {}),
      units: spec.embeddingDim,
      kernelInitializer: glorot(),
      name: 'embedding',
    }),
  );
  const L2 = tf.serialization.SerializationMap.getMap().classNameMap[L2_NORMALIZE_CLASS][0] as unknown as new (args: object) => InstanceType<Tf['layers']['Layer']>;
  model.add(new L2({ name: 'l2_normalize' }));
  return model;
}

/** Input shape of one sample (without the batch axis) for a tower spec. */
export function towerInputShape(spec: TowerSpec): number[] {
  return spec.type === 'conv' ? [spec.inputSizePx, spec.inputSizePx, spec.channels] : [spec.inputDim];
}
