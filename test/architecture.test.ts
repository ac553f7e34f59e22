/**
 * The architecture rules of src/ (HELPER_GUIDE/DESIGN.md): no import cycle between top-level folders, no file over
 * 500 lines, and nothing the web bundle imports (transitively) is server-side: no Node builtin, no file of a Node
 * layer (server, cli, jobs), no npm package outside the browser's list. Each failure prints the offending path.
 *
 * The import graph comes from oxc-parser (a maintained TypeScript parser) over the sources. dependency-cruiser and
 * madge do not fit this project: dependency-cruiser 18 needs Node >= 22 and does not support TypeScript 7 (which has
 * no JS compiler API), and madge's TypeScript detective needs the TypeScript 5 API too. Type-only imports count:
 * a folder that needs another's types depends on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { parseSync } from 'oxc-parser';
import { REPO_ROOT } from './helpers.js';

const SRC = path.join(REPO_ROOT, 'src');
const MAX_FILE_LINES = 500;
/** The web bundle's own entry points: every module of src/web except its (Node-side) Vite build configuration. */
const WEB_EXCLUDED = new Set(['web/vite.config.ts']);
/** Folders of src/ that run only in Node (the web app may not import them, even for types). */
const NODE_LAYERS = new Set(['server', 'cli', 'jobs']);
/** npm packages the web bundle may import. */
const WEB_PACKAGES = new Set(['react', 'react-dom', 'zod']);
const NODE_BUILTINS = new Set(builtinModules);
/**
 * Files over the limit that their owners are splitting now (issue 9); each entry goes when its file is split (the
 * test fails on an entry whose file already fits, so the list can only shrink).
 */
const PENDING_SPLITS = new Map<string, string>();

/** One module's imports: resolved src/ files (relative to src/) and bare specifiers (packages, builtins). */
interface ModuleImports {
  files: string[];
  bare: string[];
}

/** Module path relative to src/ -> its imports. */
type ImportGraph = Map<string, ModuleImports>;

