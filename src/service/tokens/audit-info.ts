import type { AuditInfo } from '../../mastercard/customer-service/schemas.js';

/**
 * Who acted at the issuer, as MDES Customer Service's `AuditInfo` names it
 * (required UserId ≤ 50, UserName ≤ 200, Organization ≤ 200): the spec
 * means a customer service representative; pushprov's actors are the
 * cardholder through the bank's pages, an ops user (by the id of their ops
 * key) and its own jobs (a card change from the card system). No name,
 * email or phone number of a cardholder is ever sent: their pushprov id is.
 * The mapping is pushprov's (docs/mastercard/customer-service.md §3).
 */
export function auditInfoOf(actor: string, organization: string): AuditInfo {
  const [kind, id = ''] = actor.includes(':')
    ? [actor.slice(0, actor.indexOf(':')), actor.slice(actor.indexOf(':') + 1)]
    : [actor];
  const who = (userId: string, userName: string): AuditInfo => ({
    UserId: userId.slice(0, 50),
    UserName: userName,
    Organization: organization.slice(0, 200),
  });
  switch (kind) {
    case 'cardholder':
      return who(id, 'Cardholder (online banking)');
    case 'ops':
      return who(`ops-${id}`, 'Bank operations');
    default:
      // cli, seed, a job: the card system's change, taken to MDES by pushprov.
      return who(`pushprov-${kind}`, 'Card system (pushprov)');
  }
}
