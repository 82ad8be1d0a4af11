import type { FastifyPluginAsync } from 'fastify';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ERROR_CODES } from '../../src/core/error-codes.js';
import { createLogger } from '../../src/core/logger.js';
import { createIssuerApp } from '../../src/http/app.js';
import { errorResponses } from '../../src/http/auth/schemas.js';

const refusing: FastifyPluginAsync = async (app) => {
  app.get('/v1/refusing', { schema: { response: errorResponses(400, 404) } }, async () => ({}));
};

describe('the OpenAPI document', () => {
  it('describes the error response with the catalogue’s codes as an enum', async () => {
    const app = await createIssuerApp({
      db: {} as Kysely<unknown>,
      logger: createLogger({ level: 'silent' }),
      publicUrl: 'http://localhost:8080',
      clock: new ManualClock(),
      plugins: [refusing],
    });
    const doc = (await app.inject({ url: '/docs/json' })).json();
    await app.close();
    for (const status of ['400', '404']) {
      const schema = doc.paths['/v1/refusing'].get.responses[status].content['application/json'].schema;
      expect(schema.properties.error.properties.code).toEqual({
        type: 'string',
        enum: Object.keys(ERROR_CODES),
      });
    }
  });
});
