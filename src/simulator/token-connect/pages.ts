import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Catalogue } from './catalogue.js';

const Params = Type.Object({
  tokenRequestorId: Type.String({ pattern: '^[0-9]{11}$' }),
  platform: Type.Optional(Type.Union([Type.Literal('android'), Type.Literal('ios')])),
});
const Receipt = Type.String({ maxLength: 64 });
const Query = Type.Object({
  // One per pushed card: the issuer repeats the parameter.
  pushAccountReceipt: Type.Optional(Type.Union([Receipt, Type.Array(Receipt, { maxItems: 5 })])),
  callbackURL: Type.Optional(Type.String({ maxLength: 256 })),
});
type PageRequest = FastifyRequest<{ Params: Static<typeof Params>; Querystring: Static<typeof Query> }>;

/**
 * Where the simulated token requestors other than the demo merchant send
 * the cardholder: a plain page naming the token requestor that received the
 * push, with the way back to the issuer. A real token requestor would
 * create its token here; the demo merchant shows how.
 */
export function tokenRequestorPages(catalogue: Catalogue): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    const handler = async (request: PageRequest, reply: FastifyReply) => {
      const entry = catalogue.find(request.params.tokenRequestorId);
      if (!entry) return reply.callNotFound();
      const { callbackURL, pushAccountReceipt } = request.query;
      const text = [
        `${entry.record.consumerFacingEntityName} (a token requestor simulated by pushprov)`,
        `This page stands in for its ${(request.params.platform ?? 'web').toUpperCase()} experience.`,
        pushAccountReceipt
          ? 'It received the pushed cards and would now create their tokens.'
          : 'No push account receipt arrived.',
        callbackURL && /^https?:\/\//i.test(callbackURL)
          ? `Return to your bank: ${callbackURL}`
          : 'No callback URL arrived.',
        '',
      ].join('\n');
      // Plain text, never sniffed: the callback URL comes from the query string.
      return reply.type('text/plain; charset=utf-8').header('x-content-type-options', 'nosniff').send(text);
    };
    const schema = { params: Params, querystring: Query };
    app.get('/token-requestors/:tokenRequestorId/push', { schema }, handler);
    app.get('/token-requestors/:tokenRequestorId/push/:platform', { schema }, handler);
  };
}
