/**
 * zod schemas of every route's params, query and body, and the request types they infer: the server validates with
 * them, and the web app's client takes the same types. Messages say what was expected.
 */
import { z } from 'zod';
import { type Dataset, MAX_SIRNA_ID, WELL_TYPES, type WellType } from '../rxrx1/index.js';
import { BOARDS } from '../competition/types.js';
import { PROJECTIONS } from './types.js';

/** A repeated query parameter (?plate=1&plate=2) arrives as an array: treat it as a comma-separated list. */
const joined = (value: unknown) => (Array.isArray(value) ? value.join(',') : value);

/** A comma-separated list whose items each pass `item` (a function returning the value or throwing a message). */
function list<T>(description: string, item: (text: string) => T) {
  return z.preprocess(
    joined,
    z.string({ error: `expected ${description}` }).transform((text, context) => {
      const values: T[] = [];
      for (const part of text.split(',')) {
        const trimmed = part.trim();
        if (trimmed === '') continue;
        try {
          values.push(item(trimmed));
        } catch {
          context.addIssue({ code: 'custom', message: `"${trimmed}": expected ${description}` });
          return z.NEVER;
        }
      }
      if (values.length === 0) {
        context.addIssue({ code: 'custom', message: `expected ${description}` });
        return z.NEVER;
      }
      return values;
    }),
  );
}

function integerIn(min: number, max: number) {
  return (text: string): number => {
    if (!/^\d+$/.test(text)) throw new Error();
    const value = Number(text);
    if (value < min || value > max) throw new Error();
    return value;
  };
}

function matching(pattern: RegExp) {
  return (text: string): string => {
    if (!pattern.test(text)) throw new Error();
    return text;
  };
}

export const EXPERIMENT_PATTERN = /^[A-Za-z0-9]{1,16}-\d{1,4}$/;
export const SITE_ID_PATTERN = /^[A-Za-z0-9]{1,16}-\d{1,4}_\d_[A-P]\d{2}_\d$/;
/** A run is a folder name: letters, digits, dot, underscore, hyphen; no leading dot, so never `..`. */
export const RUN_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

const experiment = z
  .string()
  .regex(EXPERIMENT_PATTERN, { error: 'expected an experiment name {cell type}-{NN}, e.g. HEPG2-01' });
const plate = z.coerce
  .number({ error: 'expected a plate number 1..4' })
  .int({ error: 'expected a plate number 1..4' })
  .min(1, { error: 'expected a plate number 1..4' })
  .max(4, { error: 'expected a plate number 1..4' });
export const runName = z
  .string()
  .regex(RUN_PATTERN, { error: 'expected a run folder name (letters, digits, ".", "_", "-", not starting with ".")' });

export const wellsQuery = z
  .object({
    experiment: list('experiment names {cell type}-{NN}, e.g. HEPG2-01', matching(EXPERIMENT_PATTERN)).optional(),
    plate: list('plate numbers 1..4', integerIn(1, 4)).optional(),
    cellType: list('cell types such as HEPG2, HUVEC, RPE, U2OS', matching(/^[A-Za-z0-9]{1,16}$/)).optional(),
    wellType: list(`well types (${WELL_TYPES.join(', ')})`, (text) => {
      if (!WELL_TYPES.includes(text as WellType)) throw new Error();
      return text as WellType;
    }).optional(),
    sirnaId: list(`siRNA ids 0..${MAX_SIRNA_ID}`, integerIn(0, MAX_SIRNA_ID)).optional(),
    dataset: list('datasets (train, test)', (text) => {
      if (text !== 'train' && text !== 'test') throw new Error();
      return text as Dataset;
    }).optional(),
    limit: z.coerce
      .number({ error: 'expected an integer >= 1' })
      .int({ error: 'expected an integer >= 1' })
      .min(1, { error: 'expected an integer >= 1' })
      .optional(),
    offset: z.coerce
      .number({ error: 'expected an integer >= 0' })
      .int({ error: 'expected an integer >= 0' })
      .min(0, { error: 'expected an integer >= 0' })
      .optional(),
  })
  .strict();

export const siteParams = z.object({
  siteId: z
    .string()
    .regex(SITE_ID_PATTERN, { error: 'expected a site id {experiment}_{plate}_{well}_{site}, e.g. HEPG2-01_1_B02_1' }),
});

export const channelParams = siteParams.extend({
  file: z
    .string()
    .regex(/^[1-6]\.png$/, { error: 'expected {channel}.png with channel 1..6, e.g. 1.png' })
    .transform((text) => Number(text[0])),
});

