import type {
  PreDigitizationFailure,
  PreDigitizationResult,
} from '../../mastercard/pre-digitization/caller.js';
import type { IssuerCalls } from '../pre-digitization/issuers.js';
import type { Fault, FaultInjector, OutgoingOperation } from './injector.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The injector's faults applied to MDES's calls to an issuer, as if the
 * issuer or the network misbehaved: `latency` delays the call, `timeout` is
 * an issuer that does not answer in time, `error` an HTTP status (503 by
 * default), `reset` an issuer that cannot be reached, `malformed` an answer
 * MDES cannot read, `lost_after_commit` an issuer that took the call whose
 * answer never came back. Only rules naming the operation apply: `*` stays
 * with the simulator's own routes.
 */
export function withFaults(calls: IssuerCalls, injector: FaultInjector): IssuerCalls {
  const wrap =
    <A extends unknown[], T>(
      operation: OutgoingOperation,
      call: (...args: A) => Promise<PreDigitizationResult<T>>,
    ) =>
    async (...args: A): Promise<PreDigitizationResult<T>> => {
      const fault = injector.decide(operation, { wildcard: false });
      if (!fault) return call(...args);
      if (fault.fault === 'latency') {
        await sleep(fault.ms ?? 0);
        return call(...args);
      }
      if (fault.fault === 'lost_after_commit') {
        await call(...args);
        return failed({ kind: 'network', code: 'ECONNRESET' });
      }
      const failure = injected(fault);
      return failure ? failed(failure) : call(...args);
    };
  return {
    authorizeService: wrap('authorizeService', (r, d) => calls.authorizeService(r, d)),
    requestActivationMethods: wrap('requestActivationMethods', (r, d) =>
      calls.requestActivationMethods(r, d),
    ),
    deliverActivationCode: wrap('deliverActivationCode', (r) => calls.deliverActivationCode(r)),
    notifyServiceActivated: wrap('notifyServiceActivated', (r, d) => calls.notifyServiceActivated(r, d)),
    notifyTokenUpdated: wrap('notifyTokenUpdated', (r) => calls.notifyTokenUpdated(r)),
    validateActivationCode: wrap('validateActivationCode', (r) => calls.validateActivationCode(r)),
    notifySuspiciousEvents: wrap('notifySuspiciousEvents', (r) => calls.notifySuspiciousEvents(r)),
  };
}

const failed = (failure: PreDigitizationFailure) => ({ ok: false as const, failure });

function injected(fault: Fault): PreDigitizationFailure | undefined {
  switch (fault.fault) {
    case 'timeout':
      return { kind: 'timeout' };
    case 'error':
      return { kind: 'http', status: fault.status ?? 503, error: undefined };
    case 'reset':
      return { kind: 'network', code: 'ECONNREFUSED' };
    case 'malformed':
      return { kind: 'invalid-answer', reason: 'the answer is not JSON (injected)' };
    default:
      // expire_receipts concerns pushes, not calls to the issuer.
      return undefined;
  }
}
