import type { AssetResponse } from '../../mastercard/token-connect/types.js';
import { AssetLibrary, brandMarkAsset, cardArtAsset, logoAsset } from '../assets/library.js';
import { type Catalogue, ISSUER, PRODUCT_CONFIGS } from './catalogue.js';
import { TokenConnectFailure } from './failure.js';

/** The token requestors' logos, served to issuers by getAsset. */
export const tokenRequestorLogos = (catalogue: Catalogue): AssetLibrary =>
  new AssetLibrary(catalogue.entries.map((e) => logoAsset(e.record.imageAssetId!, e.logo)));

/** The issuer's product assets (card art, logos), served to token requestors. */
export const productAssets = (): AssetLibrary =>
  new AssetLibrary([
    ...Object.values(PRODUCT_CONFIGS).map((p) => cardArtAsset(p.cardArtAssetId, p.cardArt)),
    brandMarkAsset(ISSUER.brandLogoAssetId),
    logoAsset(ISSUER.logoAssetId, ISSUER.logo),
  ]);

const ASSET_ID = /^[A-Za-z0-9-]{1,64}$/;

/** An asset's contents; a malformed ID is a format error, an unknown one is not found. */
export function assetResponse(library: AssetLibrary, assetId: string): AssetResponse {
  if (!ASSET_ID.test(assetId)) throw new TokenConnectFailure('INVALID_FIELD_FORMAT', 'AssetId');
  const asset = library.get(assetId);
  if (!asset) throw new TokenConnectFailure('INVALID_FIELD_VALUE', 'AssetId', { status: 404 });
  return { mediaContents: asset.mediaContents };
}
