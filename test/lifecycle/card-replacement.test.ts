import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { type CardChange, TokenManagement } from '../../src/service/tokens/management.js';
import type { AuditEntry } from '../../src/store/audit.js';
import type { SuspensionReasons, Token, TokenStatus } from '../../src/store/tokens/tokens.js';

const at = new Date('2026-01-01T00:00:00Z');
const CARD = 'crd_aaaaaaaaaa';
const NEW_PAN = '5555555555554444';
const token = (n: number, status: TokenStatus = 'ACTIVE', reasons: SuspensionReasons = {}): Token => ({
  id: `tok_${String(n).padStart(10, '0')}`,
  tokenUniqueReference: `DWSPMC${String(n).padStart(10, '0')}`,
  cardId: CARD,
  tokenRequestorId: '50182375119',
  tokenRequestorName: 'Demo Shop',
  destination: 'merchant',
  tokenPanSuffix: '1234',
  status,
  lastEvent: 'CREATED',
  lastEventAt: at,
  createdAt: at,
  updatedAt: at,
  pausedByCardholder: reasons.pausedByCardholder ?? false,
  suspendedForCardBlock: reasons.suspendedForCardBlock ?? false,
});

/** TokenManagement with its stores and MDES Customer Service replaced by recorders. */
function setUp(tokens: Token[], withMdes = true) {
  const calls: { operation: string; request: Record<string, unknown> }[] = [];
  const audit: AuditEntry[] = [];
  const reasons: { id: string; reasons: SuspensionReasons }[] = [];
  const record =
    (operation: string) =>
    async (request: object): Promise<never> => {
      calls.push({ operation, request: request as Record<string, unknown> });
      return { TokenUniqueReference: 'x' } as never;
    };
  const saved = new TokenManagement({
    tokens: {
      listByCard: async () => tokens,
      ofCard: async (_cardId, id) => tokens.find((t) => t.id === id),
      byId: async (id) => tokens.find((t) => t.id === id),
      counts: async () => [],
      setSuspensionReasons: async (id, r) => {
        reasons.push({ id, reasons: r });
      },
    },
    cards: {
      ownedCard: async () => ({ status: 'active' }),
      get: async () => ({ expiryMonth: 9, expiryYear: 2031 }),
      revealCardData: async () => ({ pan: NEW_PAN }),
    },
    audit: {
      append: async (entry: AuditEntry) => {
        audit.push(entry);
      },
      history: async () => [],
    },
    clock: new ManualClock(at),
    organization: 'Pushprov Bank',
    mdes: withMdes
      ? {
          suspend: record('suspend'),
          unsuspend: record('unsuspend'),
          delete: record('delete'),
          update: record('update'),
        }
      : undefined,
  });
  return { saved, calls, audit, reasons };
}

const change = (kind: CardChange['kind'], account: CardChange['account'] = {}): CardChange => ({
  kind,
  cardId: CARD,
  account,
  requestedBy: 'ops:key_ops1',
});
const JOB = { UserId: 'ops-key_ops1', UserName: 'Bank operations', Organization: 'Pushprov Bank' };

