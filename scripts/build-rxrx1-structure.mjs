#!/usr/bin/env node
/**
 * Regenerates assets/rxrx1/structure.json (the simulator's embedded RxRx1 structure) from the RxRx1
 * metadata files. Run after `npx tsc -p .`:
 *   node scripts/build-rxrx1-structure.mjs [metadataDir]   (default ../shared/data/rxrx1/metadata)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { deriveRxrx1Structure } = await import(path.join(root, 'dist/src/data/rxrx1Structure.js'));

const metadataDir = path.resolve(process.argv[2] ?? path.join(root, '..', 'shared', 'data', 'rxrx1', 'metadata'));
const structure = deriveRxrx1Structure(metadataDir);

// Compact but diffable: one line per group and per experiment.
const lines = (items) => items.map((item) => JSON.stringify(item)).join(',\n');
const text = `{"source":${JSON.stringify(structure.source)},"license":${JSON.stringify(structure.license)},\n"groups":[\n${lines(structure.groups)}],\n"experiments":[\n${lines(structure.experiments)}]}\n`;
JSON.parse(text); // the hand-joined layout must stay valid JSON

const target = path.join(root, 'assets', 'rxrx1', 'structure.json');
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.writeFileSync(`${target}.tmp`, text);
fs.renameSync(`${target}.tmp`, target);
console.log(`wrote ${path.relative(root, target)}: ${structure.experiments.length} experiments, ${text.length} bytes`);
