import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import pgConfig from '../../vitest.pg.config.js';
import { relativeImports, sourceFiles } from './imports.js';

const TEST = resolve(import.meta.dirname, '..');
/** The modules through which a test opens a database. */
const OPENERS = [join(TEST, 'support', 'database.ts'), join(TEST, 'support', 'server-database.ts')];
// Chromium drives these through their own config, never against PostgreSQL.
const BROWSER = join(TEST, 'browser') + sep;

/**
 * Test files that open a database, directly or through a helper, yet would
 * not run on PostgreSQL (vitest.pg.config.ts takes only `*.db.test.ts`).
 */
function misnamed(files: readonly string[], read: (file: string) => string): string[] {
  const imports = new Map(files.map((f) => [f, relativeImports(f, read(f)).map((i) => i.target)]));
  const opens = (file: string, seen = new Set<string>()): boolean => {
    if (OPENERS.includes(file)) return true;
    if (seen.has(file)) return false;
    seen.add(file);
    return (imports.get(file) ?? []).some((target) => opens(target, seen));
  };
  return files
    .filter((f) => f.endsWith('.test.ts') && !f.endsWith('.db.test.ts') && !f.startsWith(BROWSER))
    .filter((f) => opens(f))
    .map((f) => `${relative(TEST, f)} opens a database: name it *.db.test.ts so it runs on PostgreSQL too`);
}

describe('test files that open a database', () => {
  it('the PostgreSQL run takes exactly the *.db.test.ts files', () => {
    expect(pgConfig.test?.include).toEqual(['test/**/*.db.test.ts']);
  });

  it('are every one named *.db.test.ts', () => {
    const files = [...sourceFiles(TEST)];
    expect(files.filter((f) => f.endsWith('.db.test.ts')).length).toBeGreaterThan(30);
    expect(misnamed(files, (f) => readFileSync(f, 'utf8'))).toEqual([]);
  });

  it('catches one that opens a database through a helper (the check itself can fail)', () => {
    const helper = join(TEST, 'faults', 'harness.ts');
    const files = [
      helper,
      join(TEST, 'faults', 'crash.test.ts'),
      join(TEST, 'faults', 'crash.db.test.ts'),
      join(TEST, 'core', 'clock.test.ts'),
      ...OPENERS,
    ];
    // Spelled through a variable so this file's own text does not import the opener.
    const opener = '../support/database.js';
    const text: Record<string, string> = {
      [helper]: `import { testDatabase } from '${opener}';`,
      [join(TEST, 'faults', 'crash.test.ts')]: "import { startIssuer } from './harness.js';",
      [join(TEST, 'faults', 'crash.db.test.ts')]: "import { startIssuer } from './harness.js';",
      [join(TEST, 'core', 'clock.test.ts')]: "import { systemClock } from '../../src/core/clock.js';",
    };
    expect(misnamed(files, (f) => text[f] ?? '')).toEqual([
      'faults/crash.test.ts opens a database: name it *.db.test.ts so it runs on PostgreSQL too',
    ]);
  });
});
