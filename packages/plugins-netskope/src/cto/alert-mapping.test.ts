import { alertInputSchema } from '@ce/core';
import { describe, expect, it } from 'vitest';
import { parseJsonLossless } from '../cls/lossless-json.js';
import { generateDataExportRecord, stringifyWithBigInts } from '../mock/dataexport-records.js';
import { netskopeRecordToAlert, netskopeSeverity } from './alert-mapping.js';

describe('netskopeRecordToAlert', () => {
  it('maps a DLP alert: id, type, subtype, name, severity, user, app, epoch seconds, raw with exact 64-bit ids', () => {
    const record = generateDataExportRecord('alerts', 'dlp', 3, { timestamp: 1_767_225_600 });
    // As the tenant sends it and the data export client reads it.
    const parsed = parseJsonLossless(stringifyWithBigInts(record)) as Record<string, unknown>;
    const { alert, problems } = netskopeRecordToAlert('alerts', 'dlp', parsed);
    expect(problems).toEqual([]);
    expect(alert).toMatchObject({
      id: record._id,
      type: 'dlp',
      subtype: 'PCI-DSS',
      name: record.alert_name,
      user: record.user,
      app: record.app,
      timestamp: 1_767_225_600_000,
    });
    expect(alert.severity).toBe(netskopeSeverity(record));
    expect(alert.raw?.dlp_incident_id).toBe(String(record.dlp_incident_id));
    expect(typeof alert.raw?.transaction_id).toBe('string');
    expect(BigInt(alert.raw?.transaction_id as string)).toBe(record.transaction_id);
    expect(alertInputSchema.safeParse(alert).success).toBe(true);
  });

  it('reads the severity from the first field that names one, case-insensitively', () => {
    expect(netskopeSeverity({ severity: 'Critical' })).toBe('critical');
    expect(netskopeSeverity({ severity: 'unknown', dlp_rule_severity: 'High' })).toBe('high');
    expect(netskopeSeverity({ malware_severity: 'medium' })).toBe('medium');
    expect(netskopeSeverity({ sa_rule_severity: 'Low' })).toBe('low');
    expect(netskopeSeverity({ severity: 'info' })).toBe('informational');
    expect(netskopeSeverity({ risk_level: 'high' })).toBe('high');
    expect(netskopeSeverity({ severity: 5 })).toBe('unknown');
  });

  it('finds subtypes and names in the type-specific fields, then the policy, then alert_type', () => {
    const base = { _id: 'x', timestamp: 1_700_000_000 };
    expect(
      netskopeRecordToAlert('alerts', 'malsite', {
        ...base,
        malsite_category: ['Phishing', 'Malware Distribution'],
      }).alert,
    ).toMatchObject({ subtype: 'Phishing, Malware Distribution', name: 'malsite alert' });
    expect(
      netskopeRecordToAlert('alerts', 'policy', { ...base, policy: 'Block uploads', alert_type: 'policy' })
        .alert,
    ).toMatchObject({ subtype: 'Block uploads', name: 'Block uploads' });
    expect(
      netskopeRecordToAlert('alerts', 'uba', { ...base, alert_type: 'uba', alert_name: 'Bulk download' })
        .alert,
    ).toMatchObject({ name: 'Bulk download' });
    expect(
      netskopeRecordToAlert('alerts', 'securityassessment', {
        ...base,
        alert_type: 'Security Assessment',
        sa_rule_name: 'S3 bucket is public',
      }).alert,
    ).toMatchObject({ subtype: 'S3 bucket is public', name: 'Security Assessment alert' });
    expect(
      netskopeRecordToAlert('alerts', 'remediation', { ...base, alert_type: 'Remediation' }).alert.subtype,
    ).toBe(undefined);
    const incident = netskopeRecordToAlert('events', 'incident', {
      ...base,
      object_id: 'inc-obj-1',
      title: 'Sensitive data | exfiltration',
      severity: 'High',
      status: 'new',
      from_user: 'zoë@exämple.ch',
      site: 'Box',
    }).alert;
    expect(incident).toMatchObject({
      type: 'incident',
      name: 'Sensitive data | exfiltration',
      severity: 'high',
      user: 'zoë@exämple.ch',
      app: 'Box',
    });
  });

  it('hands on a malformed record as an alert, naming the problem, never dropping it', () => {
    const noId = { timestamp: 1_700_000_000, alert_name: 'n', severity: 'low' };
    const first = netskopeRecordToAlert('alerts', 'dlp', noId);
    expect(first.problems).toEqual(['no _id']);
    expect(first.alert.id).toMatch(/^netskope-content:[0-9a-f]{40}$/);
    // The same record resent gives the same id, so the orchestrator deduplicates the replay.
    expect(
      netskopeRecordToAlert('alerts', 'dlp', { severity: 'low', alert_name: 'n', timestamp: 1_700_000_000 })
        .alert.id,
    ).toBe(first.alert.id);
    expect(alertInputSchema.safeParse(first.alert).success).toBe(true);

    const noTime = netskopeRecordToAlert('alerts', 'dlp', { _id: 'abc', timestamp: 'soon' });
    expect(noTime.problems).toEqual(['no usable timestamp (epoch seconds)']);
    const parsed = alertInputSchema.safeParse(noTime.alert);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['timestamp']);
    expect(netskopeRecordToAlert('alerts', 'dlp', { _id: 'abc' }).problems).toContain(
      'no usable timestamp (epoch seconds)',
    );
    expect(
      netskopeRecordToAlert('alerts', 'dlp', { _id: 'abc', timestamp: '1700000000' }).alert.timestamp,
    ).toBe(1_700_000_000_000);
  });

  it('truncates long names and subtypes to what the alert model accepts', () => {
    const { alert } = netskopeRecordToAlert('alerts', 'dlp', {
      _id: 'long',
      timestamp: 1,
      alert_name: 'n'.repeat(5_000),
      dlp_profile: 'p'.repeat(1_000),
    });
    expect(alert.name).toHaveLength(1_024);
    expect(alert.subtype).toHaveLength(256);
    expect(alertInputSchema.safeParse(alert).success).toBe(true);
  });
});
