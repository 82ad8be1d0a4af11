import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { TokenRequestor } from '../../src/mastercard/token-connect/types.js';
import { TokenRequestorDirectory } from '../../src/service/token-requestors.js';

const tr = (id: string, name: string, ranges: string[]): TokenRequestor => ({
  tokenRequestorId: id,
  name,
  consumerFacingEntityName: name,
  tokenRequestorType: 'MERCHANT',
  enabledAccountRanges: ranges.map((r) => r.padEnd(19, '0')),
});

function setup(ranges: string[]) {
  const clock = new ManualClock();
  const getEligibleTokenRequestors = vi.fn(async ({ accountRanges }: { accountRanges: string[] }) => ({
    responseId: 'r',
    tokenRequestors: [
      tr('50000000001', 'Zed Shop', accountRanges.slice(0, 1)),
      tr('50123197928', 'Click to Pay', accountRanges),
      tr('50000000002', 'Acme', accountRanges.slice(-1)),
    ],
  }));
  const getAsset = vi.fn(async (id: string) => ({
    mediaContents: [{ type: 'image/svg+xml' as const, data: btoa(id) }],
  }));
  const directory = new TokenRequestorDirectory({
    client: { getEligibleTokenRequestors, getAsset },
    accountRanges: ranges,
    clickToPayTokenRequestorId: '50123197928',
    clock,
    refreshMs: 60_000,
  });
  return { clock, directory, getEligibleTokenRequestors, getAsset };
}

describe('token requestor directory', () => {
  it('lists Click to Pay first, then by name, merging ranges across chunks of 25', async () => {
    const ranges = Array.from({ length: 30 }, (_, i) => `5555555${String(i).padStart(3, '0')}`);
    const { directory, getEligibleTokenRequestors } = setup(ranges);
    const all = await directory.all();
    expect(getEligibleTokenRequestors).toHaveBeenCalledTimes(2);
    expect(getEligibleTokenRequestors.mock.calls.map((c) => c[0].accountRanges.length)).toEqual([25, 5]);
    expect(all.map((t) => t.consumerFacingEntityName)).toEqual(['Click to Pay', 'Acme', 'Zed Shop']);
    expect(all[0]?.enabledAccountRanges).toHaveLength(30);
    expect((await directory.forAccountRange(ranges[29] ?? '')).map((t) => t.name)).toEqual([
      'Click to Pay',
      'Acme',
    ]);
  });

  it('caches for refreshMs, fetches once for concurrent callers, and serves stale data when a refresh fails', async () => {
    const { directory, clock, getEligibleTokenRequestors } = setup(['555555555']);
    await Promise.all([directory.all(), directory.all(), directory.all()]);
    expect(getEligibleTokenRequestors).toHaveBeenCalledTimes(1);
    clock.advance(30_000);
    await directory.all();
    expect(getEligibleTokenRequestors).toHaveBeenCalledTimes(1);
    clock.advance(31_000);
    getEligibleTokenRequestors.mockRejectedValueOnce(new Error('down'));
    expect(await directory.all()).toHaveLength(3);
    expect(getEligibleTokenRequestors).toHaveBeenCalledTimes(2);
  });

  it('refuses an unknown token requestor and fetches each asset once', async () => {
    const { directory, getAsset } = setup(['555555555']);
    await expect(directory.get('59999999999')).rejects.toMatchObject({
      code: 'TOKEN_REQUESTOR_NOT_FOUND',
      status: 404,
    });
    await directory.asset('logo-1');
    await directory.asset('logo-1');
    expect(getAsset).toHaveBeenCalledTimes(1);
  });
});
