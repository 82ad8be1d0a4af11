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
  /** The provider as its introspection endpoint's client sees it, when introspection is on. */
  introspection?: client.Configuration;
}

// Seconds: a cardholder's request waits on discovery and on introspection.
const TIMEOUT_S = 10;

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
      { timeout: TIMEOUT_S, ...(isLoopback(issuer) && { execute: [client.allowInsecureRequests] }) },
    );
    const metadata = configuration.serverMetadata();
    if (metadata.jwks_uri === undefined) throw new Error('the discovery document names no jwks_uri');
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      ...(options.jwksCooldownMs !== undefined && { cooldownDuration: options.jwksCooldownMs }),
    });
    if (!options.introspection) return { configuration, keys };
    // Checked here, not at start-up: discovery waits for first use so that pushprov starts while the
    // provider is down. Until the provider publishes the endpoint every token is refused (fail closed).
    if (metadata.introspection_endpoint === undefined)
      throw new Error(
        'introspection is configured, but the discovery document names no introspection_endpoint',
      );
    const { clientId, clientSecret } = options.introspection;
    const introspection = new client.Configuration(
      metadata,
      clientId,
      undefined,
      client.ClientSecretBasic(clientSecret),
    );
    introspection.timeout = TIMEOUT_S;
    if (isLoopback(issuer)) client.allowInsecureRequests(introspection);
    return { configuration, keys, introspection };
  }
}
