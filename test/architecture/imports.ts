import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Every `.ts` file under `dir`. */
export function* sourceFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative imports of the module `file` (whose text is `text`), as the specifier and the file it names. */
export function relativeImports(file: string, text: string): { spec: string; target: string }[] {
  return [...text.matchAll(IMPORT)]
    .map((match) => match[1] ?? match[2] ?? '')
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => ({ spec, target: resolve(dirname(file), spec.replace(/\.js$/, '.ts')) }));
}
