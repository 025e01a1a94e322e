import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryLogger } from '@ce/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReferenceHost } from '../reference-host.js';
import { demoConfigurationId, demoHostConfig } from './demo.js';

describe('the demo', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ce-demo-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('defaults to SQLite in <dataDir>/demo.db on loopback port 8080', () => {
    const config = demoHostConfig({ dataDir, env: {} });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir,
      storage: { kind: 'sqlite', path: join(dataDir, 'demo.db') },
      demo: true,
    });
    expect(demoHostConfig({ dataDir, env: { PORT: '0' } }).port).toBe(0);
  });

  it('starts offline on SQLite, answers /healthz, checks its sample configuration, and survives a restart', async () => {
    const logger = createMemoryLogger();
    const config = demoHostConfig({ dataDir, env: { PORT: '0' } });

    const first = await startReferenceHost({ config, logger });
    try {
      expect(first.applied.added).toEqual([demoConfigurationId]);
      expect(first.demo?.sampleApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const health = await fetch(`${first.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'ok',
        storage: { kind: 'sqlite', durable: true },
        configurations: { total: 1, enabled: 1 },
      });
      const check = await fetch(`${first.url}/api/v1/configurations/${demoConfigurationId}/check`, {
        method: 'POST',
      });
      expect(await check.json()).toEqual({ ok: true, message: 'connected to tenant demo (API 1.0)' });
      const stored = await (await fetch(`${first.url}/api/v1/configurations/${demoConfigurationId}`)).text();
      expect(stored).not.toContain('sample-demo-token');
    } finally {
      await first.stop();
    }

    const keyFile = join(dataDir, 'secret.key');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'demo.db'))).isFile()).toBe(true);
    const key = await readFile(keyFile, 'utf8');

    // The sample API comes back on another port: the stored configuration follows it, and the
    // secret stored by the first run is still readable with the same key.
    const second = await startReferenceHost({ config, logger });
    try {
      expect(second.applied.updated).toEqual([demoConfigurationId]);
      const check = await fetch(`${second.url}/api/v1/configurations/${demoConfigurationId}/check`, {
        method: 'POST',
      });
      expect(await check.json()).toMatchObject({ ok: true });
    } finally {
      await second.stop();
    }
    expect(await readFile(keyFile, 'utf8')).toBe(key);
    expect(
      logger.records.filter((record) => record.message.startsWith('generated a secret key')),
    ).toHaveLength(1);
    expect(JSON.stringify(logger.records)).not.toContain('sample-demo-token');
  });
});
