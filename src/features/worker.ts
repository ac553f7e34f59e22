/**
 * Worker-thread body of `featurize` (piscina): loads one site into a tensor the thread keeps, featurizes it with
 * the thread's reusable workspace and returns the site row (and per-object rows when asked). A site that cannot
 * be loaded or measured comes back as a problem, so one bad site never stops a plate.
 */
import { loadSite, SiteLoadError, SITE_TENSOR_SIZE, type SiteLocation } from '../image/site.js';
import { featurizeSite, FeaturizeWorkspace, type FeaturizeParameters } from './pipeline.js';

export interface FeaturizeTask {
  imageRoot: string;
  site: SiteLocation & { siteId: string };
  parameters: FeaturizeParameters;
  perObject: boolean;
}

export interface FeaturizeSuccess {
  siteId: string;
  names: string[];
  values: Float32Array;
  /** Per-object rows, row-major count x objectNames.length (only when asked). */
  objects?: { names: string[]; count: number; values: Float32Array };
}

export interface FeaturizeFailure {
  siteId: string;
  problem: string;
  files?: { file: string; reason: string }[];
}

const workspace = new FeaturizeWorkspace();
const tensor = new Uint8Array(SITE_TENSOR_SIZE);

export async function featurizeTask(task: FeaturizeTask): Promise<FeaturizeSuccess | FeaturizeFailure> {
  const { siteId } = task.site;
  try {
    await loadSite(task.imageRoot, task.site, tensor);
  } catch (error) {
    if (error instanceof SiteLoadError)
      return { siteId, problem: 'site could not be loaded', files: error.problems.map((p) => ({ ...p })) };
    return { siteId, problem: `site could not be loaded: ${(error as Error).message}` };
  }
  try {
    const result = featurizeSite(tensor, task.parameters, workspace, { perObject: task.perObject });
    const success: FeaturizeSuccess = { siteId, names: result.names, values: Float32Array.from(result.values) };
    if (result.objects) {
      const { count, names, columns } = result.objects;
      const values = new Float32Array(count * names.length);
      columns.forEach((column, j) => {
        for (let o = 0; o < count; o++) values[o * names.length + j] = column[o];
      });
      success.objects = { names, count, values };
    }
    return success;
  } catch (error) {
    return { siteId, problem: `featurization failed: ${(error as Error).stack ?? (error as Error).message}` };
  }
}
