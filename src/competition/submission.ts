/**
 * Submission files: parsing, validation and scoring, shared by the server, `phenomap score` and rescoring.
 *
 * A submission is sample_submission.csv's format: the header `id_code,sirna`, then one row per test id_code
 * with the predicted siRNA label. The test set holds treatment wells only, so a label is an integer in
 * 0..1107 (the 1,108 treatment siRNAs; 1108..1138 are controls and are never a right answer). Accepted
 * leniencies: a UTF-8 byte-order mark, CRLF line ends, blank lines, fields wrapped in double quotes. Any
 * problem rejects the whole file; the message lists every kind of problem found (joined by "; "), each with
 * a count and the first few examples.
 *
 * Score: multiclass accuracy (the RxRx1 competition's metric), the fraction of key ids whose predicted label
 * equals the true one, over all ids and over the Public and Private subsets.
 */
import { TREATMENT_SIRNA_COUNT } from '../rxrx1/index.js';
import type { SolutionKey } from './key.js';

export const SUBMISSION_HEADER = 'id_code,sirna';
/** Highest treatment siRNA label: the only labels the test set (treatment wells) can have. */
export const MAX_SUBMISSION_SIRNA = TREATMENT_SIRNA_COUNT - 1;
/** Default largest submission accepted (a full RxRx1 submission is about 400 KB). */
export const DEFAULT_MAX_SUBMISSION_BYTES = 5 * 1024 * 1024;
/** Examples quoted per problem kind. */
export const MAX_EXAMPLES = 3;

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

/** The exact validation messages (each problem kind has one). Tests pin every one of them. */
export const SUBMISSION_MESSAGES = {
  empty: `empty file: expected the header "${SUBMISSION_HEADER}" and one row per test id_code`,
  tooLarge: (limit: number) => `file too large: the limit is ${limit} bytes`,
  header: (got: string) => `header must be exactly "${SUBMISSION_HEADER}", got ${quote(got)}`,
  malformed: (count: number, examples: string) =>
    `${count} malformed row(s) (expected 2 comma-separated fields id_code,sirna), e.g. ${examples}`,
  badSirna: (count: number, examples: string) =>
    `${count} row(s) with a sirna that is not an integer in 0..${MAX_SUBMISSION_SIRNA}, e.g. ${examples}`,
  duplicate: (count: number, examples: string) => `${count} duplicate id_code(s), e.g. ${examples}`,
  unknown: (count: number, examples: string) => `${count} unknown id_code(s) (not in the test set), e.g. ${examples}`,
  missing: (count: number, examples: string) => `${count} id_code(s) missing, e.g. ${examples}`,
} as const;

export interface ValidSubmission {
  valid: true;
  /** predictions[i] is the label predicted for key.ids[i]. */
  predictions: Int32Array;
  rows: number;
}

export interface InvalidSubmission {
  valid: false;
  /** All problems, joined by "; ". */
  message: string;
  problems: string[];
}

export type CheckedSubmission = ValidSubmission | InvalidSubmission;

export interface Scores {
  /** Accuracy over every key id. */
  accuracy: number;
  /** Accuracy over the Public ids; null when the key has no Usage (or no Public ids). */
  public: number | null;
  private: number | null;
  rows: number;
  publicRows: number;
  privateRows: number;
}

class Problem {
  count = 0;
  readonly examples: string[] = [];
  add(example: () => string): void {
    if (this.count++ < MAX_EXAMPLES) this.examples.push(example());
  }
  text(): string {
    return this.examples.join(', ');
  }
}

function unquote(field: string): string {
  return field.length >= 2 && field.charCodeAt(0) === 34 && field.charCodeAt(field.length - 1) === 34
    ? field.slice(1, -1)
    : field;
}

const decoder = new TextDecoder();

