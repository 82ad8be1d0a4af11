import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { brandMarkAsset, cardArtAsset, logoAsset } from '../../src/simulator/assets/library.js';
import { encodePng } from '../../src/simulator/assets/png.js';

/** Splits a PNG into its chunks, checking the signature and every CRC. */
function chunks(png: Buffer): { type: string; data: Buffer }[] {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const found: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(typeAndData));
    found.push({ type: typeAndData.subarray(0, 4).toString('latin1'), data: typeAndData.subarray(4) });
    at += 12 + length;
  }
  return found;
}

/** The RGB of pixel (x, y) of a PNG encodePng wrote. */
function pixel(png: Buffer, x: number, y: number): number[] {
  const [header, data] = chunks(png);
  const width = header!.data.readUInt32BE(0);
  const raw = inflateSync(data!.data);
  const at = y * (1 + width * 3) + 1 + x * 3;
  return [...raw.subarray(at, at + 3)];
}

const png = (asset: ReturnType<typeof logoAsset>) =>
  Buffer.from(asset.mediaContents.find((m) => m.type === 'image/png')!.data, 'base64');

describe('assets', () => {
  it('encodes a valid PNG: signature, IHDR, IDAT, IEND, CRCs, the pixels given', () => {
    const image = encodePng(3, 2, (x, y) => [x * 10, y * 20, 255]);
    expect(chunks(image).map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(pixel(image, 2, 1)).toEqual([20, 20, 255]);
  });

  it('draws a logo with its background in the corner and ink in the middle, SVG and PNG alike', () => {
    const asset = logoAsset('id', { background: '#102030', foreground: '#ffffff', initials: 'CP' });
    const image = png(asset);
    expect(pixel(image, 0, 0)).toEqual([0x10, 0x20, 0x30]);
    const inked = Array.from({ length: 120 }, (_, x) => pixel(image, x, 60)).filter((p) => p[0] === 255);
    expect(inked.length).toBeGreaterThan(0);
    const svg = Buffer.from(asset.mediaContents[0]!.data, 'base64').toString('utf8');
    expect(svg).toContain('fill="#102030"');
    expect(svg).toMatch(/<path fill="#ffffff" d="M\d/);
  });

  it('is deterministic: the same design gives the same bytes', () => {
    const design = { background: '#0e7490', label: 'DEBIT' };
    expect(cardArtAsset('a', design)).toEqual(cardArtAsset('a', design));
    expect(brandMarkAsset('b')).toEqual(brandMarkAsset('b'));
  });

  it('draws the two-circle brand mark: red, overlap, yellow', () => {
    const image = png(brandMarkAsset('b'));
    const row = Array.from({ length: 60 }, (_, x) => pixel(image, x, 30).join(','));
    expect(row).toContain('235,0,27');
    expect(row).toContain('255,95,0');
    expect(row).toContain('247,158,27');
  });

  it('refuses text it has no glyph for', () => {
    expect(() => logoAsset('x', { background: '#000000', foreground: '#ffffff', initials: 'ab' })).toThrow(
      TypeError,
    );
  });
});
