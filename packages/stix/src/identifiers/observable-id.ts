import { CeError } from '@ce/core';
import { canonicalJson } from './canonical-json.js';
import { randomId, uuidV5 } from './uuid.js';

/**
 * Deterministic identifiers for STIX Cyber-observable Objects (specification section 2.9): a
 * UUIDv5 in the SCO namespace over the canonical JSON of the type's ID contributing properties,
 * computed the way the reference implementation (oasis-open/cti-python-stix2) computes it.
 *
 * @module
 */

/** The namespace of SCO identifiers (`00abedb4-aa42-466c-9c01-fed23315a9b7`); nothing else may use it. */
export const observableIdNamespace = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/** The ID contributing properties of each STIX 2.1 SCO type, in the specification's order. */
export const idContributingProperties: Readonly<Record<string, ReadonlyArray<string>>> = {
  artifact: ['hashes', 'payload_bin'],
  'autonomous-system': ['number'],
  directory: ['path'],
  'domain-name': ['value'],
  'email-addr': ['value'],
  'email-message': ['from_ref', 'subject', 'body'],
  file: ['hashes', 'name', 'parent_directory_ref', 'extensions'],
  'ipv4-addr': ['value'],
  'ipv6-addr': ['value'],
  'mac-addr': ['value'],
  mutex: ['name'],
  'network-traffic': [
    'start',
    'end',
    'src_ref',
    'dst_ref',
    'src_port',
    'dst_port',
    'protocols',
    'extensions',
  ],
  process: [],
  software: ['name', 'cpe', 'swid', 'vendor', 'version'],
  url: ['value'],
  'user-account': ['account_type', 'user_id', 'account_login'],
  'windows-registry-key': ['key', 'values'],
  'x509-certificate': ['hashes', 'serial_number'],
};

// Hash algorithm spellings the reference implementation recognizes (`-` removed, upper-cased)
// mapped to the name STIX 2.1 mandates; recognized algorithms outside the STIX vocabulary keep the
// producer's spelling.
const specHashNames: Readonly<Record<string, string>> = {
  MD5: 'MD5',
  SHA1: 'SHA-1',
  SHA256: 'SHA-256',
  SHA512: 'SHA-512',
  SHA3256: 'SHA3-256',
  SHA3512: 'SHA3-512',
  SSDEEP: 'SSDEEP',
  TLSH: 'TLSH',
};

/** The STIX name of a hash algorithm (`sha256` and `SHA256` read as `SHA-256`), or `name` unchanged. */
export function specHashName(name: string): string {
  return specHashNames[name.replaceAll('-', '').toUpperCase()] ?? name;
}

/**
 * The one hash an SCO's identifier is computed over: MD5, else SHA-1, else SHA-256, else SHA-512,
 * else the first hash given, each keyed by its STIX name. `undefined` for an empty dictionary.
 */
export function chooseIdHash(hashes: Readonly<Record<string, unknown>>): Record<string, unknown> | undefined {
  const named: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(hashes)) named[specHashName(name)] = value;
  for (const preferred of ['MD5', 'SHA-1', 'SHA-256', 'SHA-512']) {
    if (preferred in named) return { [preferred]: named[preferred] };
  }
  const first = Object.keys(named)[0];
  return first === undefined ? undefined : { [first]: named[first] };
}

/** Options of {@link generateObservableId}. */
export interface GenerateObservableIdOptions {
  /** ID contributing properties for a custom SCO type (the table covers the STIX 2.1 types). */
  contributingProperties?: ReadonlyArray<string>;
}

/**
 * The identifier of an SCO: `<type>--<UUIDv5>` over the canonical JSON (RFC 8785) of its ID
 * contributing properties that are present. Like the specification demands, an SCO with none of
 * them present (and every `process`) gets a random UUIDv4 instead.
 *
 * @example
 * ```ts
 * generateObservableId({ type: 'domain-name', value: 'example.com' });
 * // 'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7'
 * ```
 */
export function generateObservableId(
  sco: { type: string; [property: string]: unknown },
  options: GenerateObservableIdOptions = {},
): string {
  const properties = options.contributingProperties ?? idContributingProperties[sco.type] ?? [];
  const contributing: Record<string, unknown> = {};
  let present = false;
  for (const property of properties) {
    const value = sco[property];
    if (value === undefined) continue;
    if (property === 'hashes') {
      const chosen =
        typeof value === 'object' && value !== null
          ? chooseIdHash(value as Record<string, unknown>)
          : undefined;
      if (chosen === undefined)
        throw new CeError('STIX_INVALID', `${sco.type} hashes must hold at least one hash`, {
          details: { type: sco.type },
        });
      contributing[property] = chosen;
    } else {
      contributing[property] = value;
    }
    present = true;
  }
  if (!present) return randomId(sco.type);
  return `${sco.type}--${uuidV5(observableIdNamespace, canonicalJson(contributing))}`;
}