describe('a card change taken to one token at a time (MDES Customer Service)', () => {
  it('moves a replaced card’s token to the full new card number and expiry, audited, with who asked', async () => {
    const { saved, calls, audit } = setUp([token(1)]);
    expect(
      await saved.followCardChange(change('replaced', { accountPanSuffix: '4444' }), 'tok_0000000001'),
    ).toBe(true);
    expect(calls).toEqual([
      {
        operation: 'update',
        request: {
          tokenUniqueReference: 'DWSPMC0000000001',
          newAccountPan: NEW_PAN,
          expirationDate: '0931',
          auditInfo: JOB,
        },
      },
    ]);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'token.card_replaced',
        subject: 'tok_0000000001',
        actor: 'ops:key_ops1',
      }),
    ]);
    // The card number goes to MDES, never into the audit trail.
    expect(JSON.stringify(audit)).not.toContain(NEW_PAN);
  });

  it('sends only the expiry when the card was reissued with the same number', async () => {
    const { saved, calls } = setUp([token(1)]);
    await saved.followCardChange(change('replaced', { accountExpiry: '0931' }), 'tok_0000000001');
    expect(calls[0]?.request).not.toHaveProperty('newAccountPan');
    expect(calls[0]?.request).toMatchObject({ expirationDate: '0931' });
  });

  it('deletes a closed card’s token with reason C (account closed); a deleted token is left alone', async () => {
    const { saved, calls } = setUp([token(1), token(2, 'DELETED')]);
    await saved.followCardChange(change('closed'), 'tok_0000000001');
    expect(await saved.followCardChange(change('closed'), 'tok_0000000002')).toBe(false);
    expect(calls).toEqual([
      {
        operation: 'delete',
        request: { tokenUniqueReference: 'DWSPMC0000000001', reasonCode: 'C', auditInfo: JOB },
      },
    ]);
  });

  it('suspends for a block unless the cardholder’s pause already does, and records why', async () => {
    const tokens = [token(1), token(2, 'SUSPENDED', { pausedByCardholder: true })];
    const { saved, calls, reasons } = setUp(tokens);
    expect(await saved.followCardChange(change('blocked'), 'tok_0000000001')).toBe(true);
    expect(await saved.followCardChange(change('blocked'), 'tok_0000000002')).toBe(false);
    expect(calls.map((c) => [c.operation, c.request.tokenUniqueReference, c.request.reasonCode])).toEqual([
      ['suspend', 'DWSPMC0000000001', 'Z'],
    ]);
    expect(reasons).toEqual([
      { id: 'tok_0000000001', reasons: { suspendedForCardBlock: true } },
      { id: 'tok_0000000002', reasons: { suspendedForCardBlock: true } },
    ]);
  });

  it('resumes on unblock only what the block alone kept suspended: the cardholder’s pause stays', async () => {
    const tokens = [
      token(1, 'SUSPENDED', { suspendedForCardBlock: true }),
      token(2, 'SUSPENDED', { suspendedForCardBlock: true, pausedByCardholder: true }),
      token(3, 'SUSPENDED', { pausedByCardholder: true }),
    ];
    const { saved, calls, reasons } = setUp(tokens);
    for (const t of tokens) await saved.followCardChange(change('unblocked'), t.id);
    expect(calls.map((c) => [c.operation, c.request.tokenUniqueReference])).toEqual([
      ['unsuspend', 'DWSPMC0000000001'],
    ]);
    expect(reasons.map((r) => r.id)).toEqual(['tok_0000000001', 'tok_0000000002', 'tok_0000000003']);
  });

  it('refuses, with its own code, when token management is not configured', async () => {
    const { saved } = setUp([token(1)], false);
    await expect(saved.followCardChange(change('closed'), 'tok_0000000001')).rejects.toMatchObject({
      code: 'TOKEN_MANAGEMENT_UNAVAILABLE',
      status: 503,
    });
  });
});

describe("the cardholder's pause and resume", () => {
  const CARDHOLDER = {
    UserId: 'chd_alice',
    UserName: 'Cardholder (online banking)',
    Organization: 'Pushprov Bank',
  };

  it('pauses and resumes at MDES, reason Z, with AuditInfo naming the cardholder by id, and records the pause', async () => {
    const { saved, calls, reasons, audit } = setUp([token(1)]);
    await saved.change('chd_alice', CARD, 'tok_0000000001', 'suspend');
    await saved.change('chd_alice', CARD, 'tok_0000000001', 'resume');
    expect(calls).toEqual([
      {
        operation: 'suspend',
        request: { tokenUniqueReference: 'DWSPMC0000000001', reasonCode: 'Z', auditInfo: CARDHOLDER },
      },
      {
        operation: 'unsuspend',
        request: { tokenUniqueReference: 'DWSPMC0000000001', reasonCode: 'Z', auditInfo: CARDHOLDER },
      },
    ]);
    expect(reasons.map((r) => r.reasons)).toEqual([
      { pausedByCardholder: true },
      { pausedByCardholder: false },
    ]);
    expect(audit.map((a) => a.action)).toEqual(['token.suspend_requested', 'token.resume_requested']);
  });

  it('only records a pause of a token the bank’s block already keeps suspended at MDES', async () => {
    const { saved, calls, reasons } = setUp([token(1, 'SUSPENDED', { suspendedForCardBlock: true })]);
    await saved.change('chd_alice', CARD, 'tok_0000000001', 'suspend');
    expect(calls).toEqual([]);
    expect(reasons).toEqual([{ id: 'tok_0000000001', reasons: { pausedByCardholder: true } }]);
  });
});
