/** Kysely's view of the gateway's tables. */
interface McOAuthNoncesTable {
  consumer_key: string;
  nonce: string;
  expires_at: Date;
}

export interface McClientsTable {
  consumer_key: string;
  role: ClientRole;
  /** Set for token requestors only: the TRID the client acts as. */
  token_requestor_id: string | null;
  /** SubjectPublicKeyInfo PEM of the key the client signs requests with. */
  public_key_pem: string;
  /** Where MDES encrypts data to for this client (token details), if it registered one. */
  encryption_public_key_pem: string | null;
  /** The X.509 PEM the encryption key was registered with, naming it by its fingerprint (migration 0007). */
  encryption_certificate_pem: string | null;
  display_name: string;
  created_at: Date;
  updated_at: Date;
}

/** An issuer calls Token Connect; a token requestor redeems receipts. */
export type ClientRole = 'issuer' | 'token_requestor';

export interface GatewaySchema {
  mc_oauth_nonces: McOAuthNoncesTable;
  mc_clients: McClientsTable;
}
