import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertIndicators, type PulledIndicatorType } from './alert-indicators.js';

const fixture = (name: string): Record<string, unknown>[] =>
  JSON.parse(readFileSync(new URL(`../__fixtures__/${name}`, import.meta.url), 'utf8'));
const all = new Set<PulledIndicatorType>(['url', 'md5', 'sha256', 'sha1']);

describe('alertIndicators', () => {
  it('reads a malsite URL with severity, reputation, confidence, categories as tags and the alert time', () => {
    const { indicators, dropped } = alertIndicators('malsite', fixture('malsite-alerts.json'), all);
    expect(dropped).toBe(0);
    expect(indicators[0]).toEqual({
      value: 'login-verify.example-bad.test/account/signin',
      type: 'url',
      severity: 'high',
      reputation: 8,
      confidence: 85,
      tags: ['netskope-malsite', 'Phishing', 'Suspicious'],
      comments: 'Malsite blocked; categories: Phishing, Suspicious',
      firstSeen: 1767139200000,
      lastSeen: 1767139200000,
    });
    expect(indicators[1]).toMatchObject({
      type: 'url',
      severity: 'critical',
      reputation: 10,
      confidence: 95,
    });
  });

  it('falls back to the destination host, never the user device host name', () => {
    const { indicators } = alertIndicators('malsite', fixture('malsite-alerts.json'), all);
    expect(indicators[2]).toMatchObject({
      type: 'hostname',
      value: 'tracker.suspicious.test',
      severity: 'medium',
    });
    const values = indicators.map((indicator) => indicator.value);
    expect(values).not.toContain('LAPTOP-7QK2');
    expect(values).not.toContain('MAC-44F1');
  });

  it('reads each distinct malware hash once, with the malware severity and type', () => {
    const { indicators } = alertIndicators('malware', fixture('malware-alerts.json'), all);
    expect(indicators.map((indicator) => `${indicator.type}:${indicator.value}`)).toEqual([
      'md5:44d88612fea8a8f36de82e1278abb02f',
      'sha256:275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
      'md5:0cc175b9c0f1b6a831c399e269772661',
      'md5:92eb5ffee6ae2fec3ad71c777531578f',
      'sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb',
      'sha1:86f7e437faa5a7fce15d1ddcb9eaeaea377667b8',
    ]);
    expect(indicators[2]).toMatchObject({
      severity: 'critical',
      reputation: 10,
      tags: ['netskope-malware', 'Downloader'],
      comments: 'malware: Generic.Downloader; type: Downloader; file: setup.msi',
    });
  });

  it('skips values that are not valid hashes and honours the requested types', () => {
    const records = [{ alert_type: 'malware', local_md5: 'xyz', md5: 'AB'.repeat(16), local_sha256: '12' }];
    const { indicators } = alertIndicators('malware', records, new Set(['md5']));
    expect(indicators).toEqual([{ value: 'ab'.repeat(16), type: 'md5', tags: ['netskope-malware'] }]);
    expect(alertIndicators('malsite', fixture('malsite-alerts.json'), new Set(['md5'])).indicators).toEqual(
      [],
    );
  });

  it('drops reports the exchange would refuse and counts them', () => {
    const { indicators, dropped } = alertIndicators(
      'malsite',
      [{ url: 'x'.repeat(20_000), timestamp: 1 }],
      all,
    );
    expect(indicators).toEqual([]);
    expect(dropped).toBe(1);
  });
});
