// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about ${ENV} references.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CeError, ConfigError, createMemoryLogger, createMemoryStorage } from '@ce/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadHostConfig, parseConfigText, resolveHostConfig, substituteEnvironment } from './config.js';
import { findJsonSyntaxError } from './json-syntax.js';
import { startReferenceHost } from './reference-host.js';

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

async function configErrorAsync(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveHostConfig', () => {
  it('applies defaults: loopback, port 8080, SQLite under ./.data', () => {
    const config = resolveHostConfig({}, { env: {}, baseDir: '/srv/ce' });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/srv/ce/.data',
      storage: { kind: 'sqlite', path: '/srv/ce/.data/ce.db' },
      logLevel: 'info',
      api: { tokens: [] },
      plugins: [],
      demo: false,
    });
    expect(config.secretKey).toBeUndefined();
  });

  it('lets PORT and CE_SECRET_KEY from the environment fill in', () => {
    const config = resolveHostConfig({ port: 9000 }, { env: { PORT: '0', CE_SECRET_KEY: 'k'.repeat(32) } });
    expect(config.port).toBe(0);
    expect(config.secretKey).toBe('k'.repeat(32));
  });

  it('names the field of every problem, unknown keys included', () => {
    const error = configError(() =>
      resolveHostConfig(
        {
          prot: 1,
          storage: { kind: 'postgres' },
          logLevel: 'loud',
          plugins: [
            { id: 'ok', pluginId: 'sample', config: {} },
            { id: 'Bad Id!', pluginId: 'sample', config: {}, extra: true },
          ],
        },
        { env: {} },
      ),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    const paths = error.issues.map((issue) => issue.path);
    expect(paths).toContain('prot');
    expect(paths).toContain('storage.kind');
    expect(paths).toContain('logLevel');
    expect(paths).toContain('plugins[1].id');
    expect(paths).toContain('plugins[1].extra');
    expect(error.message).toContain('prot: unknown field');
  });

  it('reads the taxii section with its defaults and names each bad field', () => {
    const config = resolveHostConfig(
      {
        taxii: {
          collections: [
            { id: '0f9e8d7c-6b5a-4493-8271-605f4e3d2c1b', title: 'Phishing', list: 'Phishing_URLs' },
          ],
          inboxes: [
            {
              id: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e',
              title: 'In',
              sourceId: 'partners',
              writers: ['ops'],
            },
          ],
        },
      },
      { env: {} },
    );
    expect(config.taxii).toMatchObject({ basePath: '/taxii2/', title: 'Cloud Exchange' });
    expect(resolveHostConfig({}, { env: {} }).taxii).toBeUndefined();
    const error = configError(() =>
      resolveHostConfig(
        {
          taxii: {
            basePath: 'taxii',
            collections: [{ id: 'not-a-uuid', title: 'x', list: 'l', maxTlp: 'red' }],
            inboxes: [{ id: '2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e', title: 'In', sourceId: 'Bad Id!' }],
          },
        },
        { env: {} },
      ),
    );
    const paths = error.issues.map((issue) => issue.path);
    for (const path of [
      'taxii.basePath',
      'taxii.collections[0].id',
      'taxii.collections[0].maxTlp',
      'taxii.inboxes[0].sourceId',
      'taxii.inboxes[0].writers',
    ])
      expect(paths).toContain(path);
  });

  it('rejects duplicate configuration ids and token names', () => {
    const error = configError(() =>
      resolveHostConfig(
        {
          api: {
            tokens: [
              { name: 'ci', token: 'a'.repeat(20) },
              { name: 'ci', token: 'b'.repeat(20) },
            ],
          },
          plugins: [
            { id: 'one', pluginId: 'sample' },
            { id: 'one', pluginId: 'sample' },
          ],
        },
        { env: {} },
      ),
    );
    expect(error.issues).toEqual([
      { path: 'api.tokens[1].name', reason: 'duplicate token name "ci"' },
      { path: 'plugins[1].id', reason: 'duplicate configuration id "one"' },
    ]);
  });

  it('reads API tokens from tokenEnv and reports a missing variable at its field', () => {
    const config = resolveHostConfig(
      { api: { tokens: [{ name: 'ops', tokenEnv: 'OPS_TOKEN' }] } },
      { env: { OPS_TOKEN: 'x'.repeat(24) } },
    );
    expect(config.api.tokens).toEqual([{ name: 'ops', token: 'x'.repeat(24) }]);
    const error = configError(() =>
      resolveHostConfig({ api: { tokens: [{ name: 'ops', tokenEnv: 'OPS_TOKEN' }] } }, { env: {} }),
    );
    expect(error.issues).toEqual([
      { path: 'api.tokens[0].tokenEnv', reason: 'environment variable "OPS_TOKEN" is not set' },
    ]);
    const both = configError(() => resolveHostConfig({ api: { tokens: [{ name: 'ops' }] } }, { env: {} }));
    expect(both.issues[0]?.path).toBe('api.tokens[0]');
  });

  it('rejects a bad PORT variable and short secrets', () => {
    const error = configError(() =>
      resolveHostConfig({}, { env: { PORT: 'eighty', CE_SECRET_KEY: 'short' } }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['env.PORT', 'env.CE_SECRET_KEY']);
  });

  it('is a CeError that never echoes a substituted secret', () => {
    const error = configError(() =>
      resolveHostConfig(
        { plugins: [{ id: 'a', pluginId: 'sample', config: { apiToken: '${TOKEN}' } }], logLevel: 7 },
        { env: { TOKEN: 'sup3r-s3cret-value' } },
      ),
    );
    expect(CeError.isInstance(error)).toBe(true);
    expect(JSON.stringify(error.toJSON())).not.toContain('sup3r-s3cret-value');
  });
});

