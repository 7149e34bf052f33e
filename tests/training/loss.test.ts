import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, type Tf } from '@/lib/embedder/backend';
import { contrastiveLoss, pairwiseDistances, prototypicalLoss, tripletBatchHardLoss, tripletSemiHardLoss } from '@/lib/training/loss';

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await initTf('wasm'));
});

const relu = (x: number) => Math.max(0, x);
const softplus = (x: number) => Math.log(1 + Math.exp(x));

// Four unit vectors: identity 0 = e0, e1; identity 1 = e2, e3.
const E = [
  [1, 0],
  [0.6, 0.8],
  [0, 1],
  [-0.8, -0.6],
];
const IDS = [0, 0, 1, 1];
// Hand-computed distances: d01 = sqrt(0.8), d02 = sqrt(2), d03 = sqrt(3.6), d12 = sqrt(0.4), d13 = sqrt(3.92), d23 = sqrt(3.2).
const d01 = Math.sqrt(0.8);
const d02 = Math.sqrt(2);
const d03 = Math.sqrt(3.6);
const d12 = Math.sqrt(0.4);
const d13 = Math.sqrt(3.92);
const d23 = Math.sqrt(3.2);

async function value(t: { data(): Promise<ArrayLike<number>>; dispose(): void }): Promise<number> {
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

describe('pairwiseDistances', () => {
  it('matches the hand-computed Euclidean distances', async () => {
    const e = tf.tensor2d(E);
    const d = pairwiseDistances(tf, e);
    const got = Array.from(await d.data());
    e.dispose();
    d.dispose();
    expect(got[1]).toBeCloseTo(d01, 5);
    expect(got[2 * 4 + 3]).toBeCloseTo(d23, 5);
    expect(got[0]).toBeCloseTo(1e-3, 5); // sqrt(EPS) on the diagonal
  });
});

describe('contrastiveLoss', () => {
  it('L = mean(same * d^2/2 + (1 - same) * max(0, m - d)^2/2) on 3 pairs', async () => {
    // pair 1: (1,0)-(0,1) same, d = sqrt(2): 2/2 = 1
    // pair 2: (1,0)-(0.6,0.8) different, d = sqrt(0.8), m = 1: (1 - sqrt(0.8))^2 / 2
    // pair 3: (1,0)-(-1,0) different, d = 2 > m: 0
    const a = tf.tensor2d([[1, 0], [1, 0], [1, 0]]);
    const b = tf.tensor2d([[0, 1], [0.6, 0.8], [-1, 0]]);
    const got = await value(contrastiveLoss(tf, a, b, [true, false, false], 1));
    a.dispose();
    b.dispose();
    const expected = (2 / 2 + (1 - Math.sqrt(0.8)) ** 2 / 2 + 0) / 3;
    expect(got).toBeCloseTo(expected, 5);
  });

  it('is 0 for identical same pairs (up to the EPS clamp) and m^2/2 for identical different pairs', async () => {
    const a = tf.tensor2d([[0, 1]]);
    expect(await value(contrastiveLoss(tf, a, a, [true], 0.5))).toBeCloseTo(0, 5);
    expect(await value(contrastiveLoss(tf, a, a, [false], 0.5))).toBeCloseTo((0.5 - 1e-3) ** 2 / 2, 5);
    a.dispose();
  });
});

describe('tripletBatchHardLoss', () => {
  it('L = mean_a max(0, m + max_p d(a,p) - min_n d(a,n)), m = 0.6', async () => {
    const e = tf.tensor2d(E);
    const got = await value(tripletBatchHardLoss(tf, e, IDS, 0.6));
    const expected =
      (relu(0.6 + d01 - Math.min(d02, d03)) + // anchor 0
        relu(0.6 + d01 - Math.min(d12, d13)) + // anchor 1
        relu(0.6 + d23 - Math.min(d02, d12)) + // anchor 2
        relu(0.6 + d23 - Math.min(d03, d13))) / // anchor 3
      4;
    expect(got).toBeCloseTo(expected, 5);
    expect(await value(tripletBatchHardLoss(tf, e, IDS, 'soft'))).toBeCloseTo(
      (softplus(d01 - d02) + softplus(d01 - d12) + softplus(d23 - d12) + softplus(d23 - d03)) / 4,
      5,
    );
    e.dispose();
  });
});

describe('tripletSemiHardLoss', () => {
  it('takes the closest negative farther than the positive, else the farthest negative (m = 0.6)', async () => {
    const e = tf.tensor2d(E);
    const got = await value(tripletSemiHardLoss(tf, e, IDS, 0.6));
    const expected =
      (relu(0.6 + d01 - d02) + // (0,1): negatives d02, d03 both > d01; closest d02
        relu(0.6 + d01 - d13) + // (1,0): negatives d12 < d01 < d13; semi-hard d13
        relu(0.6 + d23 - d02) + // (2,3): no negative of 2 beyond d23; farthest d02
        relu(0.6 + d23 - d03)) / // (3,2): negatives d03 < d13 both > d23; closest d03
      4;
    expect(got).toBeCloseTo(expected, 5);
    e.dispose();
  });
});

describe('prototypicalLoss', () => {
  // L = mean_i -log softmax_k(-d(x_i, c_k)^2 / T)_{y_i}, own prototype without x_i (leave one out).
  it('matches hand-computed values in 1-d: A = {0, 1}, B = {3, 5}, T = 1', async () => {
    // Own (leave-one-out) prototypes: x1 -> 1, x2 -> 0, x3 -> 5, x4 -> 3; other prototypes cA = 0.5, cB = 4.
    // x1: own d^2 1, other 16; x2: 1 vs 9; x3: 4 vs 6.25; x4: 4 vs 20.25. -log softmax = log(1 + e^(own - other)).
    const expected = [1 - 16, 1 - 9, 4 - 6.25, 4 - 20.25].map((x) => Math.log1p(Math.exp(x))).reduce((a, b) => a + b) / 4;
    const loss = prototypicalLoss(tf, tf.tensor2d([[0], [1], [3], [5]]), [0, 0, 1, 1], 1);
    expect(await value(loss)).toBeCloseTo(expected, 5);
  });

  it('does not reward embeddings with no identity structure (no sample inside its own prototype)', async () => {
    // 4 identities x 2 images, every image its own orthogonal unit vector: the other image of the same
    // identity is at d^2 = 2, each other prototype (e_a + e_b)/2 at d^2 = 1.5, so L = log(1 + 3 e^0.5) at T = 1.
    const eye = tf.eye(8);
    const loss = prototypicalLoss(tf, eye, [0, 0, 1, 1, 2, 2, 3, 3], 1);
    expect(await value(loss)).toBeCloseTo(Math.log1p(3 * Math.exp(0.5)), 5);
    eye.dispose();
  });

  it('refuses an identity with one image in the batch', () => {
    expect(() => prototypicalLoss(tf, tf.tensor2d([[0], [1], [3]]), [0, 0, 1], 1)).toThrow(/K must be >= 2/);
  });
});
