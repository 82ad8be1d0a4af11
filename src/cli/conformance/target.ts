import type { KeyObject, X509Certificate } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import type { ConformanceData } from './data.js';

/** An API client's credentials at Mastercard's gateway. */
interface ClientCredentials {
  consumerKey: string;
  /** RSA private key whose certificate the gateway holds for the consumer key. */
  signingKey: KeyObject;
}

/** What the scenarios run against, and as whom. */
export interface ConformanceTarget {
  /** Token Connect's base URL, to which Mastercard's paths are appended (`…/mdes`). */
  baseUrl: string;
  /** The issuer, as pushprov calls Token Connect. */
  issuer: ClientCredentials;
  /** Mastercard's encryption certificate (or bare public key) the pushed accounts are encrypted to. */
  encryptionKey: X509Certificate | KeyObject;
  /** What `publicKeyFingerprint` names; default the certificate's when there is one. */
  fingerprintOf?: 'publicKey' | 'certificate';
  /**
   * A token requestor, to redeem receipts with MDES tokenize. Only the
   * simulator lets an issuer hold such a key; without it the scenarios that
   * redeem are skipped.
   */
  tokenRequestor?: ClientCredentials & {
    tokenRequestorId: string;
    /**
     * The token requestor's encryption key (and the certificate it registered),
     * which MDES encrypts `tokenDetail` to; without it the scenarios that read
     * what a token requestor receives fail, saying so.
     */
    decryptionKey?: { privateKey: KeyObject; certificate?: X509Certificate };
  };
  /** The target's time, for OAuth timestamps and dates in requests; default the system clock. */
  clock?: Clock;
  /** Moves the target's clock forward (an in-process simulator); without it, expiry scenarios are skipped. */
  advanceClock?: (ms: number) => void | Promise<void>;
  /**
   * MDES's push-signing key, as a token requestor holds it: a key asset id
   * to download, or a key given as a file (MDESRQ p. 43–45). Default: the
   * asset named by each signature's kid.
   */
  mdesSigningKey?: { assetId: string } | { assetId?: string; publicKey: KeyObject };
  /** MDES Customer Service's base URL; default `<baseUrl>/csapi/v2` (the sandbox's and the simulator's form). */
  customerServiceUrl?: string;
  /** The target serves token requestors' pages the scenarios can click through (the simulator only). */
  tokenRequestorPages?: boolean;
  data: ConformanceData;
  /** Per request; default 10 s. */
  timeoutMs?: number;
}
