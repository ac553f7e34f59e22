import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * With PHENOMAP_NO_SKIPS=1 (set by .ci/run) a test that would skip for want of a resource fails instead, so CI
 * can never pass by silently skipping the tests on real files, PostgreSQL or the browser.
 */
export const NO_SKIPS = process.env.PHENOMAP_NO_SKIPS === '1';

/**
 * The reason to skip when a resource is missing (`{ skip: requirement(...) }`), or false when it is there. Under
 * PHENOMAP_NO_SKIPS it also registers a failing test that says what is missing.
 */
export function requirement(available: boolean, reason: string): string | false {
  if (available) return false;
  if (NO_SKIPS) {
    test(`required resource: ${reason}`, () => {
      throw new Error(`${reason} (PHENOMAP_NO_SKIPS=1: skipping is an error here)`);
    });
  }
  return reason;
}

/**
 * The real RxRx1 sample (metadata of all 51 experiments and the PNGs of a few wells): PHENOMAP_RXRX1_SAMPLE, else
 * ../shared/data/rxrx1 beside the repository.
 */
export const SHARED_RXRX1 = path.resolve(
  process.env.PHENOMAP_RXRX1_SAMPLE ?? path.resolve(REPO_ROOT, '..', 'shared', 'data', 'rxrx1'),
);

let sampleSkip: string | false | undefined;
/** `{ skip: needsSample() }` for a test that reads the real RxRx1 sample. */
export function needsSample(): string | false {
  sampleSkip ??= requirement(
    fs.existsSync(path.join(SHARED_RXRX1, 'metadata', 'train.csv')),
    `the real RxRx1 sample is not at ${SHARED_RXRX1}: set PHENOMAP_RXRX1_SAMPLE to a folder holding it ` +
      '(metadata/ and images/ as in the RxRx1 release; the project keeps one in ../shared/data/rxrx1)',
  );
  return sampleSkip;
}
/** Committed reference values (from numpy/PIL), kept in test/fixtures. */
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');

export function readFixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

/** A fresh temporary directory, removed when the test process exits. */
export function tempDir(prefix = 'phenomap-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Float32 features from plain numbers (the profile table's element type). */
export const f32 = (values: number[]) => Float32Array.from(values);

/** |actual - expected| <= tolerance, with both numbers in the message. */
export function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs expected ${expected} (tolerance ${tolerance})`,
  );
}
