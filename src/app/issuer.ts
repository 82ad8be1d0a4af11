import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { isPkcs11Uri } from '../core/hsm/uri.js';
import { Schedule } from '../core/jobs/lease.js';
import { WorkLoop } from '../core/jobs/loop.js';
import type { Logger } from '../core/logger.js';
import { createIssuerApp } from '../http/app.js';
import { authGuards } from '../http/auth/guards.js';
import { activationRoutes } from '../http/routes/activations.js';
import { authRoutes } from '../http/routes/auth.js';
import { cardRoutes } from '../http/routes/cards.js';
import { opsRoutes } from '../http/routes/ops.js';
import { preDigitizationRoutes } from '../http/routes/pre-digitization.js';
import { assetRoutes, provisioningRoutes } from '../http/routes/provisioning.js';
import { tokenRoutes } from '../http/routes/tokens.js';
import { CustomerServiceClient } from '../mastercard/customer-service/client.js';
import type { DevKeys } from '../mastercard/keys/generate.js';
import { loadPrivateKey, loadPublicKey } from '../mastercard/keys/load.js';
import { OAuthSigner } from '../mastercard/oauth/signer.js';
import { PreDigitizationPayloads } from '../mastercard/pre-digitization/payload.js';
import { TokenConnectClient } from '../mastercard/token-connect/client.js';
import { FieldLevelPayloadEncrypter } from '../mastercard/token-connect/encrypter.js';
import { seedDemoCredentials } from '../service/auth/demo.js';
import { createAuth } from '../service/auth/index.js';
import type { OidcOptions } from '../service/auth/oidc/options.js';
import { resolveOpsKeys } from '../service/auth/ops-keys.js';
import { CardService } from '../service/cards/cards.js';
import { seedDemoData } from '../service/cards/seed.js';
import { TokenizationQuestions } from '../service/mdes/authorize.js';
import { MdesNotifications } from '../service/mdes/notifications.js';
import { SuspiciousEvents } from '../service/mdes/suspicious-events.js';
import { CardholderSearch } from '../service/ops/cardholder-search.js';
import { OpsStats } from '../service/ops/stats.js';
import { ProvisioningService } from '../service/provisioning/index.js';
import { TokenRequestorDirectory } from '../service/token-requestors.js';
import { Activations } from '../service/tokens/activations.js';
import { TokenFollowUps } from '../service/tokens/follow-ups.js';
import { TokenManagement } from '../service/tokens/management.js';
import { TokenSync } from '../service/tokens/sync.js';
import { MDES_ACCOUNT_RANGES } from '../simulator/token-connect/catalogue.js';
import { AuditLog } from '../store/audit.js';
import { CardholderCardRepository } from '../store/cards/cardholder-cards.js';
import { IdempotencyStore } from '../store/idempotency.js';
import { ActivationCodeStore } from '../store/mdes/activation-codes.js';
import { MdesNotificationLog } from '../store/mdes/notifications.js';
import { SuspiciousEventLog } from '../store/mdes/suspicious-events.js';
import { OpsRepository } from '../store/ops.js';
import { ProvisioningJobRepository } from '../store/provisioning-jobs.js';
import { ProvisioningRepository } from '../store/provisionings.js';
import { prepareIssuerStore } from '../store/store.js';
import { TokenFollowUpRepository } from '../store/tokens/follow-ups.js';
import { TokenRepository } from '../store/tokens/tokens.js';
import { webForms } from '../web/forms.js';
import { webOidc } from '../web/oidc.js';
import { resultPage, webPages } from '../web/pages.js';
import { activationCodeSender } from './activation-codes.js';
import type { Config } from './config.js';
import { hsmReadiness, hsmSigningKeyFor } from './hsm.js';
import { buildMdesListener, mdesDecryptionKey } from './mdes-listener.js';
import { openVault } from './vault.js';

