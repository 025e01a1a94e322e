/**
 * File hashes: lowercase hexadecimal of the exact length of the type (md5 32, sha1 40, sha256 64).
 * No prefixes (`0x`, `sha256:`) are stripped; a feed that adds them is misconfigured, and guessing
 * would hide it.
 *
 * @module
 */
import { type HashType, hashLengths } from './indicator-types.js';
import { fail, type Normalized, quote } from './normalize-result.js';

// Native single-class scans, linear and faster than a char-code loop for the common case.
const lowercaseHex = /^[0-9a-f]*$/;
const anyCaseHex = /^[0-9a-fA-F]*$/;

/** Whether `text` is hexadecimal, in any case (a cheap test for type inference). */
export function isHex(text: string): boolean {
  return anyCaseHex.test(text);
}

/**
 * Checks `text` for hex digits only: 0 when all are lowercase, 1 when some are uppercase, or
 * -(index + 1) of the first other character.
 */
export function scanHex(text: string): number {
  let upper = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 48 && code <= 57) || (code >= 97 && code <= 102)) continue;
    if (code >= 65 && code <= 70) upper = 1;
    else return -(i + 1);
  }
  return upper;
}

/** The hash type for a hex string of this length, if any. */
export function hashTypeOfLength(length: number): HashType | undefined {
  if (length === 32) return 'md5';
  if (length === 40) return 'sha1';
  if (length === 64) return 'sha256';
  return undefined;
}

/** Normalizes a hash of the given type to lowercase hex. */
export function normalizeHash(text: string, type: HashType): Normalized {
  const expected = hashLengths[type];
  if (text.length !== expected) {
    const other = hashTypeOfLength(text.length);
    return fail(
      'invalid-hash',
      `${type} must be ${expected} hex characters; got ${text.length}` +
        (other !== undefined ? ` (the length of ${other})` : ''),
    );
  }
  if (lowercaseHex.test(text)) return text;
  const scan = scanHex(text);
  if (scan === 1) return text.toLowerCase();
  const at = -scan - 1;
  return fail(
    'invalid-hash',
    `${type} must be hexadecimal; character ${at + 1} is ${quote(text.charAt(at))}`,
  );
}
