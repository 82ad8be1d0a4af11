import type { FastifyInstance } from 'fastify';
import { escapeHtml } from './html.js';

export interface HomeLinks {
  simulatorUrl: string;
  merchantUrl: string;
}

/** The page `npm start` points at: where to go from here. */
export function registerHome(app: FastifyInstance, links: HomeLinks): void {
  app.get('/', async (_request, reply) => {
    reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>pushprov</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}</style></head>
<body><main>
<h1>pushprov</h1>
<p>Issuer push provisioning to Mastercard Click to Pay and Secure Card on File.</p>
<ul>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li><a href="/readyz">Readiness</a> · <a href="/metrics">Metrics</a></li>
<li><a href="${escapeHtml(links.simulatorUrl)}/">Mastercard simulator</a></li>
<li><a href="${escapeHtml(links.merchantUrl)}/">Demo merchant</a></li>
</ul>
</main></body></html>`);
  });
}
