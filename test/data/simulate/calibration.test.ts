import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellTypeModels, loadCalibration, parseCalibration } from '../../../src/data/simulate/calibration.js';
import { CELL_TYPES } from '../../../src/rxrx1/index.js';

interface RealTargets {
  count: number;
  nucleusArea: number;
  cellArea: number;
}

test('the shipped calibration has a model and the real targets it was fitted to for every cell type', () => {
  const calibration = loadCalibration();
  assert.match(calibration.license, /CC BY-NC-SA 4\.0/);
  const models = cellTypeModels();
  for (const cellType of CELL_TYPES) {
    const model = models[cellType];
    assert.equal(model.channels.length, 6, cellType);
    const targets = calibration.cellTypes[cellType]!.targets as {
      real: RealTargets;
      simulated: RealTargets;
      sites: number;
    };
    assert.ok(targets.sites >= 4, `${cellType}: fitted to ${targets.sites} real sites`);
    // The fit converged: its last simulation counts and sizes nuclei as the real sites measure.
    for (const key of ['count', 'nucleusArea'] as const) {
      const ratio = targets.simulated[key] / targets.real[key];
      assert.ok(Math.abs(ratio - 1) < 0.05, `${cellType}: simulated ${key} ${ratio.toFixed(3)} of the real one`);
    }
    // Some nuclei are rejected (no room) or dropped by featurize (touching the edge): more are drawn than counted.
    assert.ok(
      model.density >= 0.9 * targets.real.count && model.density < 2 * targets.real.count,
      `${cellType}: ${model.density} nuclei drawn per site for ${targets.real.count} counted`,
    );
  }
  // The cell types differ as the real ones do: HEPG2 densest with the smallest nuclei, RPE the largest cells.
  assert.ok(models.HEPG2.density > 2.5 * models.HUVEC.density);
  assert.ok(models.HEPG2.nucleusRadius < models.RPE.nucleusRadius);
});

test('a bad calibration file is rejected naming the field', () => {
  const good = structuredClone(loadCalibration());
  const bad = structuredClone(good);
  bad.cellTypes.HUVEC!.model.density = -1;
  assert.throws(() => parseCalibration(bad, 'cal.json'), /cal\.json: cellTypes\.HUVEC\.model\.density: /);
  const short = structuredClone(good);
  short.cellTypes.RPE!.model.channels.pop();
  assert.throws(() => parseCalibration(short, 'cal.json'), /cellTypes\.RPE\.model\.channels/);
  const missing = structuredClone(good);
  delete (missing.cellTypes as Record<string, unknown>).U2OS;
  assert.throws(() => parseCalibration(missing, 'cal.json'), /cal\.json: cellTypes\.U2OS/);
  assert.deepEqual(parseCalibration(good), good);
});
