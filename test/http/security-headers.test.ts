import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerSecurityHeaders } from '../../src/http/security/headers.js';

describe('security headers', () => {
  it("keep a route's own stricter Content-Security-Policy, and give every other answer the default", async () => {
    const app = Fastify();
    registerSecurityHeaders(app, { publicUrl: 'https://bank.example' });
    const strict = "default-src 'none'; style-src 'unsafe-inline'";
    app.get('/v1/assets/logo', async (_request, reply) =>
      reply.type('image/svg+xml').header('content-security-policy', strict).send('<svg/>'),
    );
    app.get('/page', async () => 'ok');
    const asset = await app.inject({ method: 'GET', url: '/v1/assets/logo' });
    expect(asset.headers['content-security-policy']).toBe(strict);
    expect(asset.headers['x-frame-options']).toBe('DENY');
    const page = await app.inject({ method: 'GET', url: '/page' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['strict-transport-security']).toContain('max-age=');
    await app.close();
  });
});
