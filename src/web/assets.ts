import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';

/** The pages' one script, one stylesheet and icon, read once at start. */
const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const FILES: Record<string, { type: string; body: string }> = {
  'app.js': { type: 'text/javascript; charset=utf-8', body: read('app.js') },
  'app.css': { type: 'text/css; charset=utf-8', body: read('app.css') },
  'favicon.svg': { type: 'image/svg+xml', body: read('favicon.svg') },
};

export const staticAssets: FastifyPluginAsync = async (app) => {
  for (const [name, file] of Object.entries(FILES)) {
    app.get(`/assets/${name}`, { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type(file.type)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(file.body),
    );
  }
  // Browsers ask for it whatever the page says.
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
    reply.redirect('/assets/favicon.svg', 301),
  );
};
