import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '@ce/core';
import { describe, expect, it } from 'vitest';
import {
  mapMispAttributes,
  parseMispWarninglist,
  readMispWarninglistFile,
  warninglistIdFromName,
} from './misp-warninglist.js';
import { createWarninglistMatcher, WarninglistIndex } from './warninglist-index.js';

const fixtures = fileURLToPath(new URL('./__fixtures__/', import.meta.url));
// Shared sample of the MISP project's lists: present in CI and on dev machines, not in a user's clone.
const sharedDir = fileURLToPath(
  new URL('../../../../../shared/fixtures/misp-warninglists/', import.meta.url),
);
const sharedPresent = existsSync(sharedDir);

async function caughtAsync(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('mapMispAttributes', () => {
  it('maps attribute types, composite ones included, and reports the rest', () => {
    expect(
      mapMispAttributes(['ip-dst|port', 'domain', 'filename|sha256', 'x509-fingerprint-sha1', 'AS']),
    ).toEqual({
      indicatorTypes: ['domain', 'hostname', 'ipv4', 'ipv6', 'sha256'],
      unmapped: ['x509-fingerprint-sha1', 'AS'],
    });
    expect(mapMispAttributes(['email-dst', 'url']).indicatorTypes).toEqual(['url', 'email']);
  });

  it('reads absent, empty and ALL as every type', () => {
    for (const attributes of [undefined, [], ['ALL', 'md5']])
      expect(mapMispAttributes(attributes).indicatorTypes).toHaveLength(11);
  });
});

describe('parseMispWarninglist with the package fixtures', () => {
  it('loads a hostname list: entries lose case and dots, subdomains match', async () => {
    const definition = await readMispWarninglistFile(`${fixtures}corp-domains.json`);
    expect(definition).toMatchObject({
      id: 'corp-domains',
      name: 'Corporate domains',
      version: 3,
      matchType: 'hostname',
      indicatorTypes: ['url', 'domain', 'hostname', 'ipv4', 'ipv6', 'email'],
    });
    const index = new WarninglistIndex();
    index.add(definition);
    expect(index.match('hostname', 'vpn.corp.example')?.entry).toBe('corp.example');
    expect(index.match('url', 'https://intranet.example.net/login')?.entry).toBe('intranet.example.net');
    expect(index.match('email', 'ceo@corp.example')?.matchedOn).toBe('host');
    expect(index.match('hostname', 'corp.example.evil')).toBeUndefined();
  });

  it('loads a CIDR list, clearing host bits and skipping what is not an address', async () => {
    const definition = await readMispWarninglistFile(`${fixtures}lab-networks.json`);
    const index = new WarninglistIndex();
    const result = index.add(definition, { invalidEntries: 'skip' });
    expect(result).toEqual({
      listId: 'lab-networks',
      entryCount: 4,
      skippedCount: 1,
      skipped: [{ path: 'entries[4]', reason: '"lab.example": not an IPv4 or IPv6 address or CIDR block' }],
    });
    expect(index.match('ipv4', '10.20.255.1')?.entry).toBe('10.20.0.0/16');
    expect(index.match('ipv4', '192.0.2.77')?.entry).toBe('192.0.2.77/32');
    expect(index.match('ipv6', '2001:db8:ab:1::1')?.entry).toBe('2001:db8:ab::/48');
    // matching_attributes name IP types only: URLs are not consulted.
    expect(index.match('url', 'http://10.20.0.1/')).toBeUndefined();
    const strict = caught(() => new WarninglistIndex().add(definition)) as ValidationError;
    expect(strict).toBeInstanceOf(ValidationError);
    expect(strict.message).toContain('entries[4]');
  });

  it('loads a regex list, translating delimiters and skipping unsafe or untranslatable patterns', async () => {
    const index = new WarninglistIndex();
    const result = index.add(await readMispWarninglistFile(`${fixtures}contact-mailboxes.json`), {
      invalidEntries: 'skip',
    });
    expect(result.entryCount).toBe(2);
    expect(result.skipped.map((issue) => issue.path)).toEqual(['entries[2]', 'entries[3]']);
    expect(index.match('email', 'PostMaster@example.org')?.entry).toBe('/^(postmaster|hostmaster|abuse)@/i');
    expect(index.match('email', 'no-reply@example.org')?.entry).toBe('#^no-?reply@#');
    expect(index.match('email', 'alice@example.org')).toBeUndefined();
  });

  it("applies the MISP importer's defaults: object lists, no type, no version", async () => {
    const definition = await readMispWarninglistFile(`${fixtures}commented-hashes.json`);
    expect(definition).toMatchObject({
      matchType: 'string',
      version: 1,
      indicatorTypes: ['md5'],
      entries: ['44D88612FEA8A8F36DE82E1278ABB02F'],
    });
    const index = new WarninglistIndex();
    index.add(definition);
    expect(index.match('md5', '44d88612fea8a8f36de82e1278abb02f')).toBeDefined();
  });

  it('reports every problem of an invalid file with its path', async () => {
    const error = (await caughtAsync(() =>
      readMispWarninglistFile(`${fixtures}invalid-list.json`),
    )) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues.map((issue) => issue.path)).toEqual(['name', 'version', 'type', 'list[1]']);
    expect(error.message).toMatch(/^MISP warninglist ".*invalid-list\.json": name: /);
  });

  it('reports broken JSON and wrong shapes', () => {
    const json = caught(() =>
      parseMispWarninglist('{"name": "x",', { source: 'broken.json' }),
    ) as ValidationError;
    expect(json.issues[0]?.reason).toMatch(/^invalid JSON: /);
    expect(json.message).toContain('"broken.json"');
    const array = caught(() => parseMispWarninglist([])) as ValidationError;
    expect(array.issues).toEqual([{ path: '', reason: 'expected a JSON object with name, type and list' }]);
    const missing = caught(() => parseMispWarninglist({ name: 'x', description: 'y' })) as ValidationError;
    expect(missing.issues.map((issue) => issue.path)).toEqual(['list']);
  });

  it('accepts a type given as an array and a numeric string version, and ignores unknown keys', () => {
    const definition = parseMispWarninglist(
      { name: 'X', description: '', version: '20240101', type: ['cidr'], list: ['10.0.0.0/8'], extra: true },
      { id: 'x' },
    );
    expect(definition).toMatchObject({ id: 'x', version: 20_240_101, matchType: 'cidr' });
  });

  it('derives ids from names and file names', async () => {
    expect(warninglistIdFromName('List of RFC 1918 CIDR blocks')).toBe('list-of-rfc-1918-cidr-blocks');
    expect(warninglistIdFromName('!!!')).toBe('warninglist');
    expect(parseMispWarninglist({ name: 'Top 1000 websites', description: '', list: [] }).id).toBe(
      'top-1000-websites',
    );
  });
});

