/**
 * The batch-correction step as evaluation sees it: a function from a (well-level) profile table to a corrected
 * one, with src/correct's signature. Evaluation takes it as a parameter (tests pass small local ones); the
 * default is src/correct's correctProfiles.
 */
import { correctProfiles, CORRECTION_METHODS, type CorrectionMethod, type CorrectOptions } from '../correct/index.js';
import type { ProfileTable } from '../store/profiles.js';

export { CORRECTION_METHODS, type CorrectionMethod };

export type CorrectionRequest = CorrectOptions;

/** src/correct's `correctProfiles(table, { method, batch, controls })`, or a stand-in with the same contract. */
export type CorrectFn = (table: ProfileTable, options: CorrectionRequest) => ProfileTable | Promise<ProfileTable>;

export const defaultCorrect: CorrectFn = correctProfiles;

/** Throws unless every name is a correction method of src/correct. */
export function checkMethods(methods: readonly string[]): CorrectionMethod[] {
  const unknown = methods.filter((m) => !(CORRECTION_METHODS as readonly string[]).includes(m));
  if (unknown.length)
    throw new Error(
      `evaluate: unknown correction method(s) ${unknown.join(', ')}; expected ${CORRECTION_METHODS.join(', ')}`,
    );
  return methods as CorrectionMethod[];
}
