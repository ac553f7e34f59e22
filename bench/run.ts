/**
 * `npm run bench`: runs every benchmark (or those named on the command line), each comparing phenomap with a
 * reference on the same input in the same run and writing bench/results/<name>.json.
 */
import { benchSiteLoad } from './siteLoad.js';
import { benchSimulate } from './simulate.js';
import { benchServer } from './server.js';
import { benchFeaturize } from './featurize.js';
import { benchCorrect } from './correct.js';
import { benchGemm } from './gemm.js';
import { benchCnn } from './cnn.js';
import { benchAcceptance } from './acceptance.js';
import { benchCnnVsClassical } from './cnnVsClassical.js';
import { benchCnnAblation } from './cnnAblation.js';
import { benchRealism } from './realism.js';
import { benchRobustness } from './robustness.js';

const BENCHMARKS: Record<string, () => Promise<Record<string, unknown>>> = {
  'site-load': () => benchSiteLoad(),
  simulate: () => benchSimulate(),
  featurize: () => benchFeaturize(),
  correct: () => benchCorrect(),
  gemm: () => benchGemm(),
  server: () => benchServer(),
  cnn: () => benchCnn(),
  'acceptance-small': () => benchAcceptance(),
  'cnn-vs-classical-small': () => benchCnnVsClassical(),
  'cnn-ablation': () => benchCnnAblation(),
  realism: () => benchRealism(),
  robustness: () => benchRobustness(),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
  console.log(`== ${name}`);
  const started = performance.now();
  const result = await BENCHMARKS[name]();
  console.log(JSON.stringify(result, null, 2));
  console.log(`== ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
