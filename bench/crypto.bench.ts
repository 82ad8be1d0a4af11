/**
 * `npm run bench:crypto`: the Mastercard security layer against Mastercard's
 * own libraries and against the raw RSA-2048 operation each call cannot
 * avoid (the floor), all in one run on the same keys.
 */

import { encryptionCases } from './crypto/encryption.js';
import { FILE_SIGNER, HSM_SIGNER, hsmSigningCases } from './crypto/hsm.js';
import { oauthCases } from './crypto/oauth.js';
import { type BenchCase, type BenchResult, measureInterleaved, printTable } from './harness.js';

const PUBLIC_FLOOR = 'raw RSA-2048 OAEP public encrypt';
const PRIVATE_FLOOR = 'raw RSA-2048 OAEP private decrypt';

export async function runCryptoBench(): Promise<{ results: BenchResult[]; targets: string[]; met: boolean }> {
  const hsm = hsmSigningCases();
  const cases: BenchCase[] = [...oauthCases(), ...hsm.cases, ...encryptionCases()];
  const results = await measureInterleaved(cases, {
    onRound: (round) => process.stderr.write(`\rmeasuring ${cases.length} operations, round ${round}/40 `),
  });
  process.stderr.write('\n');
  const median = (group: string, name: string) =>
    results.find((r) => r.group === group && r.name === name)?.medianUs ?? Number.NaN;
  const floorOf = (r: BenchResult): number | undefined => {
    if (r.group === 'OAuth sign' || r.group === 'OAuth verify') return median(r.group, 'raw RSA-2048');
    if (r.group === 'OAuth sign, file vs HSM') return median(r.group, FILE_SIGNER);
    if (r.group.endsWith('decrypt')) return median(PRIVATE_FLOOR, 'node:crypto');
    if (r.group.endsWith('encrypt')) return median(PUBLIC_FLOOR, 'node:crypto');
    return undefined;
  };
  console.log(
    '\nPer-operation cost; ratio = median / the raw RSA-2048 floor of that operation (file vs HSM: / the file key)\n',
  );
  printTable(results, floorOf);

  const checks: [string, number, string, (v: number) => boolean][] = [
    [
      'field-level encrypt: mastercard-client-encryption / pushprov',
      median('field-level encrypt', 'mastercard-client-encryption') /
        median('field-level encrypt', 'pushprov'),
      '≥ 5×',
      (v) => v >= 5,
    ],
    [
      'field-level decrypt: pushprov / raw private decrypt',
      median('field-level decrypt', 'pushprov') / median(PRIVATE_FLOOR, 'node:crypto'),
      '≤ 1.2×',
      (v) => v <= 1.2,
    ],
    [
      'OAuth sign: pushprov / raw RSA-2048 sign',
      median('OAuth sign', 'pushprov') / median('OAuth sign', 'raw RSA-2048'),
      '≤ 1.2×',
      (v) => v <= 1.2,
    ],
  ];
  console.log('\nOAuth signing, the same RSA-2048 key in a file and in an HSM');
  if (hsm.skipped) console.log(`  HSM row skipped: ${hsm.skipped}`);
  else {
    const file = median('OAuth sign, file vs HSM', FILE_SIGNER);
    const inHsm = median('OAuth sign, file vs HSM', HSM_SIGNER);
    console.log(`  ${FILE_SIGNER}: ${Math.round(1e6 / file)} ops/s`);
    console.log(
      `  ${HSM_SIGNER}: ${Math.round(1e6 / inHsm)} ops/s (${(inHsm / file).toFixed(2)}× the file key's time)`,
    );
  }

  console.log('\nTargets');
  const targets = checks.map(
    ([what, value, target, ok]) =>
      `${ok(value) ? 'met ' : 'MISS'}  ${what}: ${value.toFixed(2)}× (target ${target})`,
  );
  for (const line of targets) console.log(`  ${line}`);
  return { results, targets, met: checks.every(([, value, , ok]) => ok(value)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCryptoBench();
}
