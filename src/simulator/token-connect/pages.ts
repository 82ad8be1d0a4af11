import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  callbackWithResults,
  type Handover,
  HandoverError,
  readHandover,
} from '../../mastercard/token-connect/handover.js';
import type { PushSignatureKeys } from '../../mastercard/token-connect/push-signature.js';
import type { Catalogue } from './catalogue.js';

const Params = Type.Object({
  tokenRequestorId: Type.String({ pattern: '^[0-9]{11}$' }),
  platform: Type.Optional(Type.Union([Type.Literal('android'), Type.Literal('ios')])),
});
type PageRequest = FastifyRequest<{ Params: Static<typeof Params> }>;

/**
 * Where the simulated token requestors other than the demo merchant and
 * Click to Pay send the cardholder: a plain page naming the token requestor
 * that received the push (in either handover form), and the way back to the
 * issuer with CANCELLED for each receipt, since a stand-in creates no token.
 */
export function tokenRequestorPages(
  catalogue: Catalogue,
  signatures: Pick<PushSignatureKeys, 'verify'>,
): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    const handler = async (request: PageRequest, reply: FastifyReply) => {
      const entry = catalogue.find(request.params.tokenRequestorId);
      if (!entry) return reply.callNotFound();
      let handover: Handover | undefined;
      try {
        const received = readHandover(new URL(request.url, 'http://simulator').searchParams);
        handover = received.form === 'signed' ? await signatures.verify(received.jws) : received.handover;
      } catch (error) {
        if (!(error instanceof HandoverError)) throw error;
      }
      const back =
        handover?.callbackURL &&
        callbackWithResults(
          handover.callbackURL,
          handover.pushAccountReceipts.map((receipt) => ({ receipt, result: 'CANCELLED' as const })),
        );
      const text = [
        `${entry.record.consumerFacingEntityName} (a token requestor simulated by pushprov)`,
        `This page stands in for its ${(request.params.platform ?? 'web').toUpperCase()} experience.`,
        handover
          ? `It received ${handover.pushAccountReceipts.length} pushed card(s); a stand-in creates no token.`
          : 'No readable push arrived.',
        back ? `Return to your bank: ${back}` : 'No callback URL arrived.',
        '',
      ].join('\n');
      // Plain text, never sniffed: the callback URL comes from the query string.
      return reply
        .code(handover ? 200 : 400)
        .type('text/plain; charset=utf-8')
        .header('x-content-type-options', 'nosniff')
        .send(text);
    };
    const schema = { params: Params };
    app.get('/token-requestors/:tokenRequestorId/push', { schema }, handler);
    app.get('/token-requestors/:tokenRequestorId/push/:platform', { schema }, handler);
  };
}
