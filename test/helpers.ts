import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run from dist/test). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Real RxRx1 files shipped beside the repository. */
export const SHARED_RXRX1 = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'rxrx1');
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
