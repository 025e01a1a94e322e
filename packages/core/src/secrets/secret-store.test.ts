import { describe, expect, it } from 'vitest';
import { redactText } from '../logging/redact.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createSecretStore, isSecretReference } from './secret-store.js';

describe('secret store', () => {
  it('encrypts stored values at rest and resolves them', async () => {
    const storage = createMemoryStorage();
    const secrets = createSecretStore({ keyValue: storage.keyValue, encryptionKey: 'host key' });
    const reference = await secrets.put('plugin-config/a/token', 'tok-verysecret-1');
    expect(reference).toBe('secret://plugin-config/a/token');
    const raw = await storage.keyValue.get<{ scheme: string; data: string }>(
      'secrets',
      'plugin-config/a/token',
    );
    expect(raw?.value.scheme).toBe('aes-256-gcm');
    expect(JSON.stringify(raw)).not.toContain('tok-verysecret-1');
    expect(await secrets.resolve(reference)).toBe('tok-verysecret-1');
    expect(secrets.encrypted).toBe(true);
  });

  it('fails clearly with the wrong key or none', async () => {
    const storage = createMemoryStorage();
    await createSecretStore({ keyValue: storage.keyValue, encryptionKey: 'key one' }).put(
      'x',
      'value-123456',
    );
    await expect(
      createSecretStore({ keyValue: storage.keyValue, encryptionKey: 'key two' }).resolve('secret://x'),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'secret "x" cannot be decrypted with the configured key',
    });
    await expect(
      createSecretStore({ keyValue: storage.keyValue }).resolve('secret://x'),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('resolves env references, deletes stored ones and rejects unknown schemes', async () => {
    const storage = createMemoryStorage();
    const secrets = createSecretStore({ keyValue: storage.keyValue, env: { TOKEN: 'from-env-123456' } });
    expect(secrets.encrypted).toBe(false);
    expect(await secrets.resolve('env:TOKEN')).toBe('from-env-123456');
    expect(await secrets.resolve('env:MISSING')).toBeUndefined();
    const reference = await secrets.put('y', 'plain-value-1');
    await secrets.delete(reference);
    expect(await secrets.resolve(reference)).toBeUndefined();
    await expect(secrets.resolve('vault:kv/x')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(isSecretReference('env:X')).toBe(true);
    expect(isSecretReference('plain')).toBe(false);
  });

  it('registers resolved values for redaction', async () => {
    const storage = createMemoryStorage();
    const secrets = createSecretStore({ keyValue: storage.keyValue, env: { T: 'resolved-for-redaction-9' } });
    await secrets.resolve('env:T');
    expect(redactText('oops resolved-for-redaction-9 leaked')).toBe('oops [REDACTED] leaked');
  });
});
