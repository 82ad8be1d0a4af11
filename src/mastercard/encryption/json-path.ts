import { ValidationError } from '../../core/errors.js';

/**
 * The dot paths of Mastercard's encryption configurations (`path.to.field`;
 * `$` or the empty path for the whole payload; `$.path.to.field` as the Java
 * library writes them) and the few operations the encryption engine needs
 * on plain JSON values. The operations mutate: the engine runs them on its
 * own deep copy.
 */

/** Property names, outermost first; empty for the whole payload. */
export type JsonPath = readonly string[];

export type JsonObject = Record<string, unknown>;

// Writing through these would reach an object's prototype, not its data.
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses a configured path; throws a TypeError naming the problem. */
export function parseJsonPath(text: string): JsonPath {
  if (typeof text !== 'string') throw new TypeError('is not a string');
  if (text === '' || text === '$') return [];
  const segments = (text.startsWith('$.') ? text.slice(2) : text).split('.');
  for (const segment of segments) {
    if (segment === '') throw new TypeError(`'${text}' has an empty segment`);
    if (segment === '$' || /[[\]*]/.test(segment)) {
      throw new TypeError(`'${text}': array indexes and wildcards are not supported`);
    }
    if (UNSAFE.has(segment)) throw new TypeError(`'${text}': '${segment}' cannot be a path segment`);
  }
  return segments;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property, even one named `__proto__` (JSON.parse makes those). */
function setOwn(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** A deep copy of a JSON value; `toJSON` is honoured as JSON.stringify would. */
export function cloneJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneJson);
  const { toJSON } = value as { toJSON?: unknown };
  if (typeof toJSON === 'function') return cloneJson(toJSON.call(value));
  const copy: JsonObject = {};
  for (const key of Object.keys(value)) setOwn(copy, key, cloneJson((value as JsonObject)[key]));
  return copy;
}

export function getAt(root: unknown, path: JsonPath): unknown {
  let node = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, segment)) return undefined;
    node = (node as JsonObject)[segment];
  }
  return node;
}

/** Deletes the value at a non-empty path, if there is one. */
export function removeAt(root: unknown, path: JsonPath): void {
  const parent = getAt(root, path.slice(0, -1));
  if (typeof parent === 'object' && parent !== null)
    delete (parent as JsonObject)[path[path.length - 1] ?? ''];
}

/** Removes the object at `path` if it is empty, then each enclosing one left empty, short of the root. */
export function pruneEmpty(root: unknown, path: JsonPath): void {
  for (let depth = path.length; depth > 0; depth--) {
    const at = path.slice(0, depth);
    const node = getAt(root, at);
    if (!isJsonObject(node) || Object.keys(node).length > 0) return;
    removeAt(root, at);
  }
}

/**
 * Writes `value` at `path` and returns the (possibly new) root: objects on
 * the way are created where missing or null, an object value is merged into
 * an object already there, anything else replaces what was there.
 */
export function placeAt(root: unknown, path: JsonPath, value: unknown): unknown {
  const last = path[path.length - 1];
  if (last === undefined) return merge(root, value);
  if (!isJsonObject(root)) throw conflict(path, 0);
  let parent = root;
  for (let i = 0; i < path.length - 1; i++) {
    const segment = path[i] ?? '';
    const next = Object.hasOwn(parent, segment) ? parent[segment] : undefined;
    if (next === undefined || next === null) {
      const created: JsonObject = {};
      parent[segment] = created;
      parent = created;
    } else if (isJsonObject(next)) {
      parent = next;
    } else {
      throw conflict(path, i + 1);
    }
  }
  setOwn(parent, last, merge(Object.hasOwn(parent, last) ? parent[last] : undefined, value));
  return root;
}

function merge(target: unknown, value: unknown): unknown {
  if (!isJsonObject(target) || !isJsonObject(value)) return value;
  for (const key of Object.keys(value)) setOwn(target, key, value[key]);
  return target;
}

function conflict(path: JsonPath, depth: number): ValidationError {
  const at = depth === 0 ? 'the payload' : `'${path.slice(0, depth).join('.')}'`;
  return new ValidationError(
    'ENCRYPTION_PATH_CONFLICT',
    `cannot write '${path.join('.')}': ${at} is not an object`,
  );
}