describe('substituteEnvironment', () => {
  it('replaces ${NAME} in string values, with defaults and escapes', () => {
    const issues: never[] = [];
    const out = substituteEnvironment(
      {
        url: 'https://${HOST}:${PORT:-443}/x',
        list: ['${HOST}'],
        literal: 'cost $${AMOUNT}',
        count: 3,
        '${KEY}': 'key untouched',
      },
      { HOST: 'intel.example.com' },
      issues,
    );
    expect(issues).toEqual([]);
    expect(out).toEqual({
      url: 'https://intel.example.com:443/x',
      list: ['intel.example.com'],
      literal: 'cost ${AMOUNT}',
      count: 3,
      '${KEY}': 'key untouched',
    });
  });

  it('uses the default for an empty variable only when one is given', () => {
    const issues: Array<{ path: string; reason: string }> = [];
    expect(substituteEnvironment('${EMPTY:-fallback}', { EMPTY: '' }, issues)).toBe('fallback');
    expect(substituteEnvironment('${EMPTY}', { EMPTY: '' }, issues)).toBe('');
    expect(issues).toEqual([]);
  });

  it('reports a missing variable and a malformed reference at the field', () => {
    const error = configError(() =>
      resolveHostConfig(
        { plugins: [{ id: 'a', pluginId: 'sample', config: { baseUrl: '${BASE_URL}', other: '${oops' } }] },
        { env: {} },
      ),
    );
    expect(error.issues).toEqual([
      { path: 'plugins[0].config.baseUrl', reason: 'environment variable "BASE_URL" is not set' },
      { path: 'plugins[0].config.other', reason: expect.stringContaining('malformed variable reference') },
    ]);
    expect(error.message).toContain('plugins[0].config.baseUrl: environment variable "BASE_URL" is not set');
  });

  it('turns a substituted port string into a number', () => {
    expect(resolveHostConfig({ port: '${P}' }, { env: { P: '9090' } }).port).toBe(9090);
  });
});

