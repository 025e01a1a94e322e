/**
 * The demo's TAXII partner: a TAXII 2.1 server on loopback with a collection of partner
 * indicators the exchange pulls (`partner-intel`) and a writable collection it shares to
 * (`ce-shared`).
 *
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPattern, createIndicator, tlpMarkingRef } from '@ce/stix';
import {
  createMemoryCollectionStore,
  createStaticAuthenticator,
  createTaxiiServer,
  type MemoryCollectionStore,
} from '@ce/taxii';

/** The demo partner's collection ids. */
export const taxiiPeerCollections = {
  partnerIntel: '5b3a8b9c-1d2e-4f60-8a7b-9c0d1e2f3a4b',
  shared: '7c4d9e0f-2a3b-4c5d-9e8f-0a1b2c3d4e5f',
} as const;

/** A running demo TAXII partner. */
export interface TaxiiPeer {
  /** Discovery URL, e.g. `http://127.0.0.1:41234/taxii2/`. */
  readonly url: string;
  /** The bearer token it accepts. */
  readonly token: string;
  /** Its collections: what the exchange shared shows up in `ce-shared`. */
  readonly store: MemoryCollectionStore;
  /** Stops the server. */
  close(): Promise<void>;
}

// A loopback-only toy server's token, not a real one.
const peerToken = 'demo-taxii-partner-token-0123456789';

/** The partner's indicators, created `hoursAgo` before `now`. */
function partnerIndicators(now: number) {
  const at = (hoursAgo: number): string => new Date(now - hoursAgo * 3_600_000).toISOString();
  const indicator = (
    hoursAgo: number,
    name: string,
    indicators: Parameters<typeof buildPattern>[0],
    labels: string[],
    tlp: 'clear' | 'green' | 'amber',
  ) =>
    createIndicator({
      name,
      pattern: buildPattern(indicators),
      created: at(hoursAgo),
      valid_from: at(hoursAgo),
      indicator_types: ['malicious-activity'],
      labels,
      confidence: 80,
      object_marking_refs: [tlpMarkingRef(tlp)],
    });
  return [
    indicator(
      6,
      'Partner phishing kit',
      [{ type: 'url', value: 'http://invoice-portal-login.top/auth' }],
      ['phishing'],
      'green',
    ),
    indicator(5, 'Partner C2 address', [{ type: 'ipv4', value: '91.242.217.33' }], ['botnet-c2'], 'amber'),
    indicator(
      4,
      'Partner loader domain',
      [{ type: 'domain', value: 'cdn-update-check.xyz' }],
      ['malware'],
      'clear',
    ),
    indicator(
      3,
      'Partner ransomware sample',
      [{ type: 'sha256', value: '5f0c2bd9f1c43a7f2b3a49f7c3c0ddf0e6d9b8a7c6b5a4f3e2d1c0b9a8f7e6d5' }],
      ['ransomware'],
      'green',
    ),
  ];
}

/** Starts the partner on 127.0.0.1 (an ephemeral port). */
export async function startTaxiiPeer(now: () => number = Date.now): Promise<TaxiiPeer> {
  const store = createMemoryCollectionStore({
    collections: [
      {
        id: taxiiPeerCollections.partnerIntel,
        alias: 'partner-intel',
        title: 'Partner intelligence',
        objects: partnerIndicators(now()),
      },
      {
        id: taxiiPeerCollections.shared,
        alias: 'ce-shared',
        title: 'Shared by Cloud Exchange',
        writers: ['cloud-exchange'],
      },
    ],
  });
  const server = createServer(
    createTaxiiServer({
      discovery: { title: 'Demo TAXII partner', defaultApiRoot: 'partner' },
      apiRoots: { partner: { title: 'Partner API root', store } },
      authenticate: createStaticAuthenticator({
        tokens: [{ token: peerToken, principal: { id: 'cloud-exchange' } }],
      }),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/taxii2/`,
    token: peerToken,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
