/** A documented Mastercard environment by name, or any base URL (the local simulator). */
export type Environment<Name extends string> = Name | { baseUrl: string };

/**
 * The base URL of an API in an environment. Operation paths start with '/',
 * so a trailing one on the base is dropped rather than doubled.
 */
export function resolveBaseUrl<Name extends string>(
  baseUrls: Readonly<Record<Name, string>>,
  environment: Environment<Name>,
): string {
  const url = typeof environment === 'string' ? baseUrls[environment] : environment.baseUrl;
  return url.replace(/\/+$/, '');
}
