import type { GatewaySchema, McClientsTable } from '../gateway/tables.js';

/** Kysely's view of MDES's tokenization decisions (migration 0005). */
export interface McTokenizationDecisionsTable {
  request_id: string;
  issuer_consumer_key: string;
  token_requestor_id: string;
  token_unique_reference: string;
  source: string;
  receipt: string | null;
  decision: string;
  decided_by: 'ISSUER' | 'STAND_IN' | 'MDES';
  reason_code: string;
  decided_at: Date;
}

export interface DecisioningSchema extends Omit<GatewaySchema, 'mc_clients'> {
  mc_clients: McClientsTable & { authorization_url: string | null };
  mc_tokenization_decisions: McTokenizationDecisionsTable;
}