/** Every specifier a module imports: static imports (type-only too), re-exports, dynamic imports of a literal. */
function specifiersOf(file: string, code: string): string[] {
  const { module, errors } = parseSync(file, code);
  if (errors.length > 0) throw new Error(`${file}: cannot parse (${errors[0].message})`);
  const specifiers = module.staticImports.map((entry) => entry.moduleRequest.value);
  for (const entry of module.staticExports)
    for (const item of entry.entries) if (item.moduleRequest) specifiers.push(item.moduleRequest.value);
  for (const entry of module.dynamicImports) {
    const literal = /^(['"`])([^'"`$]+)\1$/.exec(code.slice(entry.moduleRequest.start, entry.moduleRequest.end));
    if (literal) specifiers.push(literal[2]);
  }
  return specifiers;
}

/** The source file a relative specifier names ('./x.js' is x.ts or x.tsx; the web bundle omits extensions). */
function resolveRelative(fromFile: string, specifier: string, exists: (file: string) => boolean): string | null {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  const stem = target.replace(/\.(js|jsx|ts|tsx)$/, '');
  for (const candidate of [target, `${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, `${stem}/index.tsx`])
    if (exists(candidate)) return candidate;
  return null;
}

/** The import graph of a set of modules (path relative to src/ -> source text). */
function importGraph(sources: Map<string, string>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const [file, code] of sources) {
    const imports: ModuleImports = { files: [], bare: [] };
    for (const specifier of specifiersOf(file, code)) {
      if (!specifier.startsWith('.')) {
        imports.bare.push(specifier);
        continue;
      }
      const target = resolveRelative(file, specifier, (candidate) => sources.has(candidate));
      // Imports of non-source files (stylesheets) carry no code dependency.
      if (target) imports.files.push(target);
      else if (/\.(js|ts|tsx)$|^[^.]*$/.test(path.posix.basename(specifier)))
        throw new Error(`${file}: import "${specifier}" names no file of src/`);
    }
    graph.set(file, imports);
  }
  return graph;
}

/** The top-level folder of a module ('data/site.ts' -> 'data'); a file directly in src/ is its own node. */
function folderOf(file: string): string {
  const slash = file.indexOf('/');
  return slash < 0 ? file : file.slice(0, slash);
}

/**
 * Cycles between top-level folders, each as a path that returns to its start, every step shown with one file
 * import that makes it (`data -> image (data/checkWorker.ts imports image/png.ts) -> data (...)`).
 */
function folderCycles(graph: ImportGraph): string[] {
  const edges = new Map<string, Map<string, string>>();
  for (const [file, imports] of graph) {
    for (const target of imports.files) {
      const from = folderOf(file);
      const to = folderOf(target);
      if (from === to) continue;
      if (!edges.has(from)) edges.set(from, new Map());
      const out = edges.get(from)!;
      if (!out.has(to)) out.set(to, `${file} imports ${target}`);
    }
  }
  const cycles: string[] = [];
  const reported = new Set<string>();
  // Breadth-first from each folder to itself gives a shortest cycle through it; one report per set of folders.
  for (const start of [...edges.keys()].sort()) {
    const previous = new Map<string, string>();
    const queue = [start];
    let closing: string | null = null;
    while (queue.length > 0 && closing === null) {
      const node = queue.shift()!;
      for (const next of [...(edges.get(node)?.keys() ?? [])].sort()) {
        if (next === start) {
          closing = node;
          break;
        }
        if (!previous.has(next)) {
          previous.set(next, node);
          queue.push(next);
        }
      }
    }
    if (closing === null) continue;
    const nodes = [closing];
    while (nodes[0] !== start) nodes.unshift(previous.get(nodes[0])!);
    const key = [...nodes].sort().join(',');
    if (reported.has(key)) continue;
    reported.add(key);
    const steps = [...nodes, start].slice(1).map((to, i) => `${to} (${edges.get(nodes[i])!.get(to)})`);
    cycles.push([start, ...steps].join(' -> '));
  }
  return cycles;
}

/** Whether a bare specifier names a Node builtin ('node:fs', 'fs', 'fs/promises'). */
function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier) || NODE_BUILTINS.has(specifier.split('/')[0]);
}

/** The npm package a bare specifier names ('react-dom/client' -> 'react-dom', '@scope/x/y' -> '@scope/x'). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Server-side imports reachable from the web bundle's modules, each as the import chain from a web module to the
 * offending module or specifier.
 */
function webViolations(graph: ImportGraph, entries: string[]): string[] {
  const chain = new Map<string, string[]>(entries.map((entry) => [entry, [entry]]));
  const queue = [...entries];
  const violations: string[] = [];
  while (queue.length > 0) {
    const file = queue.shift()!;
    const here = chain.get(file)!;
    if (NODE_LAYERS.has(folderOf(file))) {
      violations.push(`${here.join(' -> ')} (src/${folderOf(file)}/ is server-side)`);
      continue;
    }
    const imports = graph.get(file) ?? { files: [], bare: [] };
    for (const specifier of imports.bare) {
      if (isNodeBuiltin(specifier)) violations.push(`${here.join(' -> ')} -> ${specifier} (a Node builtin)`);
      else if (!WEB_PACKAGES.has(packageOf(specifier)))
        violations.push(
          `${here.join(' -> ')} -> ${specifier} (not a browser package: ${[...WEB_PACKAGES].join(', ')})`,
        );
    }
    for (const target of imports.files) {
      if (chain.has(target)) continue;
      chain.set(target, [...here, target]);
      queue.push(target);
    }
  }
  return violations;
}

/** Every file below a folder, relative to it, with forward slashes. */
function filesBelow(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

function sourcesOf(dir: string): Map<string, string> {
  const files = filesBelow(dir).filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts'));
  return new Map(files.map((file) => [file, fs.readFileSync(path.join(dir, file), 'utf8')]));
}

const graph = importGraph(sourcesOf(SRC));

test('no import cycle between top-level folders of src/', () => {
  const cycles = folderCycles(graph);
  assert.deepEqual(cycles, [], `folder cycles in src/:\n${cycles.join('\n')}`);
});

test('no file of src/ is over 500 lines', () => {
  const lines = new Map(
    filesBelow(SRC).map((file) => [file, fs.readFileSync(path.join(SRC, file), 'utf8').split('\n').length - 1]),
  );
  const long = [...lines]
    .filter(([file, count]) => count > MAX_FILE_LINES && !PENDING_SPLITS.has(file))
    .map(([file, count]) => `src/${file}: ${count} lines`);
  assert.deepEqual(long, [], `files over ${MAX_FILE_LINES} lines:\n${long.join('\n')}`);
  const done = [...PENDING_SPLITS.keys()].filter((file) => (lines.get(file) ?? 0) <= MAX_FILE_LINES);
  assert.deepEqual(done, [], `split (or gone) now: remove from PENDING_SPLITS in test/architecture.test.ts`);
});

test('the web bundle imports nothing server-side (Node builtins, server/cli/jobs, Node-only packages)', () => {
  const entries = [...graph.keys()].filter((file) => folderOf(file) === 'web' && !WEB_EXCLUDED.has(file));
  assert.ok(entries.length > 10, `expected the web app's modules under src/web, found ${entries.length}`);
  const violations = webViolations(graph, entries);
  assert.deepEqual(violations, [], `server-side imports of the web bundle:\n${violations.join('\n')}`);
});

/** The code map of README.md: folder -> the folders it imports, one `name/ -> deps # what` line each. */
function readmeCodeMap(): Map<string, string[]> {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Code map'));
  const block = section.slice(section.indexOf('```') + 3, section.indexOf('```', section.indexOf('```') + 3));
  const map = new Map<string, string[]>();
  for (const line of block.split('\n')) {
    const match = /^(\w+)\/\s+->([^#]*)#/.exec(line);
    if (match) map.set(match[1], match[2].trim().split(/\s+/).filter(Boolean).sort());
  }
  return map;
}

test("README.md's code map names every folder of src/ and exactly what each imports", () => {
  const actual = new Map<string, Set<string>>();
  for (const [file, imports] of graph) {
    if (!file.includes('/')) continue;
    const from = folderOf(file);
    if (!actual.has(from)) actual.set(from, new Set());
    for (const target of imports.files)
      if (target.includes('/') && folderOf(target) !== from) actual.get(from)!.add(folderOf(target));
  }
  const map = readmeCodeMap();
  const wrong = [...actual]
    .map(([folder, deps]) => ({ folder, deps: [...deps].sort().join(' '), written: map.get(folder)?.join(' ') }))
    .filter(({ deps, written }) => deps !== written)
    .map(({ folder, deps, written }) => `${folder}/: imports [${deps}], README.md says [${written ?? 'nothing'}]`);
  assert.deepEqual(wrong, [], `README.md's code map is out of date:\n${wrong.join('\n')}`);
});

test('the checks find a planted folder cycle and a planted server-side import', () => {
  const planted = importGraph(
    new Map([
      ['data/checkWorker.ts', "import { decode } from '../image/png.js';"],
      ['image/png.ts', "import type { Site } from '../data/site.js'; export const decode = 1;"],
      ['data/site.ts', 'export type Site = string;'],
      ['web/App.tsx', "import { x } from '../api/types'; import React from 'react';"],
      ['api/types.ts', "import fs from 'node:fs'; export const x = () => import('../server/routes.js');"],
      ['server/routes.ts', "import Fastify from 'fastify';"],
    ]),
  );
  assert.deepEqual(folderCycles(planted), [
    'data -> image (data/checkWorker.ts imports image/png.ts) -> data (image/png.ts imports data/site.ts)',
  ]);
  assert.deepEqual(webViolations(planted, ['web/App.tsx']), [
    'web/App.tsx -> api/types.ts -> node:fs (a Node builtin)',
    'web/App.tsx -> api/types.ts -> server/routes.ts (src/server/ is server-side)',
  ]);
});
