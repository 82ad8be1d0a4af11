import { type Static, Type } from '@sinclair/typebox';

/**
 * What can go wrong between an issuer and MDES, one request at a time:
 * - latency: the request waits `ms` before MDES looks at it.
 * - timeout: MDES does the work, then holds the answer `ms` (past the client's timeout).
 * - error: an HTTP `status` (503 by default) before any work is done.
 * - reset: the connection is destroyed before any work is done.
 * - malformed: MDES does the work and answers with a truncated body.
 * - lost_after_commit: MDES does the work (receipts exist), then the connection is destroyed.
 * - expire_receipts: the receipts issued are valid `validitySeconds` only (0 by default).
 */
const FAULT_KINDS = [
  'latency',
  'timeout',
  'error',
  'reset',
  'malformed',
  'lost_after_commit',
  'expire_receipts',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** MDES's calls to an issuer's Pre-Digitization web services (src/simulator/faults/outgoing.ts). */
const OUTGOING_OPERATIONS = [
  'authorizeService',
  'requestActivationMethods',
  'deliverActivationCode',
  'notifyServiceActivated',
  'notifyTokenUpdated',
  'validateActivationCode',
  'notifySuspiciousEvents',
] as const;
export type OutgoingOperation = (typeof OUTGOING_OPERATIONS)[number];

/**
 * The simulated operations a fault can target, or every one of the
 * simulator's own routes with '*'; a call MDES makes to an issuer is hit
 * only by a rule naming it.
 */
const FAULT_OPERATIONS = [
  '*',
  'getEligibleTokenRequestors',
  'getAsset',
  'pushMultipleAccounts',
  'pushAccount',
  'tokenize',
  ...OUTGOING_OPERATIONS,
] as const;
export type FaultOperation = (typeof FAULT_OPERATIONS)[number];

const FaultRuleSchema = Type.Object(
  {
    operation: Type.Union(FAULT_OPERATIONS.map((o) => Type.Literal(o))),
    fault: Type.Union(FAULT_KINDS.map((k) => Type.Literal(k))),
    /** Share of matching requests hit, 0–1 (default 1). */
    rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Hit at most this many requests, then let them pass: a scenario ("the first two pushes fail"). */
    times: Type.Optional(Type.Integer({ minimum: 1 })),
    ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 120_000 })),
    status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599 })),
    validitySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 900 })),
  },
  { additionalProperties: false },
);
export type FaultRule = Static<typeof FaultRuleSchema>;

export const FaultPlanSchema = Type.Object(
  {
    /** Seeds the draws of `rate`: the same plan and request order give the same faults. */
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff })),
    rules: Type.Array(FaultRuleSchema, { maxItems: 50 }),
  },
  { additionalProperties: false },
);
export type FaultPlan = Static<typeof FaultPlanSchema>;

/** One fault chosen for one request. */
export type Fault = FaultRule & { rule: number };

/**
 * Decides, request by request, which fault (if any) the simulator injects.
 * The first rule that matches the operation, has hits left and wins its
 * draw applies; draws come from a seeded generator, so a run is repeatable.
 */
export class FaultInjector {
  #rules: FaultRule[] = [];
  #hits: number[] = [];
  #random: () => number = mulberry32(0);

  constructor(plan?: FaultPlan) {
    if (plan) this.configure(plan);
  }

  configure(plan: FaultPlan): void {
    this.#rules = plan.rules.map((r) => ({ ...r }));
    this.#hits = plan.rules.map(() => 0);
    this.#random = mulberry32(plan.seed ?? 0);
  }

  clear(): void {
    this.configure({ rules: [] });
  }

  /** The fault for a request to `operation`, counted as injected; `wildcard: false` skips '*' rules. */
  decide(operation: FaultOperation, { wildcard = true }: { wildcard?: boolean } = {}): Fault | undefined {
    for (const [i, rule] of this.#rules.entries()) {
      if (!(rule.operation === operation || (wildcard && rule.operation === '*'))) continue;
      const hits = this.#hits[i] ?? 0;
      if (rule.times !== undefined && hits >= rule.times) continue;
      if (rule.rate !== undefined && rule.rate < 1 && this.#random() >= rule.rate) continue;
      this.#hits[i] = hits + 1;
      return { ...rule, rule: i };
    }
    return undefined;
  }

  /** The plan in force and how many requests each rule has hit. */
  status(): { rules: (FaultRule & { injected: number })[] } {
    return { rules: this.#rules.map((r, i) => ({ ...r, injected: this.#hits[i] ?? 0 })) };
  }

  /** Requests hit so far by faults of this kind. */
  injected(kind?: FaultKind): number {
    return this.#rules.reduce(
      (sum, r, i) => sum + (kind === undefined || r.fault === kind ? (this.#hits[i] ?? 0) : 0),
      0,
    );
  }
}

/** A small, fast, seedable PRNG (Tommy Ettinger's mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