/** Parses and validates a submission against a key. Never throws on bad input: the result says what is wrong. */
export function checkSubmission(
  input: string | Uint8Array,
  key: SolutionKey,
  options: { maxBytes?: number } = {},
): CheckedSubmission {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SUBMISSION_BYTES;
  const invalid = (...problems: string[]): InvalidSubmission => ({
    valid: false,
    message: problems.join('; '),
    problems,
  });
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (bytes > maxBytes) return invalid(SUBMISSION_MESSAGES.tooLarge(maxBytes));
  let text = typeof input === 'string' ? input : decoder.decode(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') return invalid(SUBMISSION_MESSAGES.empty);

  const lines = text.split('\n');
  const header = lines[0].endsWith('\r') ? lines[0].slice(0, -1) : lines[0];
  // Fields may be quoted, the header's too ("id_code","sirna").
  if (header.split(',').map(unquote).join(',') !== SUBMISSION_HEADER)
    return invalid(SUBMISSION_MESSAGES.header(header));

  const predictions = new Int32Array(key.ids.length).fill(-1);
  const firstLine = new Int32Array(key.ids.length);
  const malformed = new Problem();
  const badSirna = new Problem();
  const duplicate = new Problem();
  const unknown = new Problem();
  let rows = 0;
  for (let n = 1; n < lines.length; n++) {
    let line = lines[n];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    const lineNumber = n + 1;
    const comma = line.indexOf(',');
    if (comma < 0 || line.indexOf(',', comma + 1) >= 0) {
      malformed.add(() => `line ${lineNumber}: ${quote(line)}`);
      continue;
    }
    rows++;
    const id = unquote(line.slice(0, comma));
    const label = unquote(line.slice(comma + 1));
    let value = -1;
    if (label.length > 0 && label.length <= 4) {
      value = 0;
      for (let k = 0; k < label.length; k++) {
        const digit = label.charCodeAt(k) - 48;
        if (digit < 0 || digit > 9) {
          value = -1;
          break;
        }
        value = value * 10 + digit;
      }
    } else if (/^0+\d{1,4}$/.test(label)) {
      value = Number(label);
    }
    if (value < 0 || value > MAX_SUBMISSION_SIRNA) badSirna.add(() => `line ${lineNumber}: ${quote(label)}`);
    const index = key.index.get(id);
    if (index === undefined) {
      unknown.add(() => `${quote(id)} (line ${lineNumber})`);
      continue;
    }
    if (firstLine[index] !== 0) {
      duplicate.add(() => `${quote(id)} (lines ${firstLine[index]} and ${lineNumber})`);
      continue;
    }
    firstLine[index] = lineNumber;
    predictions[index] = value;
  }
  const missing = new Problem();
  for (let i = 0; i < firstLine.length; i++) if (firstLine[i] === 0) missing.add(() => quote(key.ids[i]));

  const problems: string[] = [];
  if (malformed.count > 0) problems.push(SUBMISSION_MESSAGES.malformed(malformed.count, malformed.text()));
  if (badSirna.count > 0) problems.push(SUBMISSION_MESSAGES.badSirna(badSirna.count, badSirna.text()));
  if (duplicate.count > 0) problems.push(SUBMISSION_MESSAGES.duplicate(duplicate.count, duplicate.text()));
  if (unknown.count > 0) problems.push(SUBMISSION_MESSAGES.unknown(unknown.count, unknown.text()));
  if (missing.count > 0) problems.push(SUBMISSION_MESSAGES.missing(missing.count, missing.text()));
  if (problems.length > 0) return invalid(...problems);
  return { valid: true, predictions, rows };
}

/** Multiclass accuracy of aligned predictions (predictions[i] for key.ids[i]) overall and per board. */
export function scorePredictions(predictions: Int32Array, key: SolutionKey): Scores {
  let correct = 0;
  let publicRows = 0;
  let publicCorrect = 0;
  const usage = key.usage;
  for (let i = 0; i < key.ids.length; i++) {
    const hit = predictions[i] === key.sirna[i] ? 1 : 0;
    correct += hit;
    if (usage && usage[i] === 1) {
      publicRows++;
      publicCorrect += hit;
    }
  }
  const rows = key.ids.length;
  const privateRows = usage ? rows - publicRows : 0;
  return {
    accuracy: rows > 0 ? correct / rows : 0,
    public: usage && publicRows > 0 ? publicCorrect / publicRows : null,
    private: usage && privateRows > 0 ? (correct - publicCorrect) / privateRows : null,
    rows,
    publicRows,
    privateRows,
  };
}

export type ScoredSubmission = { valid: true; scores: Scores; rows: number } | InvalidSubmission;

/** Validates and scores in one call: what the server, the CLI and rescoring all run. */
export function scoreSubmission(
  input: string | Uint8Array,
  key: SolutionKey,
  options: { maxBytes?: number } = {},
): ScoredSubmission {
  const checked = checkSubmission(input, key, options);
  if (!checked.valid) return checked;
  return { valid: true, scores: scorePredictions(checked.predictions, key), rows: checked.rows };
}
