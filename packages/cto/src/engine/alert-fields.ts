/**
 * Reading alerts on the decision path: field paths compiled once into readers, the validation of
 * incoming alerts (a fast path for well-formed input, zod for everything else and for the
 * messages), and the stable keys (fingerprint, dedupe and group keys) hashed from field values.
 *
 * @module
 */
import { hash } from 'node:crypto';
import { type Alert, alertInputSchema, severityLevels } from '@ce/core';

/** Reads one field of an alert as text: `undefined` when absent or null. */
export type FieldReader = (alert: Alert) => string | undefined;

function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const readers = new Map<string, FieldReader>();

/**
 * Compiles a dotted field path (`user`, `raw.policy`, `raw.a.b`) into a reader. Objects read as
 * JSON text, numbers and booleans as their text.
 */
export function fieldReader(path: string): FieldReader {
  let reader = readers.get(path);
  if (reader) return reader;
  const segments = path.split('.');
  if (segments.length === 1) {
    const [name] = segments as [string];
    reader = (alert) => asText((alert as unknown as Record<string, unknown>)[name]);
  } else if (segments.length === 2) {
    const [first, second] = segments as [string, string];
    reader = (alert) => {
      const parent = (alert as unknown as Record<string, unknown>)[first];
      return typeof parent === 'object' && parent !== null
        ? asText((parent as Record<string, unknown>)[second])
        : undefined;
    };
  } else {
    reader = (alert) => {
      let value: unknown = alert;
      for (const segment of segments) {
        if (typeof value !== 'object' || value === null) return undefined;
        value = (value as Record<string, unknown>)[segment];
      }
      return asText(value);
    };
  }
  if (readers.size < 10_000) readers.set(path, reader);
  return reader;
}

/** Reads a dotted path of an alert (or any record) as text. */
export function fieldText(record: Readonly<Record<string, unknown>>, path: string): string | undefined {
  return fieldReader(path)(record as unknown as Alert);
}

const severities: ReadonlySet<string> = new Set(severityLevels);
const inputKeys: ReadonlySet<string> = new Set(Object.keys(alertInputSchema.shape));

function optionalText(value: unknown, max: number): boolean {
  return value === undefined || (typeof value === 'string' && value.length <= max);
}

function requiredText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function plainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The path of the first value in `value` that JSON cannot hold as it is (a bigint, a function, a
 * symbol, a non-finite number, a cycle or nesting deeper than 64), or undefined when it is JSON.
 * Stores keep `raw` as JSON: one such value would otherwise fail the commit of a whole batch.
 */
function jsonProblem(value: unknown, path: string, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`;
    case 'object': {
      if (value === null) return undefined;
      if (depth > 64) return `${path}: nested deeper than 64 levels`;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const problem = jsonProblem(value[i], `${path}.${i}`, depth + 1);
          if (problem) return problem;
        }
        return undefined;
      }
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined) continue;
        const problem = jsonProblem(item, `${path}.${key}`, depth + 1);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return `${path}: a ${typeof value} is not JSON`;
  }
}

/**
 * Validates an alert input as `alertInputSchema` does, with the same result. Well-formed input
 * (epoch-millisecond timestamps, no unknown keys) is checked by hand, which is an order of
 * magnitude faster than the schema; anything else goes through the schema, which also words the
 * errors. `raw` must also be JSON (a bigint, say, is refused naming its path). Returns the alert
 * or the reason it was refused, naming the fields.
 */
export function parseAlert(input: unknown, sourceConfigId: string): Alert | { problem: string } {
  if (plainObject(input)) {
    const { id, type, subtype, name, severity, user, app, timestamp, raw } = input;
    let known = 0;
    for (const key in input) {
      if (!inputKeys.has(key)) {
        known = -1;
        break;
      }
      known++;
    }
    if (
      known >= 0 &&
      requiredText(id, 512) &&
      requiredText(type, 128) &&
      requiredText(name, 1_024) &&
      optionalText(subtype, 256) &&
      optionalText(user, 512) &&
      optionalText(app, 512) &&
      (severity === undefined || (typeof severity === 'string' && severities.has(severity))) &&
      typeof timestamp === 'number' &&
      Number.isSafeInteger(timestamp) &&
      timestamp >= 0 &&
      (raw === undefined || plainObject(raw))
    ) {
      const problem = raw === undefined ? undefined : jsonProblem(raw, 'raw', 0);
      if (problem) return { problem };
      const alert: Record<string, unknown> = {
        id,
        sourceConfigId,
        type,
        name,
        severity: severity ?? 'unknown',
        timestamp,
        raw: raw === undefined ? {} : { ...raw },
      };
      if (subtype !== undefined) alert.subtype = subtype;
      if (user !== undefined) alert.user = user;
      if (app !== undefined) alert.app = app;
      return alert as unknown as Alert;
    }
  }
  const parsed = alertInputSchema.safeParse(input);
  if (parsed.success) {
    const { id, type, subtype, name, severity, user, app, timestamp, raw } = parsed.data;
    const problem = jsonProblem(raw, 'raw', 0);
    if (problem) return { problem };
    return {
      id,
      sourceConfigId,
      type,
      name,
      severity,
      timestamp,
      raw,
      ...(subtype !== undefined ? { subtype } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(app !== undefined ? { app } : {}),
    };
  }
  return {
    problem: parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'alert'}: ${issue.message}`)
      .join('; '),
  };
}

