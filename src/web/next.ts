/**
 * Where to go after signing in: a page of the bank's own (`/app/…`), never
 * another origin (`//evil.example`, `/\\evil.example`, a scheme) — an open
 * redirect would hand a phishing page the bank's sign-in.
 */
export function safeNext(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 256) return undefined;
  return /^\/app\/[A-Za-z0-9_\-/]*(\?[A-Za-z0-9_\-=&%.]*)?$/.test(value) && !value.startsWith('/app//')
    ? value
    : undefined;
}
