import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyPluginAsync } from 'fastify';

/**
 * The pages' one script, one stylesheet and icon, and the ops dashboard's
 * chart library (uPlot, from its npm package), read once at start and served
 * from the bank's own origin: the pages load nothing from elsewhere, and the
 * CSP (`script-src 'self'`) stays as it is.
 */
const read = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const fromPackage = (path: string) => readFileSync(createRequire(import.meta.url).resolve(path), 'utf8');
const FILES: Record<string, { type: string; body: string }> = {
  'app.js': { type: 'text/javascript; charset=utf-8', body: read('app.js') },
  'app.css': { type: 'text/css; charset=utf-8', body: read('app.css') },
  'favicon.svg': { type: 'image/svg+xml', body: read('favicon.svg') },
  'uplot.js': { type: 'text/javascript; charset=utf-8', body: fromPackage('uplot/dist/uPlot.iife.min.js') },
  'uplot.css': { type: 'text/css; charset=utf-8', body: fromPackage('uplot/dist/uPlot.min.css') },
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
