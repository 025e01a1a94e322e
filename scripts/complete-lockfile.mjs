#!/usr/bin/env node
// Adds to package-lock.json the platform-specific optional packages (other operating systems
// and CPUs) that the registry mirror this project is developed against does not serve. npm leaves
// an optional dependency it cannot fetch out of the lock file, and `npm ci` then refuses the lock
// as out of sync. An entry with its `os`/`cpu`/`libc` lets `npm ci` skip the package on every
// other platform without fetching it, as a lock file written against the full registry would.
//
// Run after every `npm install` that changes the lock: `node scripts/complete-lockfile.mjs`.
// `--check` only reports, exiting 1 when entries are missing.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

const osTokens = {
  darwin: 'darwin',
  win32: 'win32',
  windows: 'win32',
  linux: 'linux',
  android: 'android',
  freebsd: 'freebsd',
  openbsd: 'openbsd',
  netbsd: 'netbsd',
  sunos: 'sunos',
  aix: 'aix',
  openharmony: 'openharmony',
};
const cpuTokens = {
  arm64: 'arm64',
  x64: 'x64',
  64: 'x64',
  ia32: 'ia32',
  arm: 'arm',
  loong64: 'loong64',
  ppc64: 'ppc64',
  riscv64: 'riscv64',
  s390x: 's390x',
  mips64el: 'mips64el',
  wasm32: 'wasm32',
};

function platformOf(name) {
  const tokens = name.split('/').pop().split('-');
  const os = tokens.map((t) => osTokens[t]).find(Boolean);
  const cpu = tokens.map((t) => cpuTokens[t]).find(Boolean);
  const libc = tokens.some((t) => t.startsWith('musl'))
    ? 'musl'
    : tokens.some((t) => t.startsWith('gnu'))
      ? 'glibc'
      : undefined;
  return { os, cpu, libc: os === 'linux' ? libc : undefined };
}

const missing = [];
for (const [location, node] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(node.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os && !cpu) continue; // not a platform package: a real gap, leave it for npm to report
    const entry = { version: String(spec).replace(/^[\^~=]/, '') };
    if (node.dev) entry.dev = true;
    entry.optional = true;
    if (os) entry.os = [os];
    if (cpu) entry.cpu = [cpu];
    if (libc) entry.libc = [libc];
    // Hoisted, as npm places them; nested under the parent only when another version is hoisted.
    missing.push([packages[`node_modules/${name}`] ? nested : `node_modules/${name}`, entry]);
  }
}

if (process.argv.includes('--check')) {
  for (const [key] of missing) console.log(`missing: ${key}`);
  process.exit(missing.length > 0 ? 1 : 0);
}
for (const [key, entry] of missing) packages[key] = entry;
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${missing.length} platform entries to package-lock.json`);
