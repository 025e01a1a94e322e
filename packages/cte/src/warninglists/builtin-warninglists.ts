/**
 * The warninglists every index can start with: address ranges that are never a remote attacker
 * (IANA special-purpose registries), names reserved for testing and local use, and hashes of
 * empty content.
 *
 * Choices worth knowing:
 * - An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is matched as the IPv4 address it carries, so
 *   these lists hold no `::ffff:0:0/96` entry: `::ffff:8.8.8.8` is a public address.
 * - `.onion` (RFC 7686) is special-use but not listed: onion services are real indicators.
 *   `.alt` (RFC 9476) is left out for the same reason.
 * - `local` (mDNS, RFC 6762), `home.arpa` (RFC 8375) and `internal` (reserved by ICANN in 2024 for
 *   private use) are listed: such names only resolve inside a network and are noise in shared
 *   intelligence.
 * - Reserved IPv6 space is limited to blocks that are never globally routed; `2001::/23` is not
 *   listed because it holds globally reachable assignments (Teredo, AMT, AS112).
 *
 * @module
 */
import type { WarninglistDefinition } from './warninglist.js';

const addressTypes = ['ipv4', 'ipv6', 'ipv4-cidr', 'ipv6-cidr', 'url'] as const;
const hostTypes = ['domain', 'hostname', 'url', 'email'] as const;

/** Ids of the built-in lists, in matching order. */
export const builtinWarninglistIds = [
  'ce-private-networks',
  'ce-loopback',
  'ce-link-local',
  'ce-multicast',
  'ce-shared-address-space',
  'ce-documentation-networks',
  'ce-unspecified-addresses',
  'ce-limited-broadcast',
  'ce-reserved-networks',
  'ce-special-use-domains',
  'ce-empty-content-hashes',
] as const;

/** The id of a built-in list. */
export type BuiltinWarninglistId = (typeof builtinWarninglistIds)[number];

function cidrList(
  id: BuiltinWarninglistId,
  name: string,
  description: string,
  entries: string[],
): WarninglistDefinition {
  return {
    id,
    name,
    description,
    matchType: 'cidr',
    indicatorTypes: addressTypes,
    category: 'false-positive',
    entries,
  };
}

/** The built-in warninglists, in matching order. Each is an ordinary definition. */
export const builtinWarninglists: ReadonlyArray<WarninglistDefinition> = [
  cidrList(
    'ce-private-networks',
    'Private networks',
    'Private-use IPv4 networks (RFC 1918) and IPv6 unique local addresses (RFC 4193).',
    ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  ),
  cidrList('ce-loopback', 'Loopback addresses', 'Loopback (RFC 1122, RFC 4291).', ['127.0.0.0/8', '::1/128']),
  cidrList('ce-link-local', 'Link-local addresses', 'Link-local (RFC 3927, RFC 4291).', [
    '169.254.0.0/16',
    'fe80::/10',
  ]),
  cidrList('ce-multicast', 'Multicast addresses', 'Multicast (RFC 5771, RFC 4291).', [
    '224.0.0.0/4',
    'ff00::/8',
  ]),
  cidrList(
    'ce-shared-address-space',
    'Shared address space (carrier-grade NAT)',
    'Shared address space for carrier-grade NAT (RFC 6598).',
    ['100.64.0.0/10'],
  ),
  cidrList(
    'ce-documentation-networks',
    'Documentation networks',
    'Networks reserved for documentation and examples (RFC 5737, RFC 3849, RFC 9637).',
    ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'],
  ),
  cidrList(
    'ce-unspecified-addresses',
    'Unspecified addresses',
    'The unspecified addresses 0.0.0.0 and :: (RFC 1122, RFC 4291).',
    ['0.0.0.0/32', '::/128'],
  ),
  cidrList('ce-limited-broadcast', 'Limited broadcast', 'The limited broadcast address (RFC 919).', [
    '255.255.255.255/32',
  ]),
  cidrList(
    'ce-reserved-networks',
    'Reserved networks',
    'Special-purpose blocks that are never globally routed: "this network" (RFC 791), IETF protocol ' +
      'assignments (RFC 6890), benchmarking (RFC 2544, RFC 5180), reserved for future use (RFC 1112), ' +
      'IPv6 discard-only (RFC 6666) and local-use IPv4/IPv6 translation (RFC 8215).',
    [
      '0.0.0.0/8',
      '192.0.0.0/24',
      '198.18.0.0/15',
      '240.0.0.0/4',
      '100::/64',
      '2001:2::/48',
      '64:ff9b:1::/48',
    ],
  ),
  {
    id: 'ce-special-use-domains',
    name: 'Special-use domain names',
    description:
      'Names reserved for examples, testing and local use (RFC 2606, RFC 6761, RFC 6762, RFC 8375, ' +
      'ICANN .internal), with their subdomains.',
    matchType: 'hostname',
    indicatorTypes: hostTypes,
    category: 'false-positive',
    entries: [
      'example',
      'example.com',
      'example.net',
      'example.org',
      'test',
      'invalid',
      'localhost',
      'local',
      'home.arpa',
      'internal',
    ],
  },
  {
    id: 'ce-empty-content-hashes',
    name: 'Hashes of empty content',
    description: 'MD5, SHA-1 and SHA-256 of zero bytes: an empty file is never malware.',
    matchType: 'string',
    indicatorTypes: ['md5', 'sha1', 'sha256'],
    category: 'false-positive',
    entries: [
      'd41d8cd98f00b204e9800998ecf8427e',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ],
  },
];
