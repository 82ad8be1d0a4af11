import { type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * MDES Customer Service 2.0.7's messages (docs/mastercard/customer-service.md
 * §2), as the issuer sends and reads them: every request is one token in a
 * PascalCase wrapper named after the operation (`TokenSuspendRequest` …),
 * with the `AuditInfo` of who acted. The spec marks few fields required;
 * these schemas require what it requires and bound what it bounds. Shared
 * by the client (checked before sending) and the simulator (checked on
 * arrival), so both read the spec the same way.
 */

const str = (min: number, max: number, extra: object = {}) =>
  Type.String({ minLength: min, maxLength: max, ...extra });
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

/** Who triggered the request at the issuer: required Organization, UserId, UserName. */
const AuditInfoSchema = Type.Object(
  {
    UserId: str(1, 50),
    UserName: str(1, 200),
    Organization: str(1, 200),
    Phone: Type.Optional(str(1, 20)),
  },
  { additionalProperties: false },
);
export type AuditInfo = Static<typeof AuditInfoSchema>;

// A token unique reference: the spec bounds it at 48 (9 to 48 for suspend and activate).
const TokenUniqueReference = str(9, 48, { pattern: '^[A-Za-z0-9]+$' });
const AccountPan = str(9, 19, { pattern: '^[0-9]+$' });
const CommentText = Type.Optional(str(1, 500));

/** `ReasonCode` of each change, as the spec lists them. */
export const SUSPEND_REASONS = ['L', 'S', 'T', 'Z'] as const;
export const UNSUSPEND_REASONS = ['F', 'T', 'Z'] as const;
/** `F` is deprecated by the spec, in favour of `T`; still accepted. */
export const DELETE_REASONS = ['L', 'S', 'F', 'T', 'C', 'Z'] as const;
export const ACTIVATE_REASONS = ['A', 'C'] as const;

/** `Suspenders.Suspender`: issuer, token requestor (wallet), cardholder, Mobile PIN validation and change. */
const SUSPENDERS = ['I', 'W', 'C', 'P', 'M'] as const;
export type Suspender = (typeof SUSPENDERS)[number];
/** `CurrentStatusCode` / `StatusCode`: unmapped (in progress), active, suspended, deleted. */
export const STATUS_CODES = ['U', 'A', 'S', 'D'] as const;
export type StatusCode = (typeof STATUS_CODES)[number];

const wrapper = <K extends string, T extends TSchema>(name: K, inner: T) =>
  Type.Object({ [name]: inner } as { [P in K]: T }, { additionalProperties: false });

/**
 * One search criterion at a time (the spec: the request "MUST include only
 * one of the available search methods"); that rule is checked in code, so a
 * missing AuditInfo is reported as such. pushprov searches by token unique
 * reference or by card number.
 */
export const SearchRequestSchema = wrapper(
  'SearchRequest',
  Type.Object(
    {
      TokenUniqueReference: Type.Optional(TokenUniqueReference),
      AccountPan: Type.Optional(AccountPan),
      ExcludeDeletedIndicator: Type.Optional(literals(['true', 'false'])),
      AuditInfo: AuditInfoSchema,
    },
    { additionalProperties: false },
  ),
);
export type SearchRequest = Static<typeof SearchRequestSchema>['SearchRequest'];
/** The criteria of a search, of which exactly one is given. */
export const SEARCH_CRITERIA = ['TokenUniqueReference', 'AccountPan'] as const;

const change = <R extends readonly string[]>(reasons: R) =>
  Type.Object(
    { TokenUniqueReference, ReasonCode: literals(reasons), CommentText, AuditInfo: AuditInfoSchema },
    { additionalProperties: false },
  );
export const TokenSuspendRequestSchema = wrapper('TokenSuspendRequest', change(SUSPEND_REASONS));
export const TokenUnsuspendRequestSchema = wrapper('TokenUnsuspendRequest', change(UNSUSPEND_REASONS));
export const TokenDeleteRequestSchema = wrapper('TokenDeleteRequest', change(DELETE_REASONS));
export const TokenActivateRequestSchema = wrapper('TokenActivateRequest', change(ACTIVATE_REASONS));

/**
 * One token's account mapping after a card replacement: the new card's full
 * number (same account range), expiry (MMYY) and sequence number, any of them.
 * The spec's other form (`CurrentAccountPan`, every token of a card) and
 * `IssuerProductConfigurationId` are not used by pushprov.
 */
export const TokenUpdateRequestSchema = wrapper(
  'TokenUpdateRequest',
  Type.Object(
    {
      TokenUniqueReference,
      NewAccountPan: Type.Optional(AccountPan),
      ExpirationDate: Type.Optional(Type.String({ pattern: '^(0[1-9]|1[0-2])[0-9]{2}$' })),
      AccountPanSequenceNumber: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}$' })),
      UpdateWalletProviderIndicator: Type.Optional(literals(['0', '1'])),
      CommentText,
      AuditInfo: AuditInfoSchema,
    },
    { additionalProperties: false },
  ),
);

