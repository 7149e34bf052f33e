/**
 * Ensembles of towers trained apart (`npm run train -- --merge <a>,<b>`): the members must share
 * kind, input preprocessing, conv architecture and held-out split, so the joined tower
 * (`mergeTowers`) takes the same input and is calibrated on the same unseen identities.
 */
import { isDeepStrictEqual } from 'node:util';
import { InputError } from '@/lib/errors';
import type { ManifestMember, ModelManifest } from '@/lib/embedder/manifest';
import type { TowerSpec } from '@/lib/embedder/tower';
import type { TrainResult } from './train';

type ConvSpec = Extract<TowerSpec, { type: 'conv' }>;

/** The members' common plain conv spec; throws `InputError` (`invalid_config`) naming what differs. */
export function ensembleMemberSpec(manifests: readonly ModelManifest[]): ConvSpec {
  if (manifests.length < 2) throw new InputError('invalid_config', `--merge needs 2+ model folders, got ${manifests.length}`);
  const [first] = manifests;
  const spec = first.architecture as unknown as TowerSpec;
  if (spec.type !== 'conv' || (spec.members ?? 1) !== 1) throw new InputError('invalid_config', `--merge joins plain conv towers; ${first.version} is ${JSON.stringify(first.architecture)}`);
  for (const m of manifests.slice(1)) {
    for (const field of ['kind', 'input', 'architecture'] as const) {
      if (!isDeepStrictEqual(m[field], first[field])) throw new InputError('invalid_config', `--merge: ${m.version} and ${first.version} differ in ${field}`);
    }
    if (!isDeepStrictEqual(m.data.heldOut, first.data.heldOut)) throw new InputError('invalid_config', `--merge: ${m.version} and ${first.version} hold out different identities`);
  }
  return spec;
}

/** Training fields of an ensemble's result: each member's record, summed time, overall throughput. */
export function ensembleTraining(manifests: readonly ModelManifest[]): Pick<TrainResult, 'members' | 'lossHistory' | 'trainingSeconds' | 'pairsPerSecond'> {
  const members: ManifestMember[] = manifests.map((m) => ({
    version: m.version, seed: m.seed, config: m.config, metrics: m.metrics, lossHistory: m.lossHistory,
    pairsPerSecond: m.pairsPerSecond, backend: m.backend, trainingSeconds: m.trainingSeconds, createdAt: m.createdAt,
  }));
  const trainingSeconds = members.reduce((s, m) => s + m.trainingSeconds, 0);
  const pairs = members.reduce((s, m) => s + m.pairsPerSecond * m.trainingSeconds, 0);
  return { members, lossHistory: [], trainingSeconds, pairsPerSecond: pairs / Math.max(trainingSeconds, 1e-3) };
}
