import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { ConfigError, moduleNames } from '@ce/core';
import { renderPluginPackage } from './plugin-templates.js';

/** Options of {@link scaffoldPlugin}. */
export interface ScaffoldOptions {
  /** Plugin id: lowercase letters, digits and `-` (`acme`, `acme-edr`). */
  name: string;
  /** Modules the plugin serves. */
  modules: ReadonlyArray<string>;
  /**
   * Folder to create; must not exist or be empty.
   * @default `plugins-<name>` in the current directory
   */
  directory?: string;
  /**
   * npm package name.
   * @default `@ce/plugins-<name>`
   */
  packageName?: string;
  /**
   * Version range of the `@ce/*` packages to depend on.
   * @default '^0.1.0'
   */
  sdkVersion?: string;
  /** Display name. @default the name in title case */
  displayName?: string;
}

/** What {@link scaffoldPlugin} wrote. */
export interface ScaffoldResult {
  directory: string;
  files: string[];
}

function titleCase(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}

function camelCase(name: string): string {
  const pascal = name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return pascal.charAt(0).toLowerCase() + pascal.slice(1);
}

function findTsconfigBase(directory: string): string | undefined {
  for (let current = dirname(directory); ; current = dirname(current)) {
    if (existsSync(join(current, 'tsconfig.base.json')) && existsSync(join(current, 'turbo.json'))) {
      return relative(directory, join(current, 'tsconfig.base.json')).split('\\').join('/');
    }
    if (dirname(current) === current) return undefined;
  }
}

/**
 * Generates a plugin package: the definition with a configuration schema and a connection check,
 * tests against the kit's mock server, a README, and the build configuration. Inside this
 * monorepo the generated tsconfig extends the repository's base configuration.
 *
 * @example
 * ```ts
 * await scaffoldPlugin({ name: 'acme', modules: ['cte'], directory: 'packages/plugins-acme' });
 * ```
 */
export async function scaffoldPlugin(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const issues = [];
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(options.name) || options.name.length > 64) {
    issues.push({
      path: 'name',
      reason: 'use lowercase letters, digits and single "-" between words, starting with a letter',
    });
  }
  if (options.modules.length === 0)
    issues.push({ path: 'modules', reason: `name at least one of ${moduleNames.join(', ')}` });
  for (const module of options.modules) {
    if (!(moduleNames as ReadonlyArray<string>).includes(module)) {
      issues.push({
        path: 'modules',
        reason: `unknown module "${module}"; expected one of ${moduleNames.join(', ')}`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError('cannot scaffold plugin', issues);

  const directory = resolve(options.directory ?? `plugins-${options.name}`);
  if (existsSync(directory) && (await readdir(directory)).length > 0) {
    throw new ConfigError('cannot scaffold plugin', [
      { path: 'directory', reason: `${directory} exists and is not empty` },
    ]);
  }
  const camelName = camelCase(options.name);
  const tsconfigBase = findTsconfigBase(directory);
  const files = renderPluginPackage({
    id: options.name,
    packageName: options.packageName ?? `@ce/plugins-${options.name}`,
    displayName: options.displayName ?? titleCase(options.name),
    camelName,
    pascalName: camelName.charAt(0).toUpperCase() + camelName.slice(1),
    modules: [...new Set(options.modules)],
    sdkVersion: options.sdkVersion ?? '^0.1.0',
    ...(tsconfigBase ? { tsconfigBase } : {}),
  });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(directory, path)), { recursive: true });
    await writeFile(join(directory, path), content, { flag: 'wx' });
  }
  return { directory, files: Object.keys(files).sort() };
}