/**
 * A stable 128-bit hash (hex) of a list of texts, where an absent value differs from an empty
 * one. The same values give the same hash in every process and version, which is what makes
 * fingerprints, dedupe and group keys and ticket ids comparable across restarts.
 */
export function stableHash(values: ReadonlyArray<string | undefined>): string {
  let text = '';
  for (const value of values) text += value === undefined ? '\u0000\u001e' : `${value}\u001e`;
  return hash('sha1', text, 'hex').slice(0, 32);
}

function fmix(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/**
 * A stable 128-bit non-cryptographic hash (hex) of a list of texts: four multiply-xor lanes
 * finished with MurmurHash3's mix. About ten times cheaper than a digest call per alert, for the
 * fingerprint, which identifies alert families for queries and is never what decides whether
 * two alerts share a ticket (dedupe and group keys and ticket ids use {@link stableHash}).
 */
export function fastHash(values: ReadonlyArray<string | undefined>): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  let h3 = 0x27d4eb2f;
  let h4 = 0x165667b1;
  let length = 0;
  for (const value of values) {
    const text = value === undefined ? '\u0000' : value;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h3 = Math.imul(h3 ^ c, 0x2c1b3c6d);
      h4 = Math.imul(h4 ^ c, 0x297a2d39);
    }
    // A separator no text can hold, so that ["ab", "c"] and ["a", "bc"] differ.
    h1 = Math.imul(h1 ^ 0x1e001e, 0x01000193);
    h2 = Math.imul(h2 ^ 0x1e001e, 0x5bd1e995);
    h3 = Math.imul(h3 ^ 0x1e001e, 0x2c1b3c6d);
    h4 = Math.imul(h4 ^ 0x1e001e, 0x297a2d39);
    length += text.length + 1;
  }
  h1 = (h1 + h2 + length) | 0;
  h2 = (h2 + h3) | 0;
  h3 = (h3 + h4) | 0;
  h4 = (h4 + h1) | 0;
  return hex8(fmix(h1)) + hex8(fmix(h2 ^ h1)) + hex8(fmix(h3 ^ h2)) + hex8(fmix(h4 ^ h3));
}

/** Keys hashed recently, by their text: the same users and apps come back again and again. */
export class KeyCache {
  private readonly keys = new Map<string, string>();

  constructor(private readonly capacity = 50_000) {}

  /** The stable hash of `values`, computed once while cached. */
  key(values: ReadonlyArray<string | undefined>): string {
    let text = '';
    for (const value of values) text += value === undefined ? '\u0000\u001e' : `${value}\u001e`;
    let key = this.keys.get(text);
    if (key === undefined) {
      key = hash('sha1', text, 'hex').slice(0, 32);
      if (this.keys.size >= this.capacity) this.keys.clear();
      this.keys.set(text, key);
    }
    return key;
  }
}