describe.skipIf(!sharedPresent)('MISP sample lists from ../shared/fixtures', () => {
  const load = async (file: string) => {
    const index = new WarninglistIndex();
    const result = index.add(await readMispWarninglistFile(`${sharedDir}${file}`), {
      invalidEntries: 'skip',
    });
    return { index, result };
  };

  it('loads every sample file', async () => {
    const files = readdirSync(sharedDir).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const { result } = await load(file);
      expect(result.entryCount, file).toBeGreaterThan(0);
    }
  });

  it('rfc1918 and rfc6598 flag their blocks', async () => {
    const { index } = await load('rfc1918.json');
    expect(index.match('ipv4', '172.20.1.1')?.entry).toBe('172.16.0.0/12');
    expect(index.match('ipv4', '172.32.0.1')).toBeUndefined();
    const shared = await load('rfc6598.json');
    expect(shared.index.match('ipv4', '100.100.100.100')?.entry).toBe('100.64.0.0/10');
  });

  it('ipv6-linklocal reads an uppercase block', async () => {
    const { index } = await load('ipv6-linklocal.json');
    expect(index.match('ipv6', 'fe80::1')?.entry).toBe('fe80::/10');
  });

  it('public-dns-v4 holds tens of thousands of addresses', async () => {
    const { index, result } = await load('public-dns-v4.json');
    expect(result.entryCount).toBeGreaterThan(10_000);
    expect(index.match('ipv4', '1.0.0.1')?.entry).toBe('1.0.0.1/32');
    expect(index.match('ipv4', '1.0.0.4')).toBeUndefined();
  });

  it('tranco10k matches popular hosts and their subdomains', async () => {
    const { index, result } = await load('tranco10k.json');
    expect(result.entryCount).toBe(10_000);
    expect(index.match('hostname', 'www.163.com')?.entry).toBe('163.com');
    expect(index.match('url', 'https://img.1688.com/a.png')?.entry).toBe('1688.com');
    expect(index.match('ipv4', '1.1.1.1')).toBeUndefined();
  });

  it('empty-hashes covers md5, sha1 and sha256 and ignores the types we lack', async () => {
    const { index } = await load('empty-hashes.json');
    expect(index.get('empty-hashes')?.indicatorTypes).toEqual(['md5', 'sha1', 'sha256']);
    expect(index.match('sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709')).toBeDefined();
  });

  it('automated-malware-analysis matches by substring, common-contact-emails by regex', async () => {
    const analysis = await load('automated-malware-analysis.json');
    expect(analysis.index.match('domain', 'www.virustotal.com')?.entry).toBe('virustotal.com');
    const contacts = await load('common-contact-emails.json');
    expect(contacts.result.skippedCount).toBe(0);
    expect(contacts.index.match('email', 'SOC@example.com')).toBeDefined();
    expect(contacts.index.match('email', 'jane@example.com')).toBeUndefined();
  });

  it('google (a string list) matches exactly, as MISP does', async () => {
    const { index } = await load('google.json');
    expect(index.match('domain', 'google.com')).toBeDefined();
    // The list holds '.google.ad': literal in a string list, so a subdomain of google.ad is not matched.
    expect(index.match('domain', 'maps.google.ad')).toBeUndefined();
  });

  it('all samples together with the built-ins answer in list order', async () => {
    const files = ['rfc1918.json', 'tranco10k.json', 'public-dns-v4.json'];
    const definitions = await Promise.all(
      files.map((file) => readMispWarninglistFile(`${sharedDir}${file}`)),
    );
    const matcher = createWarninglistMatcher(definitions, { invalidEntries: 'skip' });
    expect(matcher.matchAll('ipv4', '10.0.0.1').map((match) => match.listId)).toEqual([
      'ce-private-networks',
      'rfc1918',
    ]);
  });
});

if (!sharedPresent) {
  console.warn(
    `warninglists: MISP sample tests skipped, ${sharedDir} is absent (it exists only in CI and on dev machines)`,
  );
}
