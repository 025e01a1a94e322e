/**
 * The outcome of normalizing one indicator value: the normal form, or a machine-readable code and
 * a human reason. Results are data, never thrown, because ingest handles millions of values and a
 * bad one must cost one per-item result, not an exception.
 *
 * @module
 */
import type { IndicatorType } from './indicator-types.js';

/**
 * Every code a rejected value can carry. Stable: callers may switch on them and dashboards may
 * count them.
 *
 * | code | meaning |
 * | --- | --- |
 * | `invalid-input` | the value is not a string |
 * | `invalid-type` | the `type` argument is not an indicator type |
 * | `empty` | nothing is left after trimming |
 * | `too-long` | longer than {@link indicatorValueLimits} allows |
 * | `unknown-type` | no type was given and none could be inferred |
 * | `invalid-url` | not a URL we accept (structure, characters, host) |
 * | `unsupported-scheme` | a scheme other than `http`, `https` or `ftp` |
 * | `missing-host` | a URL without a host |
 * | `invalid-port` | a URL port that is not 1 to 65535 |
 * | `invalid-domain` | not a valid DNS name (type `domain`) |
 * | `invalid-hostname` | not a valid DNS name (type `hostname`) |
 * | `ip-literal` | an IP address given as a DNS name |
 * | `invalid-ipv4` | not a dotted-quad IPv4 address |
 * | `ambiguous-ipv4` | a form parsers disagree on: leading zeros, hex, short or integer forms |
 * | `invalid-ipv6` | not an IPv6 address |
 * | `ipv6-zone` | an IPv6 address with a `%zone`, which only means something on one host |
 * | `invalid-cidr` | not an address followed by `/prefix` |
 * | `invalid-prefix` | a prefix length out of range, with leading zeros, or `/0` |
 * | `invalid-hash` | wrong length for the hash type, or not hexadecimal |
 * | `invalid-email` | not an address of the form `local@domain` we accept |
 */
export const normalizeFailureCodes = [
  'invalid-input',
  'invalid-type',
  'empty',
  'too-long',
  'unknown-type',
  'invalid-url',
  'unsupported-scheme',
  'missing-host',
  'invalid-port',
  'invalid-domain',
  'invalid-hostname',
  'ip-literal',
  'invalid-ipv4',
  'ambiguous-ipv4',
  'invalid-ipv6',
  'ipv6-zone',
  'invalid-cidr',
  'invalid-prefix',
  'invalid-hash',
  'invalid-email',
] as const;

/** A code from {@link normalizeFailureCodes}. */
export type NormalizeFailureCode = (typeof normalizeFailureCodes)[number];

/** A value in its normal form; `(type, value)` is the indicator's identity. */
export interface NormalizeSuccess {
  ok: true;
  /** The type given by the caller, or the inferred one. */
  type: IndicatorType;
  /** The normalized value. */
  value: string;
}

/** A rejected value. */
export interface NormalizeFailure {
  ok: false;
  /** Stable, machine-readable. */
  code: NormalizeFailureCode;
  /** For people: what is wrong and, where it helps, what was expected. Never quotes URL credentials. */
  reason: string;
}

/** The outcome of {@link normalizeIndicator}. */
export type NormalizeResult = NormalizeSuccess | NormalizeFailure;

/**
 * Size limits, in UTF-16 code units after trimming. They bound the work per value and keep
 * pasted documents out of the store.
 */
export const indicatorValueLimits = {
  /** Longest URL accepted. @default 8192 */
  url: 8_192,
  /** Longest value of any other type. @default 1024 */
  other: 1_024,
  /** Longest raw input looked at at all, before trimming. @default 16384 */
  raw: 16_384,
} as const;

/** What the per-type normalizers return: the normal form, or why not. No wrapper on success. */
export type Normalized = string | NormalizeFailure;

/** Builds a {@link NormalizeFailure}. */
export function fail(code: NormalizeFailureCode, reason: string): NormalizeFailure {
  return { ok: false, code, reason };
}

/** Quotes a piece of the input for a reason, cut short so one bad value cannot bloat a log line. */
export function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