export const TokenStatusHistoryRequestSchema = wrapper(
  'TokenStatusHistoryRequest',
  Type.Object({ TokenUniqueReference, AuditInfo: AuditInfoSchema }, { additionalProperties: false }),
);

/** The ways a token awaiting activation can be activated (AuditInfo optional in the spec). */
export const TokenActivationMethodsRequestSchema = wrapper(
  'TokenActivationMethodsRequest',
  Type.Object(
    { TokenUniqueReference, AuditInfo: Type.Optional(AuditInfoSchema) },
    { additionalProperties: false },
  ),
);

/** MDES makes a new activation code and has it sent by one of the token's activation methods. */
export const TokenResendActivationCodeRequestSchema = wrapper(
  'TokenResendActivationCodeRequest',
  Type.Object(
    { TokenUniqueReference, ActivationMethodId: str(1, 64), AuditInfo: AuditInfoSchema },
    { additionalProperties: false },
  ),
);

/**
 * `ActivationMethodType`: SMS text message, EMA email, ACC automated call
 * centre, CLC call centre, WEB website, BAP mobile application, OBC a code
 * spoken on a call to the cardholder.
 */
export const ACTIVATION_METHOD_CODES = ['SMS', 'EMA', 'ACC', 'CLC', 'WEB', 'BAP', 'OBC'] as const;

// --- Answers -----------------------------------------------------------------------------------

/** The `Token` of a search answer: the fields pushprov reads; MDES sends more. */
const SearchTokenSchema = Type.Object({
  TokenUniqueReference: Type.String(),
  TokenRequestorId: Type.Optional(Type.String()),
  TokenSuffix: Type.Optional(Type.String()),
  ExpirationDate: Type.Optional(Type.String()),
  CurrentStatusCode: literals(STATUS_CODES),
  CurrentStatusDescription: Type.Optional(Type.String()),
  CurrentStatusDateTime: Type.Optional(Type.String()),
  Suspenders: Type.Optional(Type.Object({ Suspender: Type.Array(Type.String()) })),
  AccountPanSequenceNumber: Type.Optional(Type.String()),
});
export type SearchToken = Static<typeof SearchTokenSchema>;

export const SearchResponseSchema = Type.Object({
  SearchResponse: Type.Object({
    Accounts: Type.Object({
      Account: Type.Array(
        Type.Object({
          AccountPanSuffix: Type.Optional(Type.String()),
          ExpirationDate: Type.Optional(Type.String()),
          Tokens: Type.Object({ Token: Type.Array(SearchTokenSchema) }),
        }),
      ),
    }),
  }),
});
export type SearchResponse = Static<typeof SearchResponseSchema>;

const SimpleToken = Type.Object({
  TokenUniqueReference: Type.String(),
  CommentId: Type.Optional(Type.String()),
});
export type SimpleToken = Static<typeof SimpleToken>;
const simpleAnswer = <K extends string>(name: K) =>
  Type.Object({ [name]: Type.Object({ Token: SimpleToken }) });
export const TokenSuspendResponseSchema = simpleAnswer('TokenSuspendResponse');
export const TokenUnsuspendResponseSchema = simpleAnswer('TokenUnsuspendResponse');
export const TokenDeleteResponseSchema = simpleAnswer('TokenDeleteResponse');
export const TokenActivateResponseSchema = simpleAnswer('TokenActivateResponse');
export const TokenResendActivationCodeResponseSchema = Type.Object({
  TokenResendActivationCodeResponse: Type.Object({
    Token: Type.Object({ TokenUniqueReference: Type.String() }),
  }),
});
const ActivationMethodSchema = Type.Object({
  ActivationMethodId: Type.String(),
  /** ACTIVATION_METHOD_CODES; new ones are read, not refused. */
  ActivationMethodType: str(1, 3),
  ActivationMethodValue: Type.String(),
  /** "Whether the activation method can be used to re-send an activation code. Valid values are TRUE and FALSE." */
  ResendIndicator: Type.Optional(str(4, 5)),
});
export type ActivationMethod = Static<typeof ActivationMethodSchema>;
export const TokenActivationMethodsResponseSchema = Type.Object({
  TokenActivationMethodsResponse: Type.Object({
    ActivationMethods: Type.Object({ ActivationMethod: Type.Array(ActivationMethodSchema) }),
  }),
});
export const TokenUpdateResponseSchema = Type.Object({
  TokenUpdateResponse: Type.Object({ Tokens: Type.Object({ Token: Type.Array(SimpleToken) }) }),
});

const StatusSchema = Type.Object({
  StatusCode: literals(STATUS_CODES),
  StatusDescription: Type.Optional(Type.String()),
  StatusDateTime: Type.String(),
  Initiator: Type.Optional(Type.String()),
  ReasonCode: Type.Optional(Type.String()),
  CommentId: Type.Optional(Type.String()),
  AuditInfo: Type.Optional(Type.Object({}, { additionalProperties: true })),
});
export type Status = Static<typeof StatusSchema>;
export const TokenStatusHistoryResponseSchema = Type.Object({
  TokenStatusHistoryResponse: Type.Object({ Statuses: Type.Object({ Status: Type.Array(StatusSchema) }) }),
});
