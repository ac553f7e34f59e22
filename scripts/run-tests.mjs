// Runs every compiled test file below dist/test (test/ mirrors src/, so files sit in subfolders) with node's test
// runner; extra arguments go to `node --test` (e.g. --test-name-pattern). Node 20 has no glob for --test.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function testFiles(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return testFiles(file);
      return entry.name.endsWith('.test.js') ? [file] : [];
    })
    .sort();
}

const files = testFiles('dist/test');
if (files.length === 0) {
  console.error('run-tests: no dist/test/**/*.test.js (run tsc -p . first)');
  process.exit(2);
}
const run = spawnSync(process.execPath, ['--test', ...process.argv.slice(2), ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
