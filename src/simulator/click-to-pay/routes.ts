import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import type { ProfileStore } from './profiles.js';

const Params = Type.Object({ profileId: Type.String({ pattern: '^c2p_[0-9a-z]{1,64}$' }) });

/**
 * A read-only look at Click to Pay's consumer profiles, for the demo and
 * the tests: masked details and the cards each profile holds. Mastercard
 * offers nothing like it; nothing here can change a profile.
 */
export function clickToPayRoutes(profiles: ProfileStore): FastifyPluginAsync {
  return async (plain) => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('onSend', async (_request, reply) => {
      reply.header('cache-control', 'no-store');
    });
    app.get('/click-to-pay/profiles', async () => ({ profiles: await profiles.recent() }));
    app.get('/click-to-pay/profiles/:profileId', { schema: { params: Params } }, async (request) => {
      const profile = await profiles.view(request.params.profileId);
      if (!profile) throw new NotFoundError('C2P_PROFILE_NOT_FOUND', 'no such Click to Pay profile');
      return profile;
    });
  };
}
