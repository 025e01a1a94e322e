/** What the templates are filled with. */
export interface TemplateValues {
  /** Plugin id, e.g. `acme`. */
  id: string;
  /** npm package name, e.g. `@ce/plugins-acme`. */
  packageName: string;
  /** Display name, e.g. `Acme`. */
  displayName: string;
  /** Identifier prefix, e.g. `acme` → `acmePlugin`, `AcmeConfig`. */
  camelName: string;
  pascalName: string;
  modules: string[];
  /** The `@ce/*` version range to depend on. */
  sdkVersion: string;
  /** `extends` path of a monorepo base tsconfig, when the package is generated inside one. */
  tsconfigBase?: string;
}

/** Files of a new plugin package, by relative path. */
export function renderPluginPackage(v: TemplateValues): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(
      {
        name: v.packageName,
        version: '0.1.0',
        description: `Cloud Exchange plugin for ${v.displayName}.`,
        license: 'Apache-2.0',
        type: 'module',
        engines: { node: '>=20.18' },
        sideEffects: false,
        exports: {
          '.': { '@ce/source': './src/index.ts', types: './dist/index.d.ts', import: './dist/index.js' },
          './package.json': './package.json',
        },
        types: './dist/index.d.ts',
        files: ['dist', 'src', '!src/**/*.test.ts', '!src/**/__fixtures__'],
        scripts: { build: 'tsup', typecheck: 'tsc --noEmit -p tsconfig.json', test: 'vitest run' },
        dependencies: { '@ce/core': v.sdkVersion, '@ce/plugin-kit': v.sdkVersion, zod: '^4.6.7' },
        devDependencies: { tsup: '^8.5.0', typescript: '~5.9.3', vitest: '^4.1.12' },
      },
      null,
      2,
    )}\n`,
    'tsconfig.json': `${JSON.stringify(
      v.tsconfigBase
        ? { extends: v.tsconfigBase, include: ['src'] }
        : {
            compilerOptions: {
              target: 'ES2022',
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              noUncheckedIndexedAccess: true,
              verbatimModuleSyntax: true,
              skipLibCheck: true,
              declaration: true,
              types: ['node'],
            },
            include: ['src'],
          },
      null,
      2,
    )}\n`,
    'tsup.config.ts': `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
`,
    'src/index.ts': `/**
 * Cloud Exchange plugin for ${v.displayName}.
 *
 * @module ${v.packageName}
 */
export { ${v.camelName}ConfigSchema, ${v.camelName}Plugin } from './${v.id}-plugin.js';
export type { ${v.pascalName}Config } from './${v.id}-plugin.js';
`,
    [`src/${v.id}-plugin.ts`]: `import { secretString } from '@ce/core';
import { definePlugin } from '@ce/plugin-kit';
import { z } from 'zod';

/** Settings of the ${v.displayName} plugin. */
export const ${v.camelName}ConfigSchema = z.object({
  /** Base URL of the ${v.displayName} API. */
  baseUrl: z.url({ protocol: /^https?$/ }).describe('Base URL of the ${v.displayName} API'),
  /** API token, sent as a bearer token. */
  apiToken: secretString('${v.displayName} API token'),
});

/** The ${v.displayName} plugin's configuration type. */
export type ${v.pascalName}Config = z.output<typeof ${v.camelName}ConfigSchema>;

/** Body of \`GET /api/v1/status\`; replace with the vendor's documented response. */
const statusSchema = z.object({ status: z.literal('ok'), tenant: z.string() });

/**
 * The ${v.displayName} plugin. Write each capability against the vendor's documented API and test it
 * against a mock server that speaks the same wire format (see src/${v.id}-plugin.test.ts).
 */
export const ${v.camelName}Plugin = definePlugin({
  id: '${v.id}',
  name: '${v.displayName}',
  version: '0.1.0',
  description: 'Connects ${v.displayName} to Cloud Exchange.',
  modules: ${JSON.stringify(v.modules)},
  configSchema: ${v.camelName}ConfigSchema,
  capabilities: { check: true },
  http: (config) => ({
    baseUrl: config.baseUrl,
    headers: { authorization: \`Bearer \${config.apiToken}\` },
    rateLimit: { requestsPerSecond: 5, burst: 5 },
  }),
  async check(context) {
    const response = await context.http.get('/api/v1/status', { schema: statusSchema, signal: context.signal });
    return { ok: true, message: \`connected to tenant \${response.body.tenant}\` };
  },
});
`,
    [`src/${v.id}-plugin.test.ts`]: `import { createMockServer, createPluginHarness, type MockServer } from '@ce/plugin-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ${v.camelName}Plugin } from './${v.id}-plugin.js';

const token = 'test-token-123456';

describe('${v.camelName}Plugin', () => {
  let server: MockServer;

  beforeEach(async () => {
    server = await createMockServer();
    server.requireBearer(token).route('GET', '/api/v1/status', () => ({ json: { status: 'ok', tenant: 'acme' } }));
  });
  afterEach(() => server.close());

  it('checks the connection with the bearer token', async () => {
    const harness = createPluginHarness(${v.camelName}Plugin, { config: { baseUrl: server.url, apiToken: token } });
    expect(await harness.check()).toEqual({ ok: true, message: 'connected to tenant acme' });
    expect(server.requests[0]?.headers.authorization).toBe(\`Bearer \${token}\`);
    await harness.close();
  });

  it('fails the check with HTTP_AUTH_FAILED on a wrong token', async () => {
    const harness = createPluginHarness(${v.camelName}Plugin, { config: { baseUrl: server.url, apiToken: 'wrong-token-654321' } });
    await expect(harness.check()).rejects.toMatchObject({ code: 'HTTP_AUTH_FAILED' });
    await harness.close();
  });

  it('rejects a configuration without a token, naming the field', () => {
    const result = ${v.camelName}Plugin.validate({ baseUrl: server.url });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues.map((issue) => issue.path)).toContain('apiToken');
  });
});
`,
    'README.md': `# ${v.packageName}

Cloud Exchange plugin for ${v.displayName}. Serves: ${v.modules.join(', ')}.

## Install

\`\`\`sh
npm install ${v.packageName}
\`\`\`

## Use

\`\`\`ts
import { createCloudExchange, createMemoryStorage } from '@ce/core';
import { ${v.camelName}Plugin } from '${v.packageName}';

const exchange = await createCloudExchange({ storage: createMemoryStorage(), plugins: [${v.camelName}Plugin] });
await exchange.start();
await exchange.configurations.add({
  id: '${v.id}-prod',
  pluginId: '${v.id}',
  config: { baseUrl: 'https://api.example.com', apiToken: { secretRef: 'env:${v.id.toUpperCase().replace(/-/g, '_')}_TOKEN' } },
});
console.log(await exchange.check('${v.id}-prod'));
\`\`\`

## Configuration

| field | required | meaning |
| --- | --- | --- |
| \`baseUrl\` | yes | Base URL of the ${v.displayName} API |
| \`apiToken\` | yes | API token (secret) |

## Vendor API

Document here which endpoints the plugin calls, the permissions the token needs, the rate limits
and page sizes it respects, and link the vendor's API reference.
`,
  };
}
