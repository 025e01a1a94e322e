import { describe, expect, it } from 'vitest';
import { durationSchema, formatDuration, parseDuration, severityRank, timestampSchema } from './common.js';

describe('common schemas', () => {
  it('parses and formats durations', () => {
    expect(parseDuration('90d')).toBe(90 * 86_400_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration(' 500ms ')).toBe(500);
    expect(() => parseDuration('5 minutes')).toThrow(RangeError);
    expect(durationSchema.parse('12h')).toBe(43_200_000);
    expect(durationSchema.parse(250)).toBe(250);
    expect(durationSchema.safeParse('soon').success).toBe(false);
    expect(formatDuration(90 * 86_400_000)).toBe('90d');
    expect(formatDuration(36 * 3_600_000)).toBe('36h');
    expect(formatDuration(1_500)).toBe('1500ms');
  });

  it('accepts ISO timestamps with a zone and epoch milliseconds', () => {
    expect(timestampSchema.parse('2026-01-02T03:04:05Z')).toBe(Date.parse('2026-01-02T03:04:05Z'));
    expect(timestampSchema.parse('2026-01-02T03:04:05.123+02:00')).toBe(
      Date.parse('2026-01-02T01:04:05.123Z'),
    );
    expect(timestampSchema.parse(5)).toBe(5);
    expect(timestampSchema.safeParse('2026-01-02').success).toBe(false);
    expect(timestampSchema.safeParse(-1).success).toBe(false);
  });

  it('orders severities', () => {
    expect(severityRank('critical')).toBeGreaterThan(severityRank('high'));
    expect(severityRank('unknown')).toBe(0);
  });
});