describe('parseConfigText', () => {
  it('reports a YAML syntax error with its line and column, without quoting the file', () => {
    const error = configError(() =>
      parseConfigText(
        'port: 8080\nplugins:\n  - id: a\n    config: { apiToken: hunter2hunter2\n',
        'yaml',
        'host.yaml',
      ),
    );
    expect(error.message).toMatch(/^cannot parse host\.yaml: line \d+, column \d+: /);
    expect(error.details).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
    expect(error.message).not.toContain('hunter2');
  });

  it('never quotes the offending token, which may be a secret', () => {
    const error = configError(() => parseConfigText('port: 1\nhunter2secret\n', 'yaml'));
    expect(error.issues).toEqual([{ path: '', reason: expect.stringMatching(/^line 2, column 1: /) }]);
    expect(JSON.stringify(error.toJSON())).not.toContain('hunter2secret');
    const stray = configError(() => parseConfigText('port: 1\n}\n', 'yaml'));
    expect(stray.issues[0]?.reason).toBe('line 2, column 1: Unexpected flow-map-end token in YAML stream');
  });

  it('reports a duplicate YAML key at its position', () => {
    const error = configError(() => parseConfigText('port: 1\nhost: a\nport: 2\n', 'yaml'));
    expect(error.issues[0]?.reason).toMatch(/^line 3, column 1: /);
  });

  it('reports a JSON syntax error with its line and column', () => {
    const error = configError(() =>
      parseConfigText('{\n  "port": 8080,\n  "host": }\n', 'json', 'host.json'),
    );
    expect(error.issues).toEqual([
      { path: '', reason: 'line 3, column 11: unexpected character "}", expected a value' },
    ]);
    expect(error.details).toMatchObject({ line: 3, column: 11 });
  });

  it('parses YAML anchors but refuses alias bombs', () => {
    expect(parseConfigText('a: &x { b: 1 }\nc: *x\n', 'yaml')).toEqual({ a: { b: 1 }, c: { b: 1 } });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 8; level++) {
      const prev = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    expect(() => parseConfigText(bomb.join('\n'), 'yaml')).toThrow(ConfigError);
  });
});

describe('findJsonSyntaxError', () => {
  it('accepts valid JSON and locates errors', () => {
    expect(findJsonSyntaxError('{"a":[1,2.5e3,-0,true,false,null,"\\u00e9\\n"]}')).toBeUndefined();
    expect(findJsonSyntaxError('{"a":1,}')).toMatchObject({ line: 1, column: 8 });
    expect(findJsonSyntaxError('{"a":1')).toMatchObject({
      reason: 'unexpected end of input, expected "," or "}"',
    });
    expect(findJsonSyntaxError('[01]')).toMatchObject({ column: 3 });
    expect(findJsonSyntaxError('{} x')).toMatchObject({ column: 4 });
    expect(findJsonSyntaxError('"a\tb"')).toMatchObject({ reason: 'control character in string; escape it' });
  });
});

