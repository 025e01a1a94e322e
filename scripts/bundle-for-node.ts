import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles a benchmark and the `@ce/*` sources it imports into one ES module for plain `node`,
 * leaving third-party packages (better-sqlite3 and its native binding among them) to node's own
 * resolution. The output sits under the repository's `node_modules/.cache`, so those imports
 * resolve from the workspace. Returns the bundle's path. Benchmarks that report memory run from
 * it: the TypeScript loader would add its own 40 MB to their figures.
 */
export async function bundleForNode(entry: string): Promise<string> {
  const directory = fileURLToPath(new URL('../node_modules/.cache/ce-bench/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  const outfile = join(directory, basename(entry).replace(/\.[cm]?ts$/, '.mjs'));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@ce/source'],
    logLevel: 'warning',
    plugins: [
      {
        name: 'third-party-external',
        setup(context) {
          context.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@ce/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return outfile;
}
