import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { CeError } from '../errors/ce-error.js';
import { registerSecretValue } from '../logging/redact.js';
import type { KeyValueStore } from '../storage/storage-adapter.js';

/**
 * Where secrets live. Plugin configurations never hold a secret: they hold a reference, which
 * this store resolves when a plugin runs.
 *
 * References are strings with a scheme: `secret://<name>` for values kept by the store itself,
 * `env:<NAME>` for environment variables the host was started with. A custom store (Vault, a
 * cloud secret manager) implements the same three methods with its own scheme.
 */
export interface SecretStore {
  /** The value behind a reference, or `undefined` when there is none. */
  resolve(reference: string): Promise<string | undefined>;
  /** Stores a value under `name` and returns its reference (`secret://<name>`). */
  put(name: string, value: string): Promise<string>;
  /** Forgets a stored value; references of other schemes are ignored. */
  delete(reference: string): Promise<void>;
}

/** Options of {@link createSecretStore}. */
export interface SecretStoreOptions {
  /** Where stored secrets are kept (namespace `secrets`). */
  keyValue: KeyValueStore;
  /**
   * Key for AES-256-GCM encryption at rest: 32 bytes, or any string (hashed with SHA-256 to 32
   * bytes). Without it, values are stored unencrypted and {@link SecretStoreInfo.encrypted} is false.
   */
  encryptionKey?: string | Uint8Array;
  /**
   * Environment read by `env:` references.
   * @default process.env
   */
  env?: Record<string, string | undefined>;
}

/** A {@link SecretStore} that also says whether it encrypts at rest. */
export interface SecretStoreInfo extends SecretStore {
  /** Whether stored values are encrypted. */
  readonly encrypted: boolean;
}

interface StoredSecret {
  /** `aes-256-gcm` or `plain`. */
  scheme: 'aes-256-gcm' | 'plain';
  /** base64: iv (12 bytes) + tag (16 bytes) + ciphertext, or the plain value. */
  data: string;
}

const namespace = 'secrets';
const storedPrefix = 'secret://';
const envPrefix = 'env:';

function deriveKey(key: string | Uint8Array): Buffer {
  if (typeof key !== 'string' && key.length === 32) return Buffer.from(key);
  return createHash('sha256').update(key).digest();
}

/**
 * The default secret store: `secret://` values kept in the host's storage, encrypted with
 * AES-256-GCM when a key is given; `env:` references read from the environment. Every value it
 * resolves is registered for redaction, so it can never appear in a log line or error.
 *
 * @example
 * ```ts
 * const secrets = createSecretStore({ keyValue: storage.keyValue, encryptionKey: process.env.CE_SECRET_KEY });
 * const ref = await secrets.put('plugin-config/netskope/apiToken', token);
 * ```
 */
export function createSecretStore(options: SecretStoreOptions): SecretStoreInfo {
  const key = options.encryptionKey === undefined ? undefined : deriveKey(options.encryptionKey);
  const env = options.env ?? process.env;

  const seal = (value: string): StoredSecret => {
    if (!key) return { scheme: 'plain', data: value };
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return { scheme: 'aes-256-gcm', data: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  };

  const open = (name: string, stored: StoredSecret): string => {
    if (stored.scheme === 'plain') return stored.data;
    if (!key)
      throw new CeError('CONFIG_INVALID', `secret "${name}" is encrypted and no encryption key was given`);
    const raw = Buffer.from(stored.data, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new CeError('CONFIG_INVALID', `secret "${name}" cannot be decrypted with the configured key`, {
        cause,
      });
    }
  };

  return {
    encrypted: key !== undefined,
    async resolve(reference) {
      let value: string | undefined;
      if (reference.startsWith(envPrefix)) {
        value = env[reference.slice(envPrefix.length)];
      } else if (reference.startsWith(storedPrefix)) {
        const name = reference.slice(storedPrefix.length);
        const entry = await options.keyValue.get<StoredSecret>(namespace, name);
        value = entry ? open(name, entry.value) : undefined;
      } else {
        throw new CeError(
          'CONFIG_INVALID',
          `unsupported secret reference scheme in "${reference.split(':')[0]}:..."`,
        );
      }
      if (value !== undefined) registerSecretValue(value);
      return value;
    },
    async put(name, value) {
      registerSecretValue(value);
      await options.keyValue.set(namespace, name, seal(value));
      return `${storedPrefix}${name}`;
    },
    async delete(reference) {
      if (reference.startsWith(storedPrefix))
        await options.keyValue.delete(namespace, reference.slice(storedPrefix.length));
    },
  };
}

/** Whether a string is a secret reference this package understands (`secret://` or `env:`). */
export function isSecretReference(value: unknown): value is string {
  return typeof value === 'string' && (value.startsWith(storedPrefix) || value.startsWith(envPrefix));
}