export interface IssuerPart {
  app: FastifyInstance;
  /**
   * The listener MDES calls (Pre-Digitization web services, mutual TLS), on
   * its own port; undefined when not configured (outside the simulator only).
   */
  mdes: FastifyInstance | undefined;
  /** Stops the background jobs, waiting for the work they are doing (settled) before the database closes. */
  stop(): Promise<void>;
}

export interface IssuerContext {
  config: Config;
  db: Kysely<unknown>;
  logger: Logger;
  clock: Clock;
  /** The development key set (the simulator's world); real keys come from configuration. */
  keys: DevKeys;
  say: (line: string) => void;
  /** Shows a secret to the person at the terminal, never to a log sink; absent: the secret stays in its file. */
  reveal?: (line: string) => void;
}

/**
 * The issuer's OAuth signer at Mastercard: the development key with the
 * simulator, else the configured one, under `consumerKey` (default the Token
 * Connect project's). A key in an HSM signs in the simulator too: a rehearsal
 * of production's HSM, whose token then holds the development key, the one
 * the simulator checks signatures with.
 */
async function issuerSigner(
  { config, keys, clock }: IssuerContext,
  consumerKey = config.mastercardConsumerKey,
): Promise<OAuthSigner> {
  const path = config.mastercardSigningKeyPath ?? '';
  if (config.mastercardEnv === 'simulator') {
    return new OAuthSigner({
      consumerKey: keys.consumerKey,
      signingKey: isPkcs11Uri(path) ? hsmSigningKeyFor(config, path) : keys.issuerSigning.privateKey,
      clock,
    });
  }
  const signingKey = isPkcs11Uri(path)
    ? hsmSigningKeyFor(config, path)
    : await loadPrivateKey(
        { path },
        {
          ...(config.mastercardSigningKeyAlias && { alias: config.mastercardSigningKeyAlias }),
          ...(config.mastercardSigningKeyPassword && { password: config.mastercardSigningKeyPassword }),
        },
      );
  return new OAuthSigner({ consumerKey: consumerKey ?? '', signingKey, clock });
}

/** The Token Connect client for the configured Mastercard environment. */
async function tokenConnectClient(context: IssuerContext, signer: OAuthSigner): Promise<TokenConnectClient> {
  const { config, keys, logger } = context;
  const hooks = {
    onResponse: (e: {
      operation: string;
      status: number | undefined;
      outcome: string;
      durationMs: number;
      attempt: number;
      retrying: boolean;
    }) => logger.info({ tokenConnect: e }, 'token connect call'),
  };
  const encryption =
    config.mastercardEnv === 'simulator'
      ? keys.mastercardEncryption
      : await loadPublicKey({ path: config.mastercardEncryptionCertPath ?? '' });
  return new TokenConnectClient({
    environment:
      config.mastercardEnv === 'simulator'
        ? { baseUrl: `${config.simulatorPublicUrl}/mdes` }
        : config.mastercardEnv,
    signer,
    encrypter: new FieldLevelPayloadEncrypter({
      encryptionKey: encryption.certificate ?? encryption.publicKey,
      fingerprintOf: encryption.certificate ? config.mastercardEncryptionFingerprint : 'publicKey',
      oaepHashingAlgorithm: config.mastercardOaepDigest,
    }),
    hooks,
  });
}

/**
 * MDES Customer Service (suspend, resume, delete, update after a card
 * replacement): the simulator's, or Mastercard's for the environment, or the
 * configured base URL, signed with the issuer's key under the Customer
 * Service consumer key; without one outside the simulator, changes to saved
 * cards are refused with TOKEN_MANAGEMENT_UNAVAILABLE.
 */
