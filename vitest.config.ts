import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));

// Tests run against the TypeScript sources of sibling packages, so `npm test` needs no build first.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@ce\/([\w-]+)\/testing$/, replacement: `${packagesDir}$1/src/testing/index.ts` },
      { find: /^@ce\/([\w-]+)$/, replacement: `${packagesDir}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