const SIZES = [512, 256, 128, 64] as const;
const size = z.coerce
  .number({ error: `expected one of ${SIZES.join(', ')}` })
  .refine((value) => (SIZES as readonly number[]).includes(value), { error: `expected one of ${SIZES.join(', ')}` })
  .default(512);

const percentiles = z.preprocess(
  joined,
  z.string().transform((text, context) => {
    const parts = text.split(',').map((p) => p.trim());
    const values = parts.map(Number);
    if (
      parts.length !== 2 ||
      parts.some((p) => p === '') ||
      values.some((v) => !Number.isFinite(v) || v < 0 || v > 100) ||
      values[0] >= values[1]
    ) {
      context.addIssue({
        code: 'custom',
        message: `"${text}": expected LOW,HIGH percentiles in 0..100 with LOW < HIGH, e.g. 0.1,99.9`,
      });
      return z.NEVER;
    }
    return [values[0], values[1]] as [number, number];
  }),
);

const channelList = list('channels 1..6, e.g. 1,2,3', integerIn(1, 6)).refine(
  (channels) => new Set(channels).size === channels.length,
  { error: 'each channel may appear once' },
);

function channelMap<T>(description: string, value: (text: string) => T) {
  return list(description, (text) => {
    const match = /^w?([1-6]):(.+)$/.exec(text);
    if (!match) throw new Error();
    return [Number(match[1]), value(match[2])] as const;
  }).transform((entries) => Object.fromEntries(entries) as Record<number, T>);
}

const ranges = channelMap('CHANNEL:LOW-HIGH display ranges with 0 <= LOW < HIGH <= 255, e.g. 1:0-51,3:0-64', (text) => {
  const match = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) throw new Error();
  const low = Number(match[1]);
  const high = Number(match[2]);
  if (!(low < high && high <= 255)) throw new Error();
  return [low, high] as const;
});

const colors = channelMap('CHANNEL:RRGGBB colours, e.g. 1:1300f9,2:2aff1f', (text) => {
  if (!/^#?[0-9a-fA-F]{6}$/.test(text)) throw new Error();
  const hex = text.replace('#', '');
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)] as const;
});

export const compositeQuery = z
  .object({
    channels: channelList.optional(),
    percentiles: percentiles.optional(),
    ranges: ranges.optional(),
    colors: colors.optional(),
    size,
  })
  .strict()
  .refine((q) => !(q.percentiles && q.ranges), {
    error: 'give either ranges or percentiles, not both',
    path: ['ranges'],
  });

export const channelQuery = z.object({ size, percentiles: percentiles.optional() }).strict();

export const plateParams = z.object({ experiment, plate });

export const METADATA_FIELDS = ['well_type', 'sirna_group', 'sirna_id', 'sirna', 'cell_type', 'dataset'] as const;

export const plateValuesQuery = z
  .object({
    field: z.string().regex(/^[A-Za-z0-9_.:/-]{1,128}$/, {
      error: `expected a metadata field (${METADATA_FIELDS.join(', ')}), cell_count or a feature name`,
    }),
    run: runName.optional(),
  })
  .strict();

export const runParams = z.object({ run: runName });

export const embeddingQuery = z
  .object({
    method: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, { error: 'expected none or a correction method name' })
      .default('none'),
    projection: z.enum(PROJECTIONS, { error: `expected ${PROJECTIONS.join(' or ')}` }).default('pca'),
  })
  .strict();

export const leaderboardQuery = z
  .object({ board: z.enum(BOARDS, { error: `expected ${BOARDS.join(' or ')}` }).default('public') })
  .strict();

export const teamBody = z.object({ name: z.string({ error: 'expected a team name (a string)' }) }).strict();

export const runFileParams = runParams.extend({
  '*': z.string().refine((p) => p.split('/').every((segment) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(segment)), {
    error: 'expected a relative file path of plain names (no "..", no hidden files)',
  }),
});

export type WellsQuery = z.infer<typeof wellsQuery>;
/** The filters of GET /api/wells (its query without paging). */
export type WellFilter = Omit<WellsQuery, 'limit' | 'offset'>;
export type CompositeQuery = z.infer<typeof compositeQuery>;
export type ChannelQuery = z.infer<typeof channelQuery>;
export type MetadataField = (typeof METADATA_FIELDS)[number];
export type PlateValuesQuery = z.infer<typeof plateValuesQuery>;
export type EmbeddingQuery = z.infer<typeof embeddingQuery>;
export type LeaderboardQuery = z.infer<typeof leaderboardQuery>;
export type TeamBody = z.infer<typeof teamBody>;
