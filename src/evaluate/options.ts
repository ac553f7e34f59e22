/** The options of an evaluation with their defaults filled in, and what each metric family is handed. */
import { type GroundTruth, readGroundTruth } from './groundTruth.js';
import type { LogisticOptions } from './logistic.js';
import type { EvaluateOptions } from './types.js';
import type { WellView } from './wellView.js';

export interface ResolvedOptions {
  seed: number;
  batch: 'experiment' | 'plate';
  knnK: number;
  kShots: number[];
  novelSirnas: Set<number> | null;
  nullSize: number;
  maxRetrievalWells: number;
  maxMixingWells: number;
  mixingComponents: number;
  plots: boolean;
  umap: boolean;
  maxPlotWells: number;
  highlightSirnas: number;
  heatmapFeature?: string;
  heatmapPlates: number;
  logistic: LogisticOptions;
  truth: GroundTruth | null;
  progress: (message: string) => void;
}

/** The defaults of EvaluateOptions (documented there); reads the ground truth when given as a file. */
export function resolveOptions(options: EvaluateOptions): ResolvedOptions {
  return {
    seed: options.seed ?? 0,
    batch: options.batch ?? 'experiment',
    knnK: options.knnK ?? 5,
    kShots: options.kShots ?? [1, 5, 10],
    novelSirnas: options.novelSirnas ? new Set(options.novelSirnas) : null,
    nullSize: options.nullSize ?? 10000,
    maxRetrievalWells: options.maxRetrievalWells ?? 4000,
    maxMixingWells: options.maxMixingWells ?? 3000,
    mixingComponents: options.mixingComponents ?? 50,
    plots: options.plots ?? true,
    umap: options.umap ?? true,
    maxPlotWells: options.maxPlotWells ?? 2000,
    highlightSirnas: options.highlightSirnas ?? 6,
    heatmapFeature: options.heatmapFeature,
    heatmapPlates: options.heatmapPlates ?? 8,
    logistic: options.logistic ?? {},
    truth:
      typeof options.groundTruth === 'string' ? readGroundTruth(options.groundTruth) : (options.groundTruth ?? null),
    progress: options.onProgress ?? (() => {}),
  };
}

/** Runs `work` and records its duration in seconds under `name`. */
export type Timer = <T>(name: string, work: () => T) => T;

export function timer(seconds: Record<string, number>): Timer {
  return <T>(name: string, work: () => T): T => {
    const start = performance.now();
    try {
      return work();
    } finally {
      seconds[name] = Number(((performance.now() - start) / 1000).toFixed(3));
    }
  };
}

/** What a metric family works with: the corrected wells, the options, a timer and a progress line. */
export interface MethodContext {
  view: WellView;
  options: ResolvedOptions;
  time: Timer;
  say: (message: string) => void;
}
