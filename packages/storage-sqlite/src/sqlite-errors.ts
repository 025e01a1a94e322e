import { CeError } from '@ce/core';

const retryableCodes = /^SQLITE_(BUSY|LOCKED|IOERR)/;

/** The extended result code of a better-sqlite3 `SqliteError` (`SQLITE_BUSY`), if it is one. */
export function sqliteErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/**
 * Turns whatever the driver threw into a `CeError`: a `CeError` passes through, anything else
 * becomes `STORAGE_FAILED` with the original as `cause` and the SQLite code in `details`. Only a
 * busy or locked database and I/O errors are retryable; a constraint, a full disk or a corrupt file
 * will fail again. Module stores built on the raw connection use it to fail like the core stores.
 *
 * @example
 * ```ts
 * try {
 *   insert.run(row);
 * } catch (error) {
 *   throw toSqliteStorageError(error, 'insert indicator');
 * }
 * ```
 */
export function toSqliteStorageError(error: unknown, operation: string): CeError {
  if (CeError.isInstance(error)) return error;
  const code = sqliteErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return new CeError('STORAGE_FAILED', `SQLite ${operation} failed: ${message}`, {
    cause: error,
    retryable: code !== undefined && retryableCodes.test(code),
    details: code === undefined ? { operation } : { operation, sqliteCode: code },
  });
}
