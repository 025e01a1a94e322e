/**
 * E-mail addresses: `local@domain`. The domain is normalized like a host name (lowercase,
 * punycode, no trailing dot); the local part is kept exactly, because RFC 5321 lets the receiving
 * server treat it case-sensitively, and provider-specific folding (dots, `+tags`) would merge
 * addresses that are different mailboxes elsewhere.
 *
 * The local part is a dot-atom (RFC 5322 `atext` and dots, no leading, trailing or doubled dot;
 * UTF-8 allowed per RFC 6531), at most 64 characters; the whole address at most 254. Quoted
 * local parts and address literals (`user@[192.0.2.1]`) are refused: feeds do not use them and
 * they cannot be matched against mail logs reliably.
 *
 * @module
 */
import { normalizeHostName } from './host.js';
import { fail, type Normalized, quote } from './normalize-result.js';

const maxLocalLength = 64;
const maxAddressLength = 254;

// RFC 5322 atext, ASCII part: letters, digits and !#$%&'*+-/=?^_`{|}~
function isAtext(code: number): boolean {
  if ((code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57)) return true;
  switch (code) {
    case 33:
    case 35:
    case 36:
    case 37:
    case 38:
    case 39:
    case 42:
    case 43:
    case 45:
    case 47:
    case 61:
    case 63:
    case 94:
    case 95:
    case 96:
    case 123:
    case 124:
    case 125:
    case 126:
      return true;
    default:
      return code >= 128;
  }
}

/** Normalizes an e-mail address: the domain part canonical, the local part as given. */
export function normalizeEmail(text: string): Normalized {
  const at = text.lastIndexOf('@');
  if (at < 0) return fail('invalid-email', 'an e-mail address needs an "@"');
  if (text.indexOf('@') !== at)
    return fail(
      'invalid-email',
      'the e-mail address has more than one "@"; quoted local parts are not accepted',
    );
  if (at === 0) return fail('invalid-email', 'the e-mail address has an empty local part');
  if (at > maxLocalLength)
    return fail(
      'invalid-email',
      `the local part is ${at} characters long; at most ${maxLocalLength} are allowed`,
    );
  let previousDot = true;
  for (let i = 0; i < at; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (previousDot)
        return fail('invalid-email', 'the local part starts with a dot or has two dots in a row');
      previousDot = true;
    } else if (isAtext(code)) previousDot = false;
    else
      return fail(
        'invalid-email',
        `the local part contains ${code <= 32 || code === 127 ? 'a space or control character' : quote(text.charAt(i))}, which is not allowed unquoted`,
      );
  }
  if (previousDot) return fail('invalid-email', 'the local part ends with a dot');
  const domain = text.slice(at + 1);
  if (domain === '') return fail('invalid-email', 'the e-mail address has an empty domain');
  if (domain.charCodeAt(0) === 91)
    return fail('invalid-email', `address literals such as ${quote(domain)} are not accepted; use a domain`);
  const normal = normalizeHostName(domain, 'invalid-email');
  if (typeof normal !== 'string')
    return normal.code === 'invalid-email'
      ? normal
      : fail('invalid-email', `the domain part: ${normal.reason}`);
  const address = normal === domain ? text : `${text.slice(0, at + 1)}${normal}`;
  if (address.length > maxAddressLength)
    return fail(
      'invalid-email',
      `the address is ${address.length} characters long; at most ${maxAddressLength} are allowed`,
    );
  return address;
}
