import { describe, expect, it } from 'vitest';
import {
  formatTextDate,
  toEpochMs,
  toFloatText,
  toIntegerText,
  toIpText,
  toMacText,
  toTimestampText,
} from './transforms.js';

describe('transforms', () => {
  it('integer: keeps 64-bit digit strings exact, truncates fractions, rejects text', () => {
    expect(toIntegerText('7379289410245673216')).toBe('7379289410245673216');
    expect(toIntegerText('-12')).toBe('-12');
    expect(toIntegerText('+12')).toBe('12');
    expect(toIntegerText(' 42 ')).toBe('42');
    expect(toIntegerText(12.9)).toBe('12');
    expect(toIntegerText(-0.5)).toBe('0');
    expect(toIntegerText('1e3')).toBe('1000');
    expect(toIntegerText(1e21)).toBe('1000000000000000000000');
    expect(toIntegerText(9007199254740993n)).toBe('9007199254740993');
    expect(toIntegerText('12abc')).toBeUndefined();
    expect(toIntegerText('')).toBeUndefined();
    expect(toIntegerText(true)).toBeUndefined();
    expect(toIntegerText(Number.POSITIVE_INFINITY)).toBeUndefined();
  });

  it('float: finite numbers and numeric strings only', () => {
    expect(toFloatText(47.3769)).toBe('47.3769');
    expect(toFloatText(' -8.5 ')).toBe('-8.5');
    expect(toFloatText('abc')).toBeUndefined();
    expect(toFloatText('')).toBeUndefined();
    expect(toFloatText(Number.NaN)).toBeUndefined();
  });

  it('ip: IPv4 and IPv6 only', () => {
    expect(toIpText('10.1.2.3')).toBe('10.1.2.3');
    expect(toIpText('2001:db8::5')).toBe('2001:db8::5');
    expect(toIpText(' 10.1.2.3 ')).toBe('10.1.2.3');
    expect(toIpText('::ffff:192.0.2.1')).toBe('::ffff:192.0.2.1');
    expect(toIpText('10.1.2.256')).toBeUndefined();
    expect(toIpText('10.0.0.1 dst=1.1.1.1')).toBeUndefined();
    expect(toIpText(167772161)).toBeUndefined();
  });

  it('mac: any common notation to colon-separated upper case', () => {
    expect(toMacText('00:0d:60:af:1b:61')).toBe('00:0D:60:AF:1B:61');
    expect(toMacText('00-0D-60-AF-1B-61')).toBe('00:0D:60:AF:1B:61');
    expect(toMacText('000d.60af.1b61')).toBe('00:0D:60:AF:1B:61');
    expect(toMacText('000d60af1b61')).toBe('00:0D:60:AF:1B:61');
    expect(toMacText('00:0d:60:af:1b')).toBeUndefined();
    expect(toMacText('00:0d:60:af:1b:61:77')).toBeUndefined();
    expect(toMacText('zz:0d:60:af:1b:61')).toBeUndefined();
  });

  it('timestamp: epoch s/ms/µs/ns and date strings to epoch ms', () => {
    const ms = Date.UTC(2024, 5, 1, 12, 0, 0, 250);
    expect(toEpochMs(ms / 1000)).toBe(ms);
    expect(toEpochMs(1717243200)).toBe(1717243200000);
    expect(toEpochMs('1717243200')).toBe(1717243200000);
    expect(toEpochMs(ms)).toBe(ms);
    expect(toEpochMs(ms * 1000)).toBe(ms);
    expect(toEpochMs(`${ms}000000`)).toBe(ms);
    expect(toEpochMs('2024-06-01T12:00:00.250Z')).toBe(ms);
    expect(toEpochMs('2024-06-01T14:00:00.250+02:00')).toBe(ms);
    expect(toEpochMs('yesterday')).toBeUndefined();
    expect(toEpochMs(1e30)).toBeUndefined();
    expect(toEpochMs(true)).toBeUndefined();
  });

  it('timestamp: writes ms, s, ISO or the CEF text form', () => {
    expect(toTimestampText(1717243200.25)).toBe('1717243200250');
    expect(toTimestampText('2024-06-01T12:00:00.250Z', 's')).toBe('1717243200');
    expect(toTimestampText(1717243200, 'iso')).toBe('2024-06-01T12:00:00.000Z');
    expect(toTimestampText(1717243200250, 'text')).toBe('Jun 01 2024 12:00:00.250 UTC');
    expect(formatTextDate(Date.UTC(2024, 0, 5, 3, 4, 5, 6))).toBe('Jan 05 2024 03:04:05.006 UTC');
    expect(toTimestampText('not a date', 'iso')).toBeUndefined();
  });
});
