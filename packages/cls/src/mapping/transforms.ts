import { isIP } from 'node:net';
import type { TimestampFormat } from './mapping-schema.js';

/**
 * Value conversions applied by mappings. Each takes a raw event value and returns its formatted
 * text, or `undefined` when the value does not convert (the key is then left out or defaulted).
 */

/** A raw event value as text: arrays join with `,`, objects become JSON, empty strings are missing. */
export function stringifyValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value === '' ? undefined : value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        let out = '';
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          const text =
            typeof item === 'object' && item !== null ? JSON.stringify(item) : stringifyValue(item);
          if (text === undefined) continue;
          out = out === '' ? text : `${out},${text}`;
        }
        return out === '' ? undefined : out;
      }
      try {
        return JSON.stringify(value);
      } catch {
        return undefined;
      }
    }
    default:
      return undefined;
  }
}

function isDigits(text: string, start: number): boolean {
  if (start >= text.length) return false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * An integer as text. Digit strings pass unchanged, so 64-bit ids (`transaction_id`) kept as
 * strings keep every digit; fractions are truncated toward zero.
 */
export function toIntegerText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const whole = Math.trunc(value);
    return Math.abs(whole) < 1e21 ? String(whole === 0 ? 0 : whole) : BigInt(whole).toString();
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (isDigits(text, text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0)) {
    return text.charCodeAt(0) === 43 ? text.slice(1) : text;
  }
  const number = Number(text);
  return text !== '' && Number.isFinite(number) ? toIntegerText(number) : undefined;
}

/** A finite number as text. */
export function toFloatText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? String(number) : undefined;
}

/** An IPv4 or IPv6 address, or `undefined` when the value is not one. */
export function toIpText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text =
    value.length > 0 && (value.charCodeAt(0) === 32 || value.charCodeAt(value.length - 1) === 32)
      ? value.trim()
      : value;
  return isIP(text) === 0 ? undefined : text;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

const hexDigits = '0123456789ABCDEF';

/**
 * A MAC address as `00:0D:60:AF:1B:61` (the CEF form), from colon, dash, Cisco dot or bare hex
 * notation; `undefined` when the value is not 48 bits of hex.
 */
export function toMacText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let out = '';
  let digits = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 58 || c === 45 || c === 46) continue;
    const hex = hexValue(c);
    if (hex < 0 || digits === 12) return undefined;
    if (digits > 0 && digits % 2 === 0) out += ':';
    out += hexDigits[hex];
    digits++;
  }
  return digits === 12 ? out : undefined;
}

const maxDateMs = 8.64e15;

/**
 * Epoch milliseconds from an epoch number (seconds, milliseconds, microseconds or nanoseconds,
 * told apart by magnitude), a numeric string, or an ISO 8601 / RFC 2822 date string.
 */
export function toEpochMs(value: unknown): number | undefined {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    number = Number(text);
    if (Number.isNaN(number)) {
      const parsed = Date.parse(text);
      return Number.isNaN(parsed) ? undefined : parsed;
    }
  } else return undefined;
  if (!Number.isFinite(number)) return undefined;
  const magnitude = Math.abs(number);
  // Seconds until the year 5138, then milliseconds, microseconds and nanoseconds.
  const ms =
    magnitude < 1e11
      ? number * 1000
      : magnitude < 1e14
        ? number
        : magnitude < 1e17
          ? number / 1e3
          : number / 1e6;
  const rounded = Math.round(ms);
  return Math.abs(rounded) <= maxDateMs ? rounded : undefined;
}

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

/** `MMM dd yyyy HH:mm:ss.SSS UTC`, the CEF date form with a zone, in UTC. */
export function formatTextDate(ms: number): string {
  const date = new Date(ms);
  return `${monthNames[date.getUTCMonth()]} ${pad2(date.getUTCDate())} ${date.getUTCFullYear()} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}.${pad3(date.getUTCMilliseconds())} UTC`;
}

/** A timestamp value written in `format`; `undefined` when the value is not a date. */
export function toTimestampText(value: unknown, format: TimestampFormat = 'ms'): string | undefined {
  const ms = toEpochMs(value);
  if (ms === undefined) return undefined;
  switch (format) {
    case 'ms':
      return String(ms);
    case 's':
      return String(Math.floor(ms / 1000));
    case 'iso':
      return new Date(ms).toISOString();
    case 'text':
      return formatTextDate(ms);
  }
}
