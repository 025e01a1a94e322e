/**
 * JSON Canonicalization Scheme (RFC 8785): the one byte-exact serialization STIX uses to derive
 * deterministic identifiers.
 *
 * @module
 */

/**
 * Serializes `value` per RFC 8785 (JCS): object members sorted by the UTF-16 code units of their
 * names, no whitespace, ECMAScript number formatting and JSON string escaping. Object members
 * whose value is `undefined` are left out, as `JSON.stringify` does. Throws `TypeError` on values
 * JSON cannot carry (non-finite numbers, bigints, functions, symbols, `undefined` at top level or
 * in arrays) and on cycles.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return serialize(value, new Set());
}

function serialize(value: unknown, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot represent ${value}`);
      // ECMAScript's Number::toString is the serialization RFC 8785 specifies; -0 prints as 0.
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (ancestors.has(value)) throw new TypeError('canonical JSON cannot represent a cycle');
      ancestors.add(value);
      let out: string;
      if (Array.isArray(value)) {
        out = `[${value.map((item) => serialize(item, ancestors)).join(',')}]`;
      } else {
        const record = value as Record<string, unknown>;
        const members: string[] = [];
        for (const key of Object.keys(record).sort()) {
          if (record[key] === undefined) continue;
          members.push(`${JSON.stringify(key)}:${serialize(record[key], ancestors)}`);
        }
        out = `{${members.join(',')}}`;
      }
      ancestors.delete(value);
      return out;
    }
    default:
      throw new TypeError(`canonical JSON cannot represent a value of type ${typeof value}`);
  }
}
