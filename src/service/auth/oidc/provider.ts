import { createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { PushprovError } from '../../../core/errors.js';
import { isLoopback, type OidcOptions } from './options.js';

/**
 * The provider as discovered from its `/.well-known/openid-configuration`:
 * openid-client's configuration (endpoints, client) and the key set of its
 * `jwks_uri`, which jose fetches again when a token names a key it does not
 * hold yet: a key rotation at the provider is followed without a restart.
 * Discovered on first use, and again after a failure, so pushprov starts
 * while the provider is down and recovers once it is back.
 */
export interface DiscoveredProvider {
  configuration: client.Configuration;
  keys: JWTVerifyGetKey;
}

export const unavailable = (cause: unknown) =>
  new PushprovError('IDENTITY_PROVIDER_UNAVAILABLE', "the bank's identity provider cannot be reached", {
    status: 503,
    cause,
  });

export class OidcProvider {
  #discovered: Promise<DiscoveredProvider> | undefined;

  constructor(private readonly options: OidcOptions) {}

  get(): Promise<DiscoveredProvider> {
    this.#discovered ??= this.#discover().catch((error: unknown) => {
      this.#discovered = undefined;
      throw unavailable(error);
    });
    return this.#discovered;
  }

  async #discover(): Promise<DiscoveredProvider> {
    const { options } = this;
    const issuer = new URL(options.issuer);
    const configuration = await client.discovery(
      issuer,
      options.clientId,
      {
        id_token_signed_response_alg: options.algorithms[0],
        [client.clockTolerance]: options.clockToleranceSeconds,
      },
      options.clientSecret === undefined ? client.None() : client.ClientSecretBasic(options.clientSecret),
      { timeout: 10, ...(isLoopback(issuer) && { execute: [client.allowInsecureRequests] }) },
    );
    const jwksUri = configuration.serverMetadata().jwks_uri;
    if (jwksUri === undefined) throw new Error('the discovery document names no jwks_uri');
    const keys = createRemoteJWKSet(new URL(jwksUri), {
      ...(options.jwksCooldownMs !== undefined && { cooldownDuration: options.jwksCooldownMs }),
    });
    return { configuration, keys };
  }
}
