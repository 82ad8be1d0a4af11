import type { MediaContent } from '../../mastercard/token-connect/types.js';
import { GLYPH_HEIGHT, GLYPH_WIDTH, hasGlyph, inked } from './font.js';
import { encodePng, type Rgb, rgb } from './png.js';

/**
 * MDES's asset repository: each asset ID names content that never changes,
 * given as SVG and PNG. Pictures are drawn from a few shapes so both formats
 * show the same thing and are byte-for-byte the same on every start.
 */
export interface Asset {
  id: string;
  mediaContents: MediaContent[];
}

export interface LogoDesign {
  background: string;
  foreground: string;
  initials: string;
}

const LOGO_SIZE = 120;

/** A square logo: initials in block letters on a plain background. */
export function logoAsset(id: string, design: LogoDesign): Asset {
  const ink = textPixels(design.initials, LOGO_SIZE, LOGO_SIZE, 100);
  const back = rgb(design.background);
  const fore = rgb(design.foreground);
  const png = encodePng(LOGO_SIZE, LOGO_SIZE, (x, y) => (ink.has(x, y) ? fore : back));
  const svg = svgDocument(LOGO_SIZE, LOGO_SIZE, [
    `<rect width="${LOGO_SIZE}" height="${LOGO_SIZE}" fill="${design.background}"/>`,
    `<path fill="${design.foreground}" d="${ink.path}"/>`,
  ]);
  return { id, mediaContents: media(svg, png, LOGO_SIZE, LOGO_SIZE) };
}

const CARD_WIDTH = 160;
const CARD_HEIGHT = 101;
const MARK = { red: '#eb001b', yellow: '#f79e1b', overlap: '#ff5f00', radius: 13, cy: 80, cx: [122, 140] };

/** Card art: the product's colour, a chip, its label and the two-circle brand mark. */
export function cardArtAsset(id: string, design: { background: string; label: string }): Asset {
  const back = rgb(design.background);
  const label = textPixels(design.label, 96, 20, 90, { x: 10, y: 10 });
  const chip = { x: 14, y: 40, w: 22, h: 16 };
  const chipColour = rgb('#d4af37');
  const white: Rgb = [255, 255, 255];
  const png = encodePng(CARD_WIDTH, CARD_HEIGHT, (x, y) => {
    const mark = markColour(x, y);
    if (mark) return mark;
    if (x >= chip.x && x < chip.x + chip.w && y >= chip.y && y < chip.y + chip.h) return chipColour;
    return label.has(x, y) ? white : back;
  });
  const svg = svgDocument(CARD_WIDTH, CARD_HEIGHT, [
    `<rect width="${CARD_WIDTH}" height="${CARD_HEIGHT}" fill="${design.background}"/>`,
    `<rect x="${chip.x}" y="${chip.y}" width="${chip.w}" height="${chip.h}" fill="#d4af37"/>`,
    `<path fill="#ffffff" d="${label.path}"/>`,
    ...markSvg(),
  ]);
  return { id, mediaContents: media(svg, png, CARD_WIDTH, CARD_HEIGHT) };
}

/** The brand mark alone, square. */
export function brandMarkAsset(id: string): Asset {
  const size = 60;
  const shift = { x: 131 - size / 2, y: MARK.cy - size / 2 };
  const white: Rgb = [255, 255, 255];
  const png = encodePng(size, size, (x, y) => markColour(x + shift.x, y + shift.y) ?? white);
  const svg = svgDocument(size, size, [
    `<rect width="${size}" height="${size}" fill="#ffffff"/>`,
    `<g transform="translate(${-shift.x} ${-shift.y})">`,
    ...markSvg(),
    '</g>',
  ]);
  return { id, mediaContents: media(svg, png, size, size) };
}

function markColour(x: number, y: number): Rgb | undefined {
  const inCircle = (cx: number) => (x + 0.5 - cx) ** 2 + (y + 0.5 - MARK.cy) ** 2 <= MARK.radius ** 2;
  const left = inCircle(MARK.cx[0]!);
  const right = inCircle(MARK.cx[1]!);
  if (left && right) return rgb(MARK.overlap);
  if (left) return rgb(MARK.red);
  if (right) return rgb(MARK.yellow);
  return undefined;
}

const markSvg = (): string[] => {
  const [left, right] = MARK.cx as [number, number];
  const clip = `<clipPath id="l"><circle cx="${left}" cy="${MARK.cy}" r="${MARK.radius}"/></clipPath>`;
  return [
    `<defs>${clip}</defs>`,
    `<circle cx="${left}" cy="${MARK.cy}" r="${MARK.radius}" fill="${MARK.red}"/>`,
    `<circle cx="${right}" cy="${MARK.cy}" r="${MARK.radius}" fill="${MARK.yellow}"/>`,
    `<circle cx="${right}" cy="${MARK.cy}" r="${MARK.radius}" fill="${MARK.overlap}" clip-path="url(#l)"/>`,
  ];
};

interface Ink {
  has(x: number, y: number): boolean;
  /** The same pixels as an SVG path of unit squares, scaled. */
  path: string;
}

/**
 * Block letters centred in a box (or placed at `at`), scaled to fill at
 * most `percent` of the box's width.
 */
function textPixels(
  text: string,
  boxWidth: number,
  boxHeight: number,
  percent: number,
  at?: { x: number; y: number },
): Ink {
  if (text.length === 0 || ![...text].every(hasGlyph)) {
    throw new TypeError('asset text must be capital letters and digits');
  }
  const columns = text.length * (GLYPH_WIDTH + 1) - 1;
  const scale = Math.max(
    1,
    Math.min(8, Math.floor((boxWidth * percent) / 100 / columns), Math.floor(boxHeight / GLYPH_HEIGHT)),
  );
  const left = at?.x ?? Math.floor((boxWidth - columns * scale) / 2);
  const top = at?.y ?? Math.floor((boxHeight - GLYPH_HEIGHT * scale) / 2);
  const cells = new Set<string>();
  let path = '';
  [...text].forEach((char, i) => {
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (!inked(char, col, row)) continue;
        const cx = i * (GLYPH_WIDTH + 1) + col;
        cells.add(`${cx},${row}`);
        path += `M${left + cx * scale} ${top + row * scale}h${scale}v${scale}h-${scale}z`;
      }
    }
  });
  return {
    has: (x, y) => {
      const cx = Math.floor((x - left) / scale);
      const cy = Math.floor((y - top) / scale);
      return x >= left && y >= top && cells.has(`${cx},${cy}`);
    },
    path,
  };
}

const svgDocument = (width: number, height: number, body: string[]): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body.join('')}</svg>`;

const media = (svg: string, png: Buffer, width: number, height: number): MediaContent[] => [
  { type: 'image/svg+xml', data: Buffer.from(svg, 'utf8').toString('base64') },
  { type: 'image/png', data: png.toString('base64'), height: String(height), width: String(width) },
];

/** Assets by ID. */
export class AssetLibrary {
  readonly #assets = new Map<string, Asset>();

  constructor(assets: Iterable<Asset>) {
    for (const asset of assets) this.#assets.set(asset.id, asset);
  }

  get(id: string): Asset | undefined {
    return this.#assets.get(id);
  }
}
