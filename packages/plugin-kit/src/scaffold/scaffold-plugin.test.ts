import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { scaffoldPlugin } from './scaffold-plugin.js';

const repoRoot = resolve(import.meta.dirname, '../../../..');
const run = promisify(execFile);
const cleanups: string[] = [];
afterAll(async () => {
  for (const directory of cleanups) await rm(directory, { recursive: true, force: true });
});

describe('scaffoldPlugin', () => {
  it('generates a plugin package that type-checks against the real SDK', async () => {
    // Inside the repository, so that the generated package resolves @ce/* from its node_modules.
    const parent = await mkdtemp(join(repoRoot, 'node_modules', '.ce-scaffold-'));
    cleanups.push(parent);
    const result = await scaffoldPlugin({
      name: 'acme-edr',
      modules: ['cte', 'cto'],
      directory: join(parent, 'plugins-acme-edr'),
    });
    expect(result.files).toEqual([
      'README.md',
      'package.json',
      'src/acme-edr-plugin.test.ts',
      'src/acme-edr-plugin.ts',
      'src/index.ts',
      'tsconfig.json',
      'tsup.config.ts',
    ]);
    const source = await readFile(join(result.directory, 'src/acme-edr-plugin.ts'), 'utf8');
    expect(source).toContain("id: 'acme-edr'");
    expect(source).toContain('modules: ["cte","cto"]');
    expect(source).toContain('export const acmeEdrPlugin = definePlugin(');
    const manifest = JSON.parse(await readFile(join(result.directory, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: '@ce/plugins-acme-edr', type: 'module', sideEffects: false });
    const tsconfig = JSON.parse(await readFile(join(result.directory, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.extends).toMatch(/tsconfig\.base\.json$/);

    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    const checked = await run(process.execPath, [
      tsc,
      '--noEmit',
      '-p',
      join(result.directory, 'tsconfig.json'),
    ]).then(
      () => 'ok',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(checked).toBe('ok');
  }, 60_000);

  it('writes a standalone tsconfig outside a monorepo', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'ce-scaffold-'));
    cleanups.push(parent);
    const result = await scaffoldPlugin({ name: 'solo', modules: ['cls'], directory: join(parent, 'solo') });
    const tsconfig = JSON.parse(await readFile(join(result.directory, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.extends).toBeUndefined();
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: 'NodeNext' });
  });

  it('rejects bad names, unknown modules and non-empty folders, naming the field', async () => {
    await expect(scaffoldPlugin({ name: 'Bad_Name', modules: ['nope'] })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      issues: [
        { path: 'name', reason: expect.any(String) },
        { path: 'modules', reason: 'unknown module "nope"; expected one of cte, cto, cre, cls' },
      ],
    });
    await expect(scaffoldPlugin({ name: 'x', modules: ['cte'], directory: repoRoot })).rejects.toMatchObject({
      issues: [{ path: 'directory', reason: expect.stringContaining('is not empty') }],
    });
  });
});