describe('loadHostConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ce-host-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads YAML and resolves paths against the file directory', async () => {
    await writeFile(
      join(dir, 'host.yaml'),
      [
        'port: 0',
        'dataDir: data',
        'storage: { kind: sqlite, path: db/ce.db }',
        'http:',
        '  ca: ca.pem',
        'plugins:',
        '  - id: sample-prod',
        '    pluginId: sample',
        '    interval: 5m',
        '    config:',
        '      baseUrl: ${SAMPLE_URL}',
        '      apiToken: { secretRef: "env:SAMPLE_TOKEN" }',
      ].join('\n'),
    );
    await writeFile(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n');
    const config = await loadHostConfig(join(dir, 'host.yaml'), {
      env: { SAMPLE_URL: 'https://intel.example.com' },
    });
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.storage).toEqual({ kind: 'sqlite', path: join(dir, 'data', 'db', 'ce.db') });
    expect(config.http.ca?.[0]).toContain('BEGIN CERTIFICATE');
    expect(config.plugins[0]).toEqual({
      id: 'sample-prod',
      pluginId: 'sample',
      enabled: true,
      interval: 300_000,
      config: { baseUrl: 'https://intel.example.com', apiToken: { secretRef: 'env:SAMPLE_TOKEN' } },
    });
    expect(config.source).toBe(join(dir, 'host.yaml'));
  });

  it('reads JSON files as JSON', async () => {
    await writeFile(
      join(dir, 'host.json'),
      JSON.stringify({ storage: { kind: 'memory' }, logLevel: 'debug' }),
    );
    const config = await loadHostConfig(join(dir, 'host.json'), { env: {} });
    expect(config.storage).toEqual({ kind: 'memory' });
    expect(config.logLevel).toBe('debug');
  });

  it('reports a missing file, a missing CA file and bad values with the file name', async () => {
    const missing = await configErrorAsync(() => loadHostConfig(join(dir, 'nope.yaml'), { env: {} }));
    expect(missing.message).toContain('the file does not exist');
    await writeFile(join(dir, 'host.yaml'), 'http:\n  ca: [missing.pem]\n  proxy: ftp://proxy\n');
    const error = await configErrorAsync(() => loadHostConfig(join(dir, 'host.yaml'), { env: {} }));
    expect(error.message).toContain(`invalid configuration file ${join(dir, 'host.yaml')}`);
    expect(error.issues.map((issue) => issue.path)).toEqual(['http.proxy']);
  });

  it('reports an unreadable CA file at its index', async () => {
    await writeFile(join(dir, 'host.yaml'), 'http:\n  ca: [missing.pem]\n');
    const error = await configErrorAsync(() => loadHostConfig(join(dir, 'host.yaml'), { env: {} }));
    expect(error.issues).toEqual([{ path: 'http.ca[0]', reason: expect.stringContaining('ENOENT') }]);
  });
});

describe('config.example.yaml', () => {
  it('loads, and a host starts with it', async () => {
    const file = fileURLToPath(new URL('../config.example.yaml', import.meta.url));
    const env = { CE_API_TOKEN_OPS: 'ops-token-0123456789', SAMPLE_API_TOKEN: 'sample-token-0123456789' };
    const config = await loadHostConfig(file, { env });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      storage: { kind: 'sqlite', path: join(dirname(file), '.data', 'ce.db') },
      http: {},
      api: { tokens: [{ name: 'ops', token: 'ops-token-0123456789' }] },
      plugins: [{ id: 'sample-prod', pluginId: 'sample', interval: 300_000 }],
      cte: {
        options: {
          policy: {
            severityStrategy: 'highest',
            expiry: { default: 90 * 86_400_000, url: 30 * 86_400_000 },
            retention: 30 * 86_400_000,
          },
        },
      },
      lists: [{ name: 'Phishing_URLs' }],
      sourcePolicies: { analyst: { rank: 1 } },
      sharingRules: [],
    });
    vi.stubEnv('SAMPLE_API_TOKEN', env.SAMPLE_API_TOKEN);
    const host = await startReferenceHost({
      config: { ...config, port: 0 },
      storage: createMemoryStorage(),
      logger: createMemoryLogger(),
      checkIntervalMs: 0,
    });
    try {
      expect(host.applied.added).toEqual(['sample-prod']);
      expect(host.appliedThreatSettings.lists.added).toEqual(['Phishing_URLs']);
      expect(host.cte.getSourcePolicy('analyst')).toMatchObject({ rank: 1, tags: ['analyst-confirmed'] });
      const response = await fetch(`${host.url}/api/v1/configurations/sample-prod`, {
        headers: { authorization: 'Bearer ops-token-0123456789' },
      });
      expect(await response.json()).toMatchObject({
        config: { apiToken: { secretRef: 'env:SAMPLE_API_TOKEN' } },
      });
    } finally {
      await host.stop();
      vi.unstubAllEnvs();
    }
  });

  it('treats a section whose settings are all commented out as absent', () => {
    expect(
      resolveHostConfig(parseConfigText('http:\napi:\n  tokens:\nplugins:\n', 'yaml'), { env: {} }),
    ).toMatchObject({
      http: {},
      api: { tokens: [] },
      plugins: [],
    });
  });
});
