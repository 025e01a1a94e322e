/**
 * DNS names (`domain` and `hostname` indicators, URL hosts, e-mail domains) in one canonical form.
 *
 * Both types are DNS names and normalize the same way; they differ in meaning (a registered domain
 * versus one host), which takes a public suffix list to tell apart, so nothing here enforces it.
 *
 * - Lowercase; internationalized names become punycode (`bücher.example` is
 *   `xn--bcher-kva.example`, via WHATWG `domainToASCII`); one trailing dot (the DNS root) is
 *   dropped.
 * - Labels are 1 to 63 characters of letters, digits, `-` and `_`, not starting or ending with
 *   `-`; the name is at most 253 characters and has at least two labels. The underscore is
 *   allowed because it is common in real names (`_dmarc`, dynamic-DNS hosts) and resolvers accept
 *   it. Single-label names (`localhost`, `com`) are refused: they are not fully qualified and
 *   would match far too much as an indicator.
 * - A last label of digits only is refused: such a "name" is an IP address or an ambiguous IPv4
 *   form (`127.1`). A dotted quad is reported as `ip-literal`.
 * - An ASCII label in punycode (`xn--…`) must decode.
 * - Wildcards (`*.example.com`) and anything else are refused.
 *
 * @module
 */
import { domainToASCII } from 'node:url';
import { parseIpv4 } from './ip.js';
import { fail, type Normalized, type NormalizeFailureCode, quote } from './normalize-result.js';

/** Longest DNS name, without the trailing dot. */
const maxNameLength = 253;
/** Longest DNS label. */
const maxLabelLength = 63;

function describeCode(code: number): string {
  if (code === 32) return 'a space';
  if (code < 32 || code === 127) return 'a control character';
  return quote(String.fromCharCode(code));
}

function validateAscii(name: string, end: number, code: NormalizeFailureCode, idn: boolean): Normalized {
  if (end === 0) return fail(code, 'the host name is empty');
  if (end > maxNameLength)
    return fail(code, `host name is ${end} characters long; DNS allows at most ${maxNameLength}`);
  let labelStart = 0;
  let labels = 1;
  let upper = false;
  let digitsOnly = true;
  let allDigits = true;
  let punycode = false;
  for (let i = 0; i <= end; i++) {
    const char = i === end ? 46 : name.charCodeAt(i);
    if (char === 46) {
      const labelLength = i - labelStart;
      if (labelLength === 0) return fail(code, `host name ${quote(name.slice(0, end))} has an empty label`);
      if (labelLength > maxLabelLength)
        return fail(
          code,
          `host name label ${quote(name.slice(labelStart, i))} is ${labelLength} characters long; DNS allows at most ${maxLabelLength}`,
        );
      if (name.charCodeAt(i - 1) === 45)
        return fail(code, `host name label ${quote(name.slice(labelStart, i))} ends with "-"`);
      if (
        labelLength > 4 &&
        name.charCodeAt(labelStart + 2) === 45 &&
        name.charCodeAt(labelStart + 3) === 45 &&
        (name.charCodeAt(labelStart) | 32) === 120 &&
        (name.charCodeAt(labelStart + 1) | 32) === 110
      )
        punycode = true;
      if (i === end) break;
      allDigits &&= digitsOnly;
      digitsOnly = true;
      labelStart = i + 1;
      labels++;
      continue;
    }
    if (char >= 97 && char <= 122) digitsOnly = false;
    else if (char >= 48 && char <= 57) {
      // digits keep digitsOnly as it is
    } else if (char >= 65 && char <= 90) {
      upper = true;
      digitsOnly = false;
    } else if (char === 45) {
      if (i === labelStart)
        return fail(code, `host name label ${quote(labelAt(name, labelStart, end))} starts with "-"`);
      digitsOnly = false;
    } else if (char === 95) digitsOnly = false;
    else if (char >= 128 && !idn) return normalizeIdn(name, end, code);
    else
      return fail(
        code,
        `host name ${quote(name.slice(0, end))} contains ${describeCode(char)}, which DNS names cannot`,
      );
  }
  if (digitsOnly) {
    if (allDigits && labels === 4 && parseIpv4(name, 0, end) >= 0)
      return fail('ip-literal', `${quote(name.slice(0, end))} is an IPv4 address, not a DNS name`);
    return fail(
      code,
      `host name ${quote(name.slice(0, end))} ends in an all-digit label; it is an IP address in an ambiguous form or not a name`,
    );
  }
  if (labels < 2)
    return fail(
      code,
      `host name ${quote(name.slice(0, end))} has a single label; indicators need a fully qualified name`,
    );
  const result = end === name.length ? name : name.slice(0, end);
  const lower = upper ? result.toLowerCase() : result;
  if (punycode && !idn && domainToASCII(lower) === '')
    return fail(code, `host name ${quote(lower)} has a label that is not valid punycode`);
  return lower;
}

function labelAt(name: string, start: number, end: number): string {
  const dot = name.indexOf('.', start);
  return name.slice(start, dot < 0 || dot > end ? end : dot);
}

function normalizeIdn(name: string, end: number, code: NormalizeFailureCode): Normalized {
  const unicode = name.slice(0, end);
  // domainToASCII percent-decodes and parses numeric hosts; neither belongs in a DNS name here.
  if (unicode.indexOf('%') >= 0)
    return fail(code, `host name ${quote(unicode)} contains "%", which DNS names cannot`);
  const ascii = domainToASCII(unicode);
  if (ascii === '') return fail(code, `host name ${quote(unicode)} is not a valid internationalized name`);
  // IDNA maps a few characters to dots (`。`), so the ASCII form may end in the root dot again.
  const asciiEnd = ascii.charCodeAt(ascii.length - 1) === 46 ? ascii.length - 1 : ascii.length;
  return validateAscii(ascii, asciiEnd, code, true);
}

/**
 * Normalizes a DNS name. `code` is the failure code to use (it depends on what the name is part
 * of); an IPv4 address always fails with `ip-literal`.
 */
export function normalizeHostName(text: string, code: NormalizeFailureCode): Normalized {
  const length = text.length;
  const end = length > 0 && text.charCodeAt(length - 1) === 46 ? length - 1 : length;
  return validateAscii(text, end, code, false);
}
