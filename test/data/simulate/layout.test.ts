import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRxrx1Structure } from '../../../src/data/rxrx1Structure.js';
import { simulate, PRESETS, type Preset } from '../../../src/data/simulate/index.js';
import { keptSirnas } from '../../../src/data/simulate/layout.js';
import { sirnaTruth } from '../../../src/data/simulate/phenotype.js';
import { tempDir } from '../../helpers.js';

test('an enriched preset keeps the asked fraction of active siRNAs; a plain one keeps a random subset', async () => {
  const structure = loadRxrx1Structure();
  const active = (preset: Preset) =>
    keptSirnas(structure, preset, 1).treatments[0].filter((id) => sirnaTruth(1, id).hasEffect).length;
  assert.equal(keptSirnas(structure, PRESETS.small, 1).treatments[0].length, 30);
  assert.ok(active(PRESETS.small) >= 21, `${active(PRESETS.small)} active of 30`);
  const plain = active({ ...PRESETS.small, minEffectFraction: 0 });
  assert.ok(plain < 21, `a random 30 of group 0 holds ${plain} active siRNAs (about 40% expected)`);
  await assert.rejects(
    simulate({ out: tempDir(), seed: 1, preset: { ...PRESETS.tiny, minEffectFraction: 2 } }),
    /preset\.minEffectFraction: 2, expected a number in 0\.\.1/,
  );
});