/** The bank's OpenID provider as configured (src/app/config.ts checked that the settings go together). */
function oidcOptions(config: Config, issuer: string): OidcOptions {
  return {
    issuer,
    audience: config.oidcAudience,
    algorithms: config.oidcAlgorithms,
    accessTokenTypes: config.oidcAccessTokenTypes,
    cardholderClaim: config.oidcCardholderClaim,
    clockToleranceSeconds: config.oidcClockToleranceSeconds,
    clientId: config.oidcClientId ?? '',
    ...(config.oidcClientSecret !== undefined && { clientSecret: config.oidcClientSecret }),
    scopes: config.oidcScopes,
    sca: {
      acr: config.oidcScaAcr ?? [],
      amr: config.oidcScaAmr ?? [],
      maxAgeSeconds: config.oidcScaMaxAgeSeconds,
    },
    ...(config.oidcIntrospection && {
      introspection: {
        clientId: config.oidcIntrospectionClientId ?? config.oidcClientId ?? '',
        clientSecret: config.oidcIntrospectionClientSecret ?? config.oidcClientSecret ?? '',
        cacheSeconds: config.oidcIntrospectionCacheSeconds,
      },
    }),
  };
}

async function customerServiceClient(context: IssuerContext, signer: OAuthSigner) {
  const { config } = context;
  if (config.mastercardEnv === 'simulator') {
    return new CustomerServiceClient({
      environment: { baseUrl: config.customerServiceUrl ?? `${config.simulatorPublicUrl}/mdes/csapi/v2` },
      signer,
    });
  }
  if (config.customerServiceConsumerKey === undefined) return undefined;
  return new CustomerServiceClient({
    environment: config.customerServiceUrl ? { baseUrl: config.customerServiceUrl } : config.mastercardEnv,
    signer: await issuerSigner(context, config.customerServiceConsumerKey),
  });
}

