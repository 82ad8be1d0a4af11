/**
 * What the rest of pushprov needs from the vault: seal a secret (PAN, PII,
 * TOTP secret) so that only ciphertext reaches a database column, and
 * open it again. `context` is bound into the ciphertext as associated data
 * (e.g. `card:crd_…:pan`), so a sealed value copied to another row or
 * column does not open.
 */
export interface Sealer {
  seal(plaintext: Uint8Array | string, context: string): Buffer;
  open(sealed: Uint8Array, context: string): Buffer;
}
