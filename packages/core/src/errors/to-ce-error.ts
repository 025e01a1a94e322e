import { CeError } from './ce-error.js';
import { ValidationError } from './validation-error.js';

function isZodError(value: unknown): value is import('zod').ZodError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'ZodError' &&
    Array.isArray((value as { issues?: unknown }).issues)
  );
}

/**
 * Normalizes anything thrown into a {@link CeError}: a `CeError` is returned as is, an
 * `AbortError` becomes `ABORTED`, a zod error becomes a {@link ValidationError}, and anything else
 * becomes `INTERNAL` with the original as `cause`.
 */
export function toCeError(value: unknown): CeError {
  if (CeError.isInstance(value)) return value;
  if (isZodError(value)) return ValidationError.fromZod('invalid value', value);
  if (value instanceof Error) {
    if (value.name === 'AbortError')
      return new CeError('ABORTED', value.message || 'operation aborted', { cause: value });
    if (value.name === 'TimeoutError')
      return new CeError('TIMEOUT', value.message || 'operation timed out', { cause: value });
    return new CeError('INTERNAL', value.message || value.name, { cause: value });
  }
  const text = typeof value === 'string' ? value : safeStringify(value);
  return new CeError('INTERNAL', `non-error thrown: ${text}`, { cause: value });
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}
