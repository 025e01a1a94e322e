import { createHash, randomUUID } from 'node:crypto';

/**
 * UUIDs for STIX identifiers: random (version 4) for SDOs, SROs and bundles; name-based
 * (version 5, SHA-1) for deterministic identifiers.
 *
 * @module
 */

const uuidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A name-based UUID, version 5 (RFC 4122 section 4.3): SHA-1 over the namespace's 16 bytes
 * followed by the UTF-8 bytes of `name`.
 *
 * @example
 * ```ts
 * uuidV5('00abedb4-aa42-466c-9c01-fed23315a9b7', '{"value":"example.com"}');
 * ```
 */
export function uuidV5(namespace: string, name: string): string {
  if (!uuidText.test(namespace)) throw new TypeError(`not a UUID: ${namespace}`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A new random identifier for an object of `type`: `<type>--<UUIDv4>`.
 *
 * @example
 * ```ts
 * randomId('indicator'); // 'indicator--6f1b…'
 * ```
 */
export function randomId(type: string): string {
  return `${type}--${randomUUID()}`;
}
