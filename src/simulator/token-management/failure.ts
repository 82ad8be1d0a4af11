import { wireCode } from '../../core/error-codes.js';
import { PushprovError } from '../../core/errors.js';
import { REASON_CODES, type ReasonCode } from '../../mastercard/token-connect/reason-codes.js';

/**
 * A request the simulated MDES Customer Service refuses, answered in the
 * API's own envelope: `{"Errors":{"Error":[{Source, ReasonCode, Description,
 * Recoverable}]}}` with `Recoverable` the string "true" or "false" (MDES
 * Customer Service 2.0.7, `ErrorsResponse`). `Source` is the field in
 * error as a dotted path (the spec's example: `Atms.Atm.Location.Address.Line1`),
 * or "System". The reason codes are MDES's Token Connect ones: the spec
 * names none for Customer Service (an assumption, docs/mastercard/customer-service.md §4).
 */
export class CustomerServiceFailure extends PushprovError {
  readonly reasonCode: ReasonCode;
  readonly source: string;

  constructor(reasonCode: ReasonCode, source: string, options: { status?: number; cause?: unknown } = {}) {
    const definition = REASON_CODES[reasonCode];
    super(wireCode(reasonCode), `${definition.description} - ${source}`, {
      status: options.status ?? definition.status,
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.reasonCode = reasonCode;
    this.source = source;
  }

  get envelope() {
    return errorsResponse(
      this.reasonCode,
      this.source,
      this.message,
      REASON_CODES[this.reasonCode].recoverable,
    );
  }
}

export const errorsResponse = (
  reasonCode: string,
  source: string,
  description: string,
  recoverable: boolean,
) => ({
  Errors: {
    Error: [
      { Source: source, ReasonCode: reasonCode, Description: description, Recoverable: String(recoverable) },
    ],
  },
});
