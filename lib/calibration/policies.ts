/**
 * The registry of open-set policies (issue 18): name -> factory over the model. `npm run evaluate
 * -- openset --policies a,b` and the service look policies up here; a new method adds one line.
 * lib/calibration does no I/O: whatever a factory needs of the model (curve, cohort vectors) is
 * read by the caller into `PolicyModel`.
 */
import { InputError } from '@/lib/errors';
import type { Cohort } from './cohort';
import { cohortPolicy, COHORT_SETTINGS } from './cohort-policy';
import { modelCurvePolicy } from './model-curve-policy';
import type { OpenSetTable } from './open-set-table';
import type { OpenSetPolicy } from './policy';
import type { CalibrationCurve } from './roc';

/** What a policy factory reads of a model. */
export interface PolicyModel {
  /** The model's folder (where files shipped with it, such as a cohort, sit). */
  dir: string;
  /** The model's kind: the cohort policy's setting is per kind. */
  kind: 'object' | 'face';
  /** The model's stored calibration. */
  calibration: { curve: CalibrationCurve };
  /** The score-normalisation cohort shipped with the model, or null. */
  cohort: Cohort | null;
  /** The open-set table shipped with the model, or null. */
  openSetTable: OpenSetTable | null;
}

/** Builds a policy for one model. */
export type PolicyFactory = (model: PolicyModel) => OpenSetPolicy;

/** `model-curve-table`, with `bound` `model-curve-bound` (./identity-bound.ts), or with `shift` the experiment `model-curve-table-shift` (./gallery-shift.ts). */
function tablePolicy(model: PolicyModel, opts: { bound: boolean; shift: boolean }): OpenSetPolicy {
  if (!model.openSetTable) throw new InputError('unknown_policy', `the model-curve-${opts.bound ? 'bound' : 'table'} policy needs a ${model.kind} model with an open-set table (evaluate make-openset-table)`);
  return modelCurvePolicy(model.calibration.curve, { count: 'table', gallery: 'tighten', table: model.openSetTable, ...opts });
}

/** Every policy by name. */
export const POLICIES: Readonly<Record<string, PolicyFactory>> = Object.freeze({
  'model-curve-identities': (model: PolicyModel) => modelCurvePolicy(model.calibration.curve, { count: 'identities', gallery: 'replace' }),
  'model-curve-images': (model: PolicyModel) => modelCurvePolicy(model.calibration.curve, { count: 'images', gallery: 'tighten' }),
  'model-curve-table': (model: PolicyModel) => tablePolicy(model, { bound: false, shift: false }),
  'model-curve-bound': (model: PolicyModel) => tablePolicy(model, { bound: true, shift: false }),
  'model-curve-table-shift': (model: PolicyModel) => tablePolicy(model, { bound: false, shift: true }),
  cohort: (model: PolicyModel) => {
    const setting = COHORT_SETTINGS[model.kind];
    if (!model.cohort || !setting) throw new InputError('unknown_policy', `the cohort policy needs a ${model.kind} model with a cohort and a cohort setting for its kind`);
    return cohortPolicy(model.cohort, setting);
  },
});

/** The policy `name` for `model`; `unknown_policy` names the known ones. */
export function createPolicy(name: string, model: PolicyModel): OpenSetPolicy {
  const factory = Object.hasOwn(POLICIES, name) ? POLICIES[name] : undefined;
  if (!factory) throw new InputError('unknown_policy', `unknown open-set policy ${JSON.stringify(name)}; known: ${Object.keys(POLICIES).join(', ')}`);
  return factory(model);
}
