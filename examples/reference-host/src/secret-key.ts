/**
 * The key that encrypts stored secrets, when the operator gives none: generated once into
 * `<dataDir>/secret.key` (mode 0600) and reused, so that secrets survive restarts.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CeError, type Logger } from '@ce/core';

/** Name of the generated key file inside the data directory. */
export const secretKeyFileName = 'secret.key';

/**
 * Reads `<dataDir>/secret.key`, creating the directory (mode 0700) and a random 32-byte key
 * (mode 0600) on first use. Warns when the file is readable by group or others.
 *
 * @throws CeError `CONFIG_INVALID` when the file exists but holds no usable key.
 *
 * @example
 * ```ts
 * const secretKey = config.secretKey ?? (await loadOrCreateSecretKey(config.dataDir, logger));
 * ```
 */
export async function loadOrCreateSecretKey(dataDir: string, logger: Logger): Promise<string> {
  const file = join(dataDir, secretKeyFileName);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    const key = randomBytes(32).toString('base64url');
    // `wx` fails when the file exists, so two hosts starting together cannot overwrite each other's key.
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn('generated a secret key; back it up, stored secrets cannot be read without it', { file });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new CeError('CONFIG_INVALID', `cannot create the secret key file ${file}`, { cause: error });
    }
  }
  const key = (await readFile(file, 'utf8')).trim();
  if (key.length < 16) {
    throw new CeError(
      'CONFIG_INVALID',
      `the secret key file ${file} holds no usable key (at least 16 characters)`,
    );
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    logger.warn('the secret key file is readable by other users; run chmod 600 on it', {
      file,
      mode: mode.toString(8),
    });
  }
  return key;
}