/** Everything the issuer runs: stores, use cases, routes, and the jobs that finish what is left open. */
export async function buildIssuer(context: IssuerContext): Promise<IssuerPart> {
  const { config, logger, clock, say } = context;
  const simulated = config.mastercardEnv === 'simulator';
  const vault = openVault(config, say);
  const db = await prepareIssuerStore(context.db);
  const audit = new AuditLog(db, clock);
  const store = new CardholderCardRepository(db, vault);
  // Card changes reach their tokens through a job, kicked at once after an import that queued some.
  let takeFollowUps = () => {};
  const cardService = new CardService({ db, store, audit, clock, onFollowUps: () => takeFollowUps() });
  if (simulated) {
    const seeded = await seedDemoData(cardService);
    await seedDemoCredentials({ db, sealer: vault, clock });
    logger.info(
      { cardholders: seeded.cardholders, cards: seeded.cards },
      'demo cardholders and cards seeded',
    );
  }

  const { keys: opsKeys, development } = resolveOpsKeys({
    configured: config.opsApiKeys,
    dataDir: config.dataDir,
    development: simulated,
  });
  if (development?.created) {
    say(`a development ops API key was created, kept in ${development.path}`);
    context.reveal?.(`ops API key (shown once, kept in ${development.path}): ${development.key}`);
  }
  const auth = createAuth({
    db,
    clock,
    sealer: vault,
    issuerPublicUrl: config.issuerPublicUrl,
    opsKeys,
    session: { idleMs: config.sessionIdleMinutes * 60_000, maxMs: config.sessionMaxMinutes * 60_000 },
    grantTtlMs: config.scaGrantSeconds * 1000,
    attempts: { maxFailures: config.authMaxFailures, lockMs: config.authLockMinutes * 60_000 },
    ...(config.oidcIssuer !== undefined && { oidc: oidcOptions(config, config.oidcIssuer) }),
  });
  const guards = authGuards(auth);

  const signer = await issuerSigner(context);
  const client = await tokenConnectClient(context, signer);
  const accountRanges = config.accountRanges ?? MDES_ACCOUNT_RANGES.map((r) => r.prefix);
  const directory = new TokenRequestorDirectory({
    client,
    accountRanges,
    clickToPayTokenRequestorId: config.clickToPayTokenRequestorId,
    clock,
    onRefreshError: (error) =>
      logger.warn({ err: error }, 'token requestor refresh failed; serving the last list'),
  });
  const idempotency = new IdempotencyStore(db, clock);
  const tokenRepository = new TokenRepository(db);
  const provisioning = new ProvisioningService({
    repository: new ProvisioningRepository(db, vault),
    // Longer than a push's Token Connect call with its retries ever takes.
    claims: new ProvisioningJobRepository(db, 5 * 60_000),
    audit,
    idempotency,
    cards: store,
    directory,
    client,
    clock,
    issuerUrl: config.issuerPublicUrl,
    accountRanges,
    receiptValidityMinutes: config.receiptValidityMinutes,
    savedAt: (cardId) => tokenRepository.liveTokenRequestors(cardId),
  });

  // The tokens of the issuer's cards, kept from MDES's notifications, and the cardholder's control over them.
  const tokenSync = new TokenSync({
    provisioning,
    pushes: new ProvisioningRepository(db, vault),
    tokens: tokenRepository,
    audit,
    clock,
    clickToPayTokenRequestorId: config.clickToPayTokenRequestorId,
  });
  const customerService = await customerServiceClient(context, signer);
  const mdesLog = new MdesNotificationLog(db);
  const cardLookup = {
    findByPan: (pan: string) => store.cards.findByPan(pan),
    get: (cardId: string) => store.cards.get(cardId),
    ownedCard: (cardholderId: string, cardId: string) => store.ownedCard(cardholderId, cardId),
    profile: (cardholderId: string) => store.profile(cardholderId),
  };
  const activations = new Activations({
    log: mdesLog,
    codes: new ActivationCodeStore(db, vault),
    cards: cardLookup,
    sender: activationCodeSender(context),
    mdes: customerService,
    organization: config.issuerName,
    audit,
    clock,
  });
  const tokenManagement = new TokenManagement({
    tokens: tokenRepository,
    cards: {
      ownedCard: (cardholderId, cardId) => store.ownedCard(cardholderId, cardId),
      get: (cardId) => store.cards.get(cardId),
      revealCardData: (cardId) => store.revealCardData(cardId),
    },
    audit,
    clock,
    organization: config.issuerName,
    mdes: customerService,
    logoOf: async (tokenRequestorId) => (await directory.get(tokenRequestorId)).imageAssetId,
  });
  const followUps = new TokenFollowUps({
    repository: new TokenFollowUpRepository(db),
    tokenManagement,
    clock,
    audit,
    onRequeued: () => takeFollowUps(),
    onSettled: (followUp, outcome, error) =>
      logger[outcome === 'done' ? 'info' : 'warn'](
        {
          followUp: {
            id: followUp.id,
            cardId: followUp.cardId,
            kind: followUp.kind,
            attempt: followUp.attempts,
          },
          outcome,
          error,
        },
        'card change taken to its tokens',
      ),
  });

  // Before anything listens or runs: a wrong TLS file stops the start here, naming its variable.
  const mdes = await buildMdesListener({
    config,
    db: context.db,
    logger,
    clock,
    routes: async () =>
      preDigitizationRoutes({
        payloads: new PreDigitizationPayloads({
          decryptionKeys: [await mdesDecryptionKey(config, context.keys)],
          clock,
        }),
        questions: new TokenizationQuestions({
          log: mdesLog,
          pushes: new ProvisioningRepository(db, vault),
          cards: cardLookup,
          audit,
          clock,
          unmatched: config.unmatchedTokenization,
          walletRisk: config.walletRisk,
          issuerApp: `${config.issuerName} app`,
        }),
        notifications: new MdesNotifications({
          log: mdesLog,
          tokens: tokenSync,
          cards: cardLookup,
          clock,
        }),
        activations,
        suspiciousEvents: new SuspiciousEvents({
          log: mdesLog,
          events: new SuspiciousEventLog(db),
          tokens: tokenRepository,
          audit,
          clock,
        }),
      }),
  });

  const plugins: FastifyPluginAsync[] = [
    authRoutes(auth, guards),
    cardRoutes(cardService, { requireOps: guards.requireOps }),
    provisioningRoutes({ provisioning, audit, guards, resultPage }),
    opsRoutes(
      new OpsStats(db, clock),
      guards,
      new CardholderSearch(new OpsRepository(db), store.cardholders, audit),
    ),
    assetRoutes(directory),
    tokenRoutes({ tokenManagement, followUps, guards }),
    activationRoutes({ activations, guards }),
  ];
  const hsmProbes = hsmReadiness(config);
  const app = await createIssuerApp({
    db: context.db,
    logger,
    clock,
    publicUrl: config.issuerPublicUrl,
    plugins,
    rateLimits: {
      perIp: config.rateLimitPerIp,
      perCardholder: config.rateLimitPerCardholder,
      signInPerIp: config.rateLimitSignInPerIp,
    },
    trustProxy: config.trustProxy,
    // Process and traffic figures are the operators', not the cardholders'.
    metricsGuard: guards.requireOps,
    ...(hsmProbes && { probes: hsmProbes }),
  });
  // With the bank's identity provider, the pages sign in and step up there.
  const { oidc, sessions } = auth;
  const identityProvider =
    oidc && sessions && webOidc({ auth: { ...auth, oidc, sessions }, guards, provisioning, tokenManagement });
  await app.register(
    webPages({
      provisioning,
      tokenManagement,
      guards,
      factors: auth.factors,
      passkeys: auth.passkeys,
      localeOf: async (cardholderId) => (await store.profile(cardholderId)).locale,
      clickToPayTokenRequestorId: config.clickToPayTokenRequestorId,
      activations: {
        pending: (cardholderId, cardId) => activations.pending(cardholderId, cardId),
        nameOf: async (tokenRequestorId) =>
          (await directory.get(tokenRequestorId).catch(() => undefined))?.consumerFacingEntityName ??
          tokenRequestorId,
      },
      demo: simulated && !identityProvider,
      identityProvider: identityProvider !== undefined,
      links: { simulatorUrl: config.simulatorPublicUrl, merchantUrl: config.merchantPublicUrl },
    }),
  );
  // The same pages' forms without script: POST, then a redirect.
  await app.register(
    webForms({
      auth,
      guards,
      provisioning,
      tokenManagement,
      activations,
      ...(identityProvider && { idpStepUp: identityProvider.stepUp }),
    }),
  );
  if (identityProvider) await app.register(identityProvider.plugin);

  // Background work that must not wait for a request: finishing pushes whose
  // answer was lost, expiring receipts, taking card changes to their tokens,
  // sealing the audit trail, forgetting what has expired. Each job claims its
  // rows (or its turn) for this instance, so N instances on one database do
  // each piece of work once (src/core/jobs).
  const loop = (name: string, pollMs: number, step: () => Promise<number>) =>
    new WorkLoop({
      step,
      pollMs,
      onError: (error) => logger.error({ err: error, job: name }, 'background job failed'),
    });
  const reconcileMs = config.reconcileSeconds * 1000;
  const schedule = new Schedule(db as unknown as Kysely<unknown>, 10 * 60_000);
  const followUpJob = loop('token follow-ups', reconcileMs, () => followUps.step());
  takeFollowUps = () => followUpJob.wake();
  const jobs = [
    followUpJob,
    loop('reconcile', reconcileMs, () => provisioning.reconcile(reconcileMs * 2)),
    loop('expire receipts', 30_000, () => provisioning.expireReceipts()),
    // Appends take no lock; this chains them, about a second behind (one sealer across instances).
    loop('seal audit entries', 1000, () => audit.seal()),
    loop('purge expired', 60_000, async () => {
      await schedule.runIfDue('purge expired', 10 * 60_000, clock.now(), async () => {
        await auth.purgeExpired();
        await idempotency.purgeExpired();
      });
      return 0;
    }),
  ];
  for (const job of jobs) job.start();
  return {
    app,
    mdes,
    stop: async () => {
      await Promise.all(jobs.map((job) => job.stop()));
    },
  };
}
