import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { chooseIdHash, generateObservableId, specHashName } from './observable-id.js';
import { randomId, uuidV5 } from './uuid.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, as the RFC example does', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalJson(value)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('formats numbers the ECMAScript way (RFC 8785 appendix B)', () => {
    expect(
      canonicalJson([Number('333333333.33333329'), 1e30, 4.5, 2e-3, 0.000000000000000000000000001, -0, 1e21]),
    ).toBe('[333333333.3333333,1e+30,4.5,0.002,1e-27,0,1e+21]');
  });

  it('escapes strings minimally, leaves out undefined members and nests', () => {
    expect(canonicalJson({ b: 'a"\\\n\u0001é', a: { z: null, y: [true, false] }, c: undefined })).toBe(
      '{"a":{"y":[true,false],"z":null},"b":"a\\"\\\\\\n\\u0001é"}',
    );
  });

  it('rejects what JSON cannot carry', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(TypeError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/cycle/);
  });
});

describe('uuidV5 and randomId', () => {
  it('matches RFC 4122 name-based UUIDs (the DNS namespace example)', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  it('makes random version 4 ids with the type prefix', () => {
    const id = randomId('indicator');
    expect(id).toMatch(/^indicator--[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(randomId('indicator')).not.toBe(id);
  });
});

describe('generateObservableId', () => {
  it('reproduces the ids python-stix2 asserts in its test suite', () => {
    // stix2/test/v21/test_deterministic_ids.py: test_id_gen_recursive_dict_conversion_1
    const file = {
      type: 'file',
      name: 'example.exe',
      size: 68000,
      magic_number_hex: '50000000',
      hashes: { 'SHA-256': '841a8921140aba50671ebb0770fecc4ee308c4952cfeff8de154ab14eeef4649' },
      extensions: {
        'windows-pebinary-ext': {
          pe_type: 'exe',
          machine_hex: '014c',
          sections: [
            {
              name: '.data',
              size: 4096,
              entropy: 7.980693,
              hashes: { 'SHA-256': '6e3b6f3978e5cd96ba7abee35c24e867b7e64072e2ecb22d0ee7a6e6af6894d0' },
            },
          ],
        },
      },
    };
    expect(generateObservableId(file)).toBe('file--ced31cd4-bdcb-537d-aefa-92d291bfc11d');
    // test_id_gen_recursive_dict_conversion_2
    const key = {
      type: 'windows-registry-key',
      values: [
        { name: 'Foo', data: 'qwerty' },
        { name: 'Bar', data: '42' },
      ],
    };
    expect(generateObservableId(key)).toBe('windows-registry-key--36594eba-bcc7-5014-9835-0e154264e588');
  });

  it('matches UUIDv5 over the canonical value for value-keyed SCOs (computed with Python uuid.uuid5)', () => {
    expect(generateObservableId({ type: 'domain-name', value: 'example.com', resolves_to_refs: ['x'] })).toBe(
      'domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7',
    );
    expect(generateObservableId({ type: 'ipv4-addr', value: '198.51.100.3' })).toBe(
      'ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4',
    );
    expect(generateObservableId({ type: 'url', value: 'https://example.com/research/index.html' })).toBe(
      'url--47c3cf9a-5027-5bf0-997a-017c7edc7c55',
    );
    expect(generateObservableId({ type: 'ipv6-addr', value: '2001:db8::1' })).toBe(
      'ipv6-addr--6469e3a9-b053-5e34-a025-9396ae051d26',
    );
    // Non-contributing properties (display_name) do not change the id.
    expect(
      generateObservableId({ type: 'email-addr', value: 'john@example.com', display_name: 'John' }),
    ).toBe('email-addr--7165e2a9-671f-585d-b1e1-ca59c671d934');
  });

  it('computes a file id over one hash, MD5 first, as python-stix2 chooses', () => {
    const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
    const sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(
      generateObservableId({ type: 'file', name: 'a.exe', hashes: { 'SHA-256': sha256, MD5: md5 } }),
    ).toBe('file--7e567502-8994-53ff-9c69-79240cae362d');
    expect(generateObservableId({ type: 'file', hashes: { sha256 } })).toBe(
      'file--22f8ff52-8f62-5f03-a53a-6f50f54fd74c',
    );
  });

  it('chooses MD5, SHA-1, SHA-256, SHA-512, then the first hash; normalizes spellings', () => {
    expect(chooseIdHash({ 'SHA-512': 'c', 'SHA-1': 'b', MD5: 'a' })).toEqual({ MD5: 'a' });
    expect(chooseIdHash({ 'SHA-512': 'c', sha1: 'b' })).toEqual({ 'SHA-1': 'b' });
    expect(chooseIdHash({ TLSH: 't', SSDEEP: 's' })).toEqual({ TLSH: 't' });
    expect(chooseIdHash({})).toBeUndefined();
    expect(specHashName('sha3-256')).toBe('SHA3-256');
    expect(specHashName('x_custom')).toBe('x_custom');
  });

  it('falls back to a random UUIDv4 without contributing properties, and rejects empty hashes', () => {
    expect(generateObservableId({ type: 'process', pid: 4 })).toMatch(/^process--[0-9a-f-]{14}4/);
    expect(generateObservableId({ type: 'x-acme-thing', name: 'n' })).toMatch(/^x-acme-thing--/);
    const custom = generateObservableId(
      { type: 'x-acme-thing', name: 'n' },
      { contributingProperties: ['name'] },
    );
    expect(custom).toBe(
      generateObservableId({ type: 'x-acme-thing', name: 'n' }, { contributingProperties: ['name'] }),
    );
    expect(() => generateObservableId({ type: 'file', hashes: {} })).toThrow(/at least one hash/);
  });
});
