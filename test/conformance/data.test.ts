import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConformanceData, overlayData, simulatorData } from '../../src/cli/conformance/data.js';
import { ConfigError } from '../../src/core/errors.js';
import { luhnValid } from '../../src/core/luhn.js';
import {
  Catalogue,
  enrolledRangeOf,
  rangeByStart,
  rangeStart,
} from '../../src/simulator/token-connect/catalogue.js';

const catalogue = new Catalogue({ merchantUrl: 'http://m.test', simulatorUrl: 'http://s.test' });
const accepts = (trid: string, pan: string) =>
  catalogue
    .find(trid)
    ?.record.enabledAccountRanges.includes(rangeStart(enrolledRangeOf(pan)?.prefix ?? '')) ?? false;

describe("the simulator's test data", () => {
  const data = simulatorData();
  const { multipleCards, singleCardWithoutSignature } = data.tokenRequestors;

  it('gives each scenario the card, range and token requestor that trigger its behaviour', () => {
    const { cards, accountRanges } = data;
    for (const card of Object.values(cards)) expect(luhnValid(card.accountNumber)).toBe(true);
    for (const name of ['credit', 'credit2', 'debit', 'maestro'] as const)
      expect(accepts(multipleCards, cards[name].accountNumber), name).toBe(true);
    expect(accepts(multipleCards, cards.ineligible.accountNumber)).toBe(false);
    expect(enrolledRangeOf(cards.ineligible.accountNumber)).toBeDefined();
    expect(enrolledRangeOf(cards.notInMdes.accountNumber)).toBeUndefined();
    expect(accepts(singleCardWithoutSignature, cards.credit.accountNumber)).toBe(true);
    expect(accepts(singleCardWithoutSignature, cards.debit.accountNumber)).toBe(true);

    expect(accountRanges.short.length).toBeLessThan(19);
    expect(rangeByStart(accountRanges.short)).toBeDefined();
    const enabledForNone = rangeByStart(accountRanges.enabledForNone)!;
    expect(
      catalogue.entries.some((e) =>
        e.record.enabledAccountRanges.includes(rangeStart(enabledForNone.prefix)),
      ),
    ).toBe(false);
    expect(rangeByStart(accountRanges.notInMdes)).toBeUndefined();
  });

  it('names a multi-card, signing token requestor and a single-card one without signatures', () => {
    const multi = catalogue.find(multipleCards)!;
    expect(multi.record.supportsMultiplePushedCards && multi.signatureSupport).toBe(true);
    expect(multi.record.supportIssuerInitiatedDigitizationData).toBe(true);
    const single = catalogue.find(singleCardWithoutSignature)!;
    expect(single.record.supportsMultiplePushedCards || single.signatureSupport).toBe(false);
    expect(catalogue.entries.map((e) => e.record.imageAssetId)).toContain(data.assets.logo);
    expect(catalogue.entries.map((e) => e.record.imageAssetId)).not.toContain(data.assets.unknown);
  });
});

describe('test data overrides', () => {
  it('replace named entries whole and keep the rest', () => {
    const data = overlayData(simulatorData(), {
      cards: { credit: { accountNumber: '5204740000001002' } },
      tokenRequestors: { singleCardWithoutSignature: '50100000001' },
    });
    expect(data.cards.credit).toEqual({ accountNumber: '5204740000001002' });
    expect(data.cards.debit).toEqual(simulatorData().cards.debit);
    expect(data.tokenRequestors).toEqual({
      ...simulatorData().tokenRequestors,
      singleCardWithoutSignature: '50100000001',
    });
  });

  it('refuse unknown names, malformed values and numbers failing Luhn, by path and never by value', () => {
    const problems = (overrides: unknown) => {
      try {
        overlayData(simulatorData(), overrides, 'data.json');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).problems.join('\n');
      }
      throw new Error('accepted');
    };
    expect(problems({ cards: { platinum: { accountNumber: '5555555555554444' } } })).toMatch(
      /^data\.json \/cards/,
    );
    expect(problems({ tokenRequestors: { multipleCards: '123' } })).toContain(
      'data.json /tokenRequestors/multipleCards',
    );
    const notLuhn = '5555555555554445';
    const message = problems({ cards: { credit: { accountNumber: notLuhn } } });
    expect(message).toBe('data.json /cards/credit: not a Luhn-valid card number');
    expect(message).not.toContain(notLuhn);
    expect(problems([1])).toBe('data.json: expected a JSON object');
  });

  it('are read from a JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushprov-conformance-data-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ assets: { logo: 'logo-1' } }));
    expect((await loadConformanceData(good)).assets).toEqual({ ...simulatorData().assets, logo: 'logo-1' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"cards": ');
    await expect(loadConformanceData(bad)).rejects.toThrow(`conformance data ${bad}: not valid JSON`);
    await expect(loadConformanceData(join(dir, 'none.json'))).rejects.toThrow('cannot be read');
  });
});
