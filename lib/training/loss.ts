/**
 * Metric-learning losses on embeddings (L2-normalised by the tower, so distances lie in [0, 2]).
 *
 * Label convention everywhere: `same: boolean` — true when both sides show the same identity.
 * Identity arrays (`identities[i]`) are small integers; equal integers mean the same identity.
 * Distances are Euclidean: d(a, b) = sqrt(max(|a - b|^2, EPS)). The clamp keeps the gradient of
 * sqrt finite when two embeddings coincide (and is far below any margin we use).
 */
import type { Tf } from '@/lib/embedder/backend';
import { assert } from '@/lib/errors';

type Tensor = ReturnType<Tf['tensor']>;
type Scalar = ReturnType<Tf['scalar']>;

/** Clamp on squared distances before the square root (d >= 1e-3). */
const EPS = 1e-6;
/** Added to masked-out entries so min() never picks them (distances are <= 2 after L2 norm). */
const BIG = 1e4;

/**
 * Pairwise Euclidean distances of the rows of `embeddings` [n, d] -> [n, n].
 * d_ij^2 = |x_i|^2 + |x_j|^2 - 2 x_i . x_j (clamped at EPS before the square root).
 */
export function pairwiseDistances(tf: Tf, embeddings: Tensor): Tensor {
  return tf.tidy(() => {
    const sq = embeddings.square().sum(1, true); // [n, 1]
    const dot = tf.matMul(embeddings as ReturnType<Tf['tensor2d']>, embeddings as ReturnType<Tf['tensor2d']>, false, true); // [n, n]
    const d2 = sq.add(sq.transpose()).sub(dot.mul(2)); // [n, n]
    return tf.maximum(d2, EPS).sqrt();
  });
}

/**
 * Contrastive loss (Hadsell, Chopra & LeCun 2006, "Dimensionality Reduction by Learning an
 * Invariant Mapping", eq. 4), with our label convention (their Y = 0 is our same = true):
 *   L = mean_i [ same_i * 1/2 d_i^2 + (1 - same_i) * 1/2 max(0, margin - d_i)^2 ]
 * where d_i = |a_i - b_i| for the i-th pair. `a`, `b`: [n, d]; `same`: n booleans.
 */
export function contrastiveLoss(tf: Tf, a: Tensor, b: Tensor, same: readonly boolean[], margin: number): Scalar {
  assert(a.shape[0] === same.length && b.shape[0] === same.length, `contrastiveLoss: expected ${same.length} pairs, got a ${a.shape[0]}, b ${b.shape[0]}`);
  return tf.tidy(() => {
    const y = tf.tensor1d(same.map((s) => (s ? 1 : 0))); // [n]
    const d2 = tf.maximum(a.sub(b).square().sum(1), EPS); // [n]
    const d = d2.sqrt();
    const pull = y.mul(d2).mul(0.5);
    const push = tf.scalar(1).sub(y).mul(tf.relu(tf.scalar(margin).sub(d)).square()).mul(0.5);
    return pull.add(push).mean() as Scalar;
  });
}

/** Positive / negative masks [n, n] of an identity array: pos = same identity and i != j; neg = other identity. */
function identityMasks(tf: Tf, identities: readonly number[]): { pos: Tensor; neg: Tensor } {
  const n = identities.length;
  const pos = new Float32Array(n * n);
  const neg = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (identities[i] === identities[j]) pos[i * n + j] = i === j ? 0 : 1;
      else neg[i * n + j] = 1;
    }
  }
  return { pos: tf.tensor2d(pos, [n, n]), neg: tf.tensor2d(neg, [n, n]) };
}

/**
 * Batch-hard triplet loss (Hermans, Beyer & Leibe 2017, "In Defense of the Triplet Loss for
 * Person Re-Identification", eq. 5): each anchor a takes its hardest positive and hardest negative
 * inside the batch (a P x K batch: P identities, K images each):
 *   L = mean_a max(0, margin + max_{p: same} d(a, p) - min_{n: !same} d(a, n))
 * With `margin = 'soft'` the hinge becomes the soft-margin softplus (their eq. 6):
 *   L = mean_a ln(1 + exp(max_p d(a, p) - min_n d(a, n))).
 * `embeddings`: [n, d]; `identities`: n integers, every identity present at least twice.
 */
export function tripletBatchHardLoss(tf: Tf, embeddings: Tensor, identities: readonly number[], margin: number | 'soft'): Scalar {
  assert(embeddings.shape[0] === identities.length, `tripletBatchHardLoss: expected ${identities.length} embeddings, got ${embeddings.shape[0]}`);
  return tf.tidy(() => {
    const d = pairwiseDistances(tf, embeddings); // [n, n]
    const { pos, neg } = identityMasks(tf, identities);
    const hardestPos = d.mul(pos).max(1); // [n]; distances are >= 0, masked entries are 0
    const hardestNeg = d.add(tf.scalar(1).sub(neg).mul(BIG)).min(1); // [n]
    const gap = hardestPos.sub(hardestNeg);
    const perAnchor = margin === 'soft' ? tf.softplus(gap) : tf.relu(gap.add(margin));
    return perAnchor.mean() as Scalar;
  });
}

