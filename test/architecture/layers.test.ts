import { readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeImports, sourceFiles } from './imports.js';

/**
 * Layers import only downward. Each layer lists the layers it may import;
 * `core` (errors, clock, ids, logging, database connection) sits beneath all,
 * `app` (the configuration and what is built from it) beneath only `cli`.
 */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  mastercard: ['core'],
  simulator: ['core', 'mastercard'],
  // The demo merchant is another actor than Mastercard: it reaches MDES only over the wire.
  merchant: ['core', 'mastercard'],
  domain: ['core', 'mastercard'],
  store: ['core', 'mastercard', 'domain'],
  service: ['core', 'mastercard', 'domain', 'store'],
  http: ['core', 'mastercard', 'domain', 'store', 'service'],
  web: ['core', 'mastercard', 'domain', 'store', 'service', 'http'],
  app: ['core', 'mastercard', 'simulator', 'merchant', 'domain', 'store', 'service', 'http', 'web'],
  cli: ['core', 'mastercard', 'simulator', 'merchant', 'domain', 'store', 'service', 'http', 'web', 'app'],
};

const SRC = resolve(import.meta.dirname, '../../src');

function layerOf(file: string): string {
  const rel = relative(SRC, file);
  const top = rel.split(sep)[0] ?? '';
  return top === 'cli.ts' ? 'cli' : top;
}

function violations(files: Iterable<string>, read: (f: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    const allowed = ALLOWED[from];
    if (!allowed) {
      found.push(`${relative(SRC, file)}: folder '${from}' is not a known layer`);
      continue;
    }
    for (const { spec, target } of relativeImports(file, read(file))) {
      if (!target.startsWith(SRC)) continue;
      const to = layerOf(target);
      if (to !== from && !allowed.includes(to)) {
        found.push(`${relative(SRC, file)} imports ${spec}: '${from}' may not import '${to}'`);
      }
    }
  }
  return found;
}

describe('layering', () => {
  it('every import in src/ points at the same layer or one beneath it', () => {
    const files = [...sourceFiles(SRC)];
    expect(files.length).toBeGreaterThan(0);
    expect(violations(files, (f) => readFileSync(f, 'utf8'))).toEqual([]);
  });

  it('catches an upward import (the check itself can fail)', () => {
    const fake = join(SRC, 'mastercard', 'client.ts');
    const found = violations([fake], () => "import { x } from '../service/provisioning.js';");
    expect(found).toEqual([
      "mastercard/client.ts imports ../service/provisioning.js: 'mastercard' may not import 'service'",
    ]);
  });

  it('catches the composition root importing the command line above it', () => {
    const fake = join(SRC, 'app', 'issuer.ts');
    expect(violations([fake], () => "import { start } from '../cli/start.js';")).toEqual([
      "app/issuer.ts imports ../cli/start.js: 'app' may not import 'cli'",
    ]);
  });

  it('catches the demo merchant reaching into the simulated MDES', () => {
    const fake = join(SRC, 'merchant', 'app.ts');
    expect(
      violations([fake], () => "import { Payments } from '../simulator/digital-enablement/payments.js';"),
    ).toEqual([
      "merchant/app.ts imports ../simulator/digital-enablement/payments.js: 'merchant' may not import 'simulator'",
    ]);
  });

  it('catches a sideways import between the simulator and the issuer domain', () => {
    const fake = join(SRC, 'domain', 'eligibility.ts');
    expect(violations([fake], () => "export * from '../simulator/catalogue.js';")).toHaveLength(1);
  });
});
