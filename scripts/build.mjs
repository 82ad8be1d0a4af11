// Builds the shipped JavaScript: src/ compiled to dist/ by TypeScript, with
// the files src/ holds beside its modules (page assets) copied along.
// `node scripts/build.mjs` builds; bin/pushprov.js calls `ensureBuilt()`, so a
// clone never runs a dist/ older than its src/.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.built');
/** Files that are not modules but are read at run time beside them. */
const ASSETS = ['web/assets'];

export function build() {
  let typescript;
  try {
    // The package's own `tsc` launcher, found through its package.json (the file is not an export).
    typescript = dirname(createRequire(import.meta.url).resolve('typescript/package.json'));
  } catch {
    // A production install (--omit=dev) keeps the dist/ it was built with.
    if (existsSync(STAMP)) return;
    throw new Error('dist/ is not built and TypeScript is not installed: run `npm ci && npm run build` first');
  }
  const tsc = join(typescript, 'bin', 'tsc');
  const args = ['-p', join(ROOT, 'tsconfig.build.json'), '--incremental', '--tsBuildInfoFile', join(DIST, '.tsbuildinfo')];
  const result = spawnSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`TypeScript build failed (exit ${result.status})`);
  for (const folder of ASSETS) cpSync(join(SRC, folder), join(DIST, folder), { recursive: true });
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** Builds when dist/ is missing or older than a file in src/ (a clone being worked on). */
export function ensureBuilt() {
  if (!existsSync(SRC)) return; // installed without sources: dist/ is what ships
  const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
  if (built > 0 && newestIn(SRC) <= built) return;
  process.stderr.write(built === 0 ? 'pushprov: building dist/ (first run)\n' : 'pushprov: src/ changed since the last build: rebuilding dist/\n');
  build();
}

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) build();
