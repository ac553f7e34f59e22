/** The version of phenomap itself (package.json), recorded in every run and checked by queue workers. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

export function phenomapVersion(): string {
  if (version === undefined) {
    // dist/src/util/version.js -> the package root, three folders up.
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
    try {
      version = (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
