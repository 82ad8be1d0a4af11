import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CryptoError } from '../../src/core/errors.js';
import { parseSealed } from '../../src/store/vault/format.js';
import { Keyring } from '../../src/store/vault/keyring.js';
import { Vault } from '../../src/store/vault/vault.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const PAN = '5555555555554444';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return (error as CryptoError).code;
  }
  throw new Error('expected a CryptoError');
}

describe('vault', () => {
  const vault = new Vault(Keyring.generate(NOW));

  it('opens what it sealed, under the same context, as bytes or text', () => {
    const sealed = vault.seal(PAN, 'card:crd_1:pan');
    expect(vault.open(sealed, 'card:crd_1:pan').toString('utf8')).toBe(PAN);
    const bytes = Uint8Array.of(0, 1, 2, 255);
    expect([...vault.open(vault.seal(bytes, 'ctx'), 'ctx')]).toEqual([0, 1, 2, 255]);
    expect(vault.open(vault.seal('', 'ctx'), 'ctx').length).toBe(0);
  });

  it('seals the same value differently every time (fresh data key and IV)', () => {
    const a = vault.seal(PAN, 'ctx');
    const b = vault.seal(PAN, 'ctx');
    expect(a.equals(b)).toBe(false);
    expect(parseSealed(a).wrappedDek.equals(parseSealed(b).wrappedDek)).toBe(false);
  });

  it('keeps no trace of the plaintext in the blob, in any common encoding', () => {
    const sealed = vault.seal(PAN, 'ctx');
    for (const text of [sealed.toString('latin1'), sealed.toString('hex'), sealed.toString('base64')]) {
      expect(text).not.toContain(PAN);
      expect(text).not.toContain(Buffer.from(PAN).toString('hex'));
      expect(text).not.toContain(Buffer.from(PAN).toString('base64').slice(0, 16));
    }
  });

  it('names the KEK in the blob and starts every blob with the format prefix', () => {
    const sealed = vault.seal(PAN, 'ctx');
    expect(vault.kekIdOf(sealed)).toBe(vault.keyring.activeId);
    expect(sealed.subarray(0, 4).toString('latin1')).toBe('PPV\u0001');
  });

  it('refuses another context with VAULT_CONTEXT_MISMATCH', () => {
    const sealed = vault.seal(PAN, 'card:crd_1:pan');
    expect(codeOf(() => vault.open(sealed, 'card:crd_2:pan'))).toBe('VAULT_CONTEXT_MISMATCH');
  });

  it('refuses a changed ciphertext, tag or wrapped key with VAULT_TAMPERED', () => {
    const sealed = vault.seal(PAN, 'ctx');
    const parts = parseSealed(sealed);
    const offsets = {
      ciphertext: parts.ciphertext.byteOffset - sealed.byteOffset,
      tag: sealed.length - 1,
      wrappedDek: parts.wrappedDek.byteOffset - sealed.byteOffset,
      wrapIv: parts.wrapIv.byteOffset - sealed.byteOffset,
    };
    for (const offset of Object.values(offsets)) {
      const tampered = Buffer.from(sealed);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      expect(codeOf(() => vault.open(tampered, 'ctx'))).toBe('VAULT_TAMPERED');
    }
  });

  it('refuses a value sealed under a KEK it does not hold with VAULT_KEK_UNKNOWN', () => {
    const other = new Vault(Keyring.generate(NOW));
    const sealed = other.seal(PAN, 'ctx');
    expect(codeOf(() => vault.open(sealed, 'ctx'))).toBe('VAULT_KEK_UNKNOWN');
    expect(codeOf(() => vault.rewrap(sealed))).toBe('VAULT_KEK_UNKNOWN');
  });

  it('refuses what is not a vault blob with VAULT_BLOB_MALFORMED', () => {
    expect(codeOf(() => vault.open(Buffer.alloc(0), 'ctx'))).toBe('VAULT_BLOB_MALFORMED');
    expect(codeOf(() => vault.open(Buffer.from('not sealed at all, not even close'), 'ctx'))).toBe(
      'VAULT_BLOB_MALFORMED',
    );
    const sealed = vault.seal(PAN, 'ctx');
    expect(codeOf(() => vault.open(sealed.subarray(0, 40), 'ctx'))).toBe('VAULT_BLOB_MALFORMED');
    const future = Buffer.from(sealed);
    future[3] = 2;
    expect(codeOf(() => vault.open(future, 'ctx'))).toBe('VAULT_BLOB_MALFORMED');
  });

  it('never shows key material or plaintext in an error', () => {
    const sealed = vault.seal(PAN, 'ctx');
    const failures = [
      () => vault.open(sealed, 'other'),
      () => new Vault(Keyring.generate(NOW)).open(sealed, 'ctx'),
      () => vault.open(Buffer.concat([sealed, Buffer.of(1)]), 'ctx'),
    ];
    for (const fail of failures) {
      let text = '';
      try {
        fail();
      } catch (error) {
        text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause)}`;
      }
      expect(text).toMatch(/VAULT_|sealed/);
      expect(text).not.toContain(PAN);
      expect(text).not.toContain(vault.keyring.active.key!.export().toString('base64'));
    }
  });

  it('re-wraps under the active KEK without touching the ciphertext; old keys are then unneeded', () => {
    const before = new Vault(Keyring.generate(NOW));
    const sealed = before.seal(PAN, 'ctx');
    const rotated = before.keyring.withNewActiveKek(NOW);
    before.useKeyring(rotated);
    const rewrapped = before.rewrap(sealed);
    expect(before.kekIdOf(rewrapped)).toBe(rotated.activeId);
    expect(parseSealed(rewrapped).body.equals(parseSealed(sealed).body)).toBe(true);
    expect(before.rewrap(rewrapped).equals(rewrapped)).toBe(true);
    const withoutOld = new Vault(rotated.without(rotated.ids.filter((id) => id !== rotated.activeId)));
    expect(withoutOld.open(rewrapped, 'ctx').toString()).toBe(PAN);
    expect(codeOf(() => withoutOld.open(sealed, 'ctx'))).toBe('VAULT_KEK_UNKNOWN');
    // Sealed after the switch: already under the new key.
    expect(before.kekIdOf(before.seal(PAN, 'ctx'))).toBe(rotated.activeId);
  });

  it('computes keyed blind indexes: stable, per purpose, per key, not a bare hash', () => {
    const a = vault.blindIndex('cardholder.email', 'alice@example.com');
    expect(a.equals(vault.blindIndex('cardholder.email', 'alice@example.com'))).toBe(true);
    expect(a.equals(vault.blindIndex('cardholder.phone', 'alice@example.com'))).toBe(false);
    expect(
      a.equals(new Vault(Keyring.generate(NOW)).blindIndex('cardholder.email', 'alice@example.com')),
    ).toBe(false);
    expect(a.equals(createHash('sha256').update('alice@example.com').digest())).toBe(false);
    // Rotation does not move the index key: indexes stay valid.
    const rotated = new Vault(vault.keyring.withNewActiveKek(NOW));
    expect(rotated.blindIndex('cardholder.email', 'alice@example.com').equals(a)).toBe(true);
  });

  it('round-trips arbitrary plaintexts and contexts (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.string({ unit: 'grapheme' }), (bytes, context) => {
        expect(Buffer.compare(vault.open(vault.seal(bytes, context), context), Buffer.from(bytes))).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
        expect(vault.open(vault.seal(text, 'ctx'), 'ctx').toString('utf8')).toBe(text);
      }),
    );
  });

  it('never opens a blob with any single bit flipped (property)', () => {
    const sealed = vault.seal(PAN, 'card:crd_1:pan');
    fc.assert(
      fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
        const flipped = Buffer.from(sealed);
        flipped[bit >> 3] = (flipped[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        expect(codeOf(() => vault.open(flipped, 'card:crd_1:pan'))).toMatch(/^VAULT_/);
      }),
      { numRuns: 500 },
    );
  });
});
