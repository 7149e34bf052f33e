import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRESET_MEMBERS, PRESETS, resolveTrainConfig, trainConfigSchema } from '@/lib/training/config';

describe('resolveTrainConfig', () => {
  it('layers defaults <- preset <- overrides, later overrides winning', () => {
    const c = resolveTrainConfig('quick', { epochs: 7 }, { epochs: 9, loss: 'contrastive' });
    expect(c.epochs).toBe(9);
    expect(c.loss).toBe('contrastive');
    expect(c.maxTrainIdentities).toBe(PRESETS.quick.maxTrainIdentities);
    expect(c.learningRate).toBe(trainConfigSchema.parse({}).learningRate);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    { name: 'unknown key', input: { learningrate: 0.1 }, expected: /learningrate|Unrecognized/i },
    { name: 'wrong type', input: { epochs: 'ten' }, expected: /epochs/ },
    { name: 'odd pair batch', input: { pairsPerBatch: 7 }, expected: /pairsPerBatch/ },
    { name: 'unknown loss', input: { loss: 'arcface' }, expected: /loss/ },
  ])('rejects $name with invalid_config', ({ input, expected }) => {
    expect(() => resolveTrainConfig('default', input)).toThrow(expected);
    try {
      resolveTrainConfig('default', input);
    } catch (e) {
      expect((e as { code: string }).code).toBe('invalid_config');
    }
  });
});

describe('the default preset', () => {
  it('trains the committed object model: its members\' configs, in order', () => {
    const { object } = JSON.parse(readFileSync('models/defaults.json', 'utf8')) as { object: string };
    const manifest = JSON.parse(readFileSync(`models/object/${object}/manifest.json`, 'utf8')) as { members: { config: Record<string, unknown> }[] };
    const members = PRESET_MEMBERS.default!;
    expect(members).toHaveLength(manifest.members.length);
    members.forEach((overrides, i) => {
      // Through the schema, so knobs added since (at their defaults) compare equal.
      expect(resolveTrainConfig('default', overrides)).toEqual(resolveTrainConfig('quick', manifest.members[i].config));
    });
  });
});

describe('the retrain preset', () => {
  it("is the retraining job's fine-tuning shape, over the schema defaults", () => {
    const c = resolveTrainConfig('retrain', { epochs: 6, stepsPerEpoch: 20, learningRate: 5e-4 });
    expect(c).toEqual(
      trainConfigSchema.parse({
        epochs: 6, stepsPerEpoch: 20, learningRate: 5e-4,
        maxTrainIdentities: 0, lrDecay: 0.95, identitiesPerBatch: 16, imagesPerIdentity: 4, groupsPerBatch: 0, validationTrials: 200, calibrationImpostorPairs: 200_000,
      }),
    );
  });
});
