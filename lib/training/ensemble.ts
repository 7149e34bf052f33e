/**
 * Ensembles of towers trained apart (`npm run train -- --merge <a>,<b>`): the members must be plain
 * conv towers of one kind sharing input preprocessing (but for the side, which the joined tower
 * resizes: `mergeTowers`) and the held-out split, so the ensemble is calibrated on identities none
 * of its members trained on.
 */
import { isDeepStrictEqual } from 'node:util';
import { InputError } from '@/lib/errors';
import { manifestMember, type ModelManifest } from '@/lib/embedder/manifest';
import type { ConvSpec, TowerSpec } from '@/lib/embedder/tower';
import type { TrainResult } from './train';

/**
 * Checks that `manifests` can be joined and returns their conv specs and the index of the one with
 * the largest input (whose preprocessing and config the ensemble takes); throws `InputError`
 * (`invalid_config`) naming what differs.
 */
export function ensembleMembers(manifests: readonly ModelManifest[]): { specs: ConvSpec[]; largest: number } {
  if (manifests.length < 2) throw new InputError('invalid_config', `--merge needs 2+ model folders, got ${manifests.length}`);
  const specs = manifests.map((m) => {
    const spec = m.architecture as unknown as TowerSpec;
    if (spec.type !== 'conv' || m.input.type !== 'image') throw new InputError('invalid_config', `--merge joins plain conv towers; ${m.version} is ${JSON.stringify(m.architecture)}`);
    return spec;
  });
  const [first] = manifests;
  const sideless = (m: ModelManifest) => (m.input.type === 'image' ? { ...m.input.preprocess, inputSizePx: 0 } : m.input);
  for (const m of manifests.slice(1)) {
    if (m.kind !== first.kind) throw new InputError('invalid_config', `--merge: ${m.version} is a ${m.kind} model, ${first.version} a ${first.kind} model`);
    if (!isDeepStrictEqual(sideless(m), sideless(first))) throw new InputError('invalid_config', `--merge: ${m.version} and ${first.version} preprocess images differently`);
    if (!isDeepStrictEqual(m.data.heldOut, first.data.heldOut)) throw new InputError('invalid_config', `--merge: ${m.version} and ${first.version} hold out different identities`);
  }
  const largest = specs.reduce((best, s, i) => (s.inputSizePx > specs[best].inputSizePx ? i : best), 0);
  return { specs, largest };
}

/** Training fields of an ensemble's result: each member's record, summed time, overall throughput. */
export function ensembleTraining(manifests: readonly ModelManifest[]): Pick<TrainResult, 'members' | 'lossHistory' | 'trainingSeconds' | 'pairsPerSecond'> {
  const members = manifests.map(manifestMember);
  const trainingSeconds = members.reduce((s, m) => s + m.trainingSeconds, 0);
  const pairs = members.reduce((s, m) => s + m.pairsPerSecond * m.trainingSeconds, 0);
  return { members, lossHistory: [], trainingSeconds, pairsPerSecond: pairs / Math.max(trainingSeconds, 1e-3) };
}
