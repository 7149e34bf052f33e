/**
 * The registry of open-set policies (issue 18): name -> factory over the model. `npm run evaluate
 * -- openset --policies a,b` and the service look policies up here; a new method adds one line.
 * lib/calibration does no I/O: whatever a factory needs of the model (curve, cohort vectors) is
 * read by the caller into `PolicyModel`.
 */
import { InputError } from '@/lib/errors';
import { modelCurveIdentitiesPolicy } from './model-curve-policy';
import type { OpenSetPolicy } from './policy';
import type { CalibrationCurve } from './roc';

/** What a policy factory reads of a model. */
export interface PolicyModel {
  /** The model's folder (where files shipped with it, such as a cohort, sit). */
  dir: string;
  /** The model's stored calibration. */
  calibration: { curve: CalibrationCurve };
}

/** Builds a policy for one model. */
export type PolicyFactory = (model: PolicyModel) => OpenSetPolicy;

/** Every policy by name. */
export const POLICIES: Readonly<Record<string, PolicyFactory>> = Object.freeze({
  'model-curve-identities': (model: PolicyModel) => modelCurveIdentitiesPolicy(model.calibration.curve),
});

/** The policy `name` for `model`; `unknown_policy` names the known ones. */
export function createPolicy(name: string, model: PolicyModel): OpenSetPolicy {
  const factory = Object.hasOwn(POLICIES, name) ? POLICIES[name] : undefined;
  if (!factory) throw new InputError('unknown_policy', `unknown open-set policy ${JSON.stringify(name)}; known: ${Object.keys(POLICIES).join(', ')}`);
  return factory(model);
}
