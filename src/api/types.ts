/**
 * The HTTP API's response bodies (src/server/API.md): the server builds them and the web app reads them, so they
 * are defined once, here, with the few constants they name. It imports only types, and only from modules with no
 * Node imports, so the web bundle imports it (not index.ts, whose zod schemas it does not need at run time).
 */
import type { FitOn } from '../correct/fitOn.js';
import type { SiteRecord } from '../data/site.js';
import type { ChannelStats } from '../image/stats.js';
import type { Dataset, LayoutKind, WellType } from '../rxrx1/index.js';

export {
  type Board,
  BOARDS,
  type CompetitionInfo,
  type CompetitionState,
  type Dialect,
  type Leaderboard,
  type LeaderboardEntry,
  type Quota,
  type SubmissionRecord,
  type Team,
  type TeamRegistration,
} from '../competition/types.js';
import type { Dialect, Quota, SubmissionRecord, Team } from '../competition/types.js';

/** Every error response: `{ error }`, a message saying what was expected and where. */
export interface ApiErrorBody {
  error: string;
}

/** GET /api/health. */
export interface Health {
  status: 'ok';
  /** The name of the dataset folder served (never its path: the server does not tell where its files are). */
  dataset: string;
  layout: LayoutKind;
  sites: number;
  db: Dialect;
  competition: boolean;
  runs: boolean;
}

export interface ExperimentRecord {
  experiment: string;
  cellType: string;
  dataset: Dataset;
  plates: number[];
}

/** GET /api/dataset. */
export interface DatasetInfo {
  /** The dataset folder's name (not its path). */
  name: string;
  layout: LayoutKind;
  sites: number;
  wells: number;
  experiments: ExperimentRecord[];
}

/** One well of GET /api/wells. */
export interface WellRecord {
  wellId: string;
  experiment: string;
  plate: number;
  well: string;
  /** Zero-based plate row (A = 0) and column (01 = 0). */
  row: number;
  column: number;
  cellType: string;
  dataset: Dataset;
  wellType: WellType;
  sirnaId: number | null;
  sirna: string | null;
  /**
   * RxRx1 siRNA group 0..3 of a treatment well (the 1,108 treatment siRNAs form 4 groups of 277 and each plate
   * holds one group): the group of its siRNA, or for an unlabelled well the group of its plate (the group most
   * of the plate's labelled treatments belong to, else RxRx1's plate_groups assignment). Null for controls.
   */
  sirnaGroup: number | null;
  /** Site numbers present in the metadata. */
  sites: number[];
}

/** One channel of GET /api/sites/:siteId. */
export interface SiteChannel {
  channel: number;
  stain: string;
  target: string;
  /** Whether the channel's image file exists. */
  present: boolean;
  /** Pixel statistics of the channel; null when its file is missing. */
  stats: ChannelStats | null;
}

/** GET /api/sites/:siteId: the site's metadata and its channels. */
export interface SiteInfo extends SiteRecord {
  channels: SiteChannel[];
}

/** A well's value on a plate map: a metadata field's value, or a feature's (null when missing). */
export type PlateValue = string | number | null;

/** GET /api/plates/:experiment/:plate/values. */
export interface PlateValues {
  field: string;
  /** The run whose profiles gave a feature's values (absent for a metadata field). */
  run?: string;
  values: { well: string; value: PlateValue }[];
}

/** One run of GET /api/runs. */
export interface RunInfo {
  name: string;
  hasReport: boolean;
  hasMetrics: boolean;
  hasProfiles: boolean;
  /** Batch-correction methods the embedding endpoint accepts for this run ('none' first); [] without profiles. */
  methods: string[];
}

export interface EmbeddingPoint {
  wellId: string;
  x: number;
  y: number;
  experiment: string | null;
  cellType: string | null;
  sirnaId: number | null;
  wellType: string | null;
}

/** The projections GET /api/runs/:run/embedding computes. */
export const PROJECTIONS = ['pca'] as const;
export type Projection = (typeof PROJECTIONS)[number];

/** GET /api/runs/:run/embedding. */
export interface Embedding {
  run: string;
  method: string;
  projection: Projection;
  features: number;
  explained: [number, number];
  /**
   * Rows the correction was fitted on: negative controls (src/correct's default), or all rows when an experiment has
   * too few negative control wells (e.g. a one-plate simulated dataset); null for method none.
   */
  fittedOn: FitOn | null;
  points: EmbeddingPoint[];
}

/** GET /api/competition/teams/me. */
export interface TeamStatus {
  team: Team;
  quota: Quota;
}

/** POST /api/competition/submissions (201; a rejected file answers 400 with this and `error`). */
export interface SubmitResponse {
  submission: SubmissionRecord;
  quota: Quota;
}

/** GET /api/competition/submissions: the team's submissions, newest first. */
export interface TeamSubmissions {
  team: Team;
  submissions: SubmissionRecord[];
  quota: Quota;
}