/**
 * Semi-hard triplet loss (Schroff, Kalenichenko & Philbin 2015, "FaceNet", section 3.2), as in
 * TensorFlow Addons' `triplet_semihard_loss`: every positive pair (a, p) takes the closest negative
 * that is farther than p (d(a, n) > d(a, p)); if no negative is, the farthest negative:
 *   L = mean_{(a,p): same, a != p} max(0, margin + d(a, p) - d(a, n*(a, p)))
 * `embeddings`: [n, d]; `identities`: n integers.
 */
export function tripletSemiHardLoss(tf: Tf, embeddings: Tensor, identities: readonly number[], margin: number): Scalar {
  const n = identities.length;
  assert(embeddings.shape[0] === n, `tripletSemiHardLoss: expected ${n} embeddings, got ${embeddings.shape[0]}`);
  return tf.tidy(() => {
    const d = pairwiseDistances(tf, embeddings); // [n, n]
    const { pos } = identityMasks(tf, identities);
    // Which negative each positive pair uses is a discrete choice: make it on a copy of the
    // distances (no gradient through the selection), then read the chosen distances with a one-hot mask.
    const dv = d.dataSync();
    const select = new Float32Array(n * n * n); // [a, p, n]: 1 at the chosen negative of (a, p)
    for (let a = 0; a < n; a++) {
      let farthest = -1;
      for (let k = 0; k < n; k++) if (identities[k] !== identities[a] && (farthest < 0 || dv[a * n + k] > dv[a * n + farthest])) farthest = k;
      for (let p = 0; p < n; p++) {
        if (p === a || identities[p] !== identities[a] || farthest < 0) continue;
        let chosen = -1;
        for (let k = 0; k < n; k++) {
          if (identities[k] === identities[a] || dv[a * n + k] <= dv[a * n + p]) continue;
          if (chosen < 0 || dv[a * n + k] < dv[a * n + chosen]) chosen = k;
        }
        select[(a * n + p) * n + (chosen >= 0 ? chosen : farthest)] = 1;
      }
    }
    const dAn = d.reshape([n, 1, n]); // [a, 1, n]
    const chosenNeg = dAn.mul(tf.tensor3d(select, [n, n, n])).sum(2); // [a, p]
    const perPair = tf.relu(d.sub(chosenNeg).add(margin)).mul(pos); // [a, p]
    return perPair.sum().div(tf.maximum(pos.sum(), 1)) as Scalar;
  });
}

/**
 * Prototypical loss (Snell, Swersky & Zemel 2017, "Prototypical Networks for Few-shot Learning",
 * eq. 2) inside a P x K batch: each identity's prototype c_k is the mean of its embeddings, and
 * every embedding is classified by a softmax over negative squared distances to the prototypes:
 *   L = mean_i -log( exp(-d(x_i, c_{y_i})^2 / T) / sum_k exp(-d(x_i, c_k)^2 / T) )
 * `temperature` T scales distances of unit vectors (d^2 in [0, 4]). Unlike the hinge losses it
 * has a useful gradient when all embeddings start close together (no batch norm to centre them).
 * A sample is never part of the prototype it is scored against (Snell et al. keep support and query
 * apart): its own prototype is c_{-i}, the mean of the other K-1 images, and since
 * x_i - c_{-i} = K/(K-1) (x_i - c), d(x_i, c_{-i})^2 = (K/(K-1))^2 d(x_i, c)^2. With the sample
 * inside its prototype the loss stayed near 0.1 for embeddings with no identity structure at all
 * (P=16, K=4), and held-out accuracy plateaued (issue 3 note).
 */
export function prototypicalLoss(tf: Tf, embeddings: Tensor, identities: readonly number[], temperature: number): Scalar {
  const n = identities.length;
  assert(embeddings.shape[0] === n, `prototypicalLoss: expected ${n} embeddings, got ${embeddings.shape[0]}`);
  const ids = [...new Set(identities)];
  const column = new Map(ids.map((id, k) => [id, k]));
  const member = new Float32Array(ids.length * n); // [P, n]: 1/K where x_i belongs to prototype k
  const counts = ids.map((id) => identities.filter((x) => x === id).length);
  const ownScale = new Float32Array(n * ids.length).fill(1); // [n, P]: (K/(K-1))^2 on each sample's own prototype
  identities.forEach((id, i) => {
    const k = column.get(id)!;
    assert(counts[k] >= 2, `prototypicalLoss: identity ${id} has 1 image in the batch; K must be >= 2`);
    member[k * n + i] = 1 / counts[k];
    ownScale[i * ids.length + k] = (counts[k] / (counts[k] - 1)) ** 2;
  });
  return tf.tidy(() => {
    const prototypes = tf.matMul(tf.tensor2d(member, [ids.length, n]), embeddings as ReturnType<Tf['tensor2d']>); // [P, d]
    const sqE = embeddings.square().sum(1, true); // [n, 1]
    const sqC = prototypes.square().sum(1, true).transpose(); // [1, P]
    const d2 = sqE
      .add(sqC)
      .sub(tf.matMul(embeddings as ReturnType<Tf['tensor2d']>, prototypes, false, true).mul(2))
      .mul(tf.tensor2d(ownScale, [n, ids.length])); // [n, P], own prototype leave-one-out
    const labels = tf.oneHot(tf.tensor1d(identities.map((id) => column.get(id)!), 'int32'), ids.length); // [n, P]
    const logProb = tf.logSoftmax(d2.mul(-1 / temperature)); // [n, P]
    return logProb.mul(labels).sum(1).neg().mean() as Scalar;
  });
}
