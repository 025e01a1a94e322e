import { describe, expect, it } from 'vitest';
import { compileCefFormatter } from '../format/cef.js';
import { compileLeefFormatter } from '../format/leef.js';
import { compileSyslogMapping } from '../format/syslog-mapping.js';
import { defaultMappings } from './default-mappings.js';
import { loadMapping, resolveMapping } from './load-mapping.js';
import { alertSubtypes, eventSubtypes } from './mapping-schema.js';

const everyType = [
  ...eventSubtypes.map((subtype) => ['events', subtype] as const),
  ...alertSubtypes.map((subtype) => ['alerts', subtype] as const),
];

describe('defaultMappings', () => {
  it('validate against the schema', () => {
    expect(loadMapping(JSON.parse(JSON.stringify(defaultMappings)))).toEqual(defaultMappings);
  });

  it('cover every Netskope event and alert subtype with CEF, LEEF and syslog', () => {
    expect(Object.keys(defaultMappings.events ?? {}).sort()).toEqual([...eventSubtypes].sort());
    expect(Object.keys(defaultMappings.alerts ?? {}).sort()).toEqual([...alertSubtypes].sort());
    for (const [type, subtype] of everyType) {
      const mapping = resolveMapping(defaultMappings, type, subtype);
      expect(mapping.cef?.header?.vendor, `${type}/${subtype}`).toEqual({ constant: 'Netskope' });
      expect(mapping.cef?.extension?.rt, `${type}/${subtype}`).toEqual({
        field: 'timestamp',
        transform: 'timestamp',
      });
      expect(mapping.leef?.attributes?.devTime, `${type}/${subtype}`).toBeDefined();
      expect(mapping.syslog?.msgId, `${type}/${subtype}`).toEqual({ constant: subtype });
    }
  });

  it('format a minimal record of every subtype', () => {
    const record = {
      _id: 'id-1',
      timestamp: 1717243200,
      user: 'u@example.com',
      alert_type: 'X',
      alert_name: 'n',
    };
    for (const [type, subtype] of everyType) {
      const mapping = resolveMapping(defaultMappings, type, subtype);
      const cef = compileCefFormatter(mapping.cef ?? {}, { tenant: 't' })(record);
      expect(cef).toMatch(
        /^CEF:0\|Netskope\|t\|v2\|[^|]+\|[^|]+\|[^|]+\|rt=1717243200000 externalId=id-1( |$)/,
      );
      expect(compileLeefFormatter(mapping.leef ?? {})(record)).toMatch(
        /^LEEF:1\.0\|Netskope\|Security Cloud\|v2\|/,
      );
      expect(compileSyslogMapping(mapping.syslog ?? {})(record).msgId).toBe(subtype);
    }
  });

  it('read nested client status fields by dot path', () => {
    const mapping = resolveMapping(defaultMappings, 'events', 'clientstatus');
    const line = compileCefFormatter(mapping.cef ?? {})({
      _id: 'c1',
      timestamp: 1717243200,
      status: 'Enabled',
      host_info: { hostname: 'laptop-1', os: 'Mac', device_make: 'Apple' },
    });
    expect(line).toBe(
      'CEF:0|Netskope|Security Cloud|v2|clientstatus|Client Enabled|Unknown|rt=1717243200000 externalId=c1 shost=laptop-1 os=Mac cs2Label=status cs2=Enabled cs4Label=deviceMake cs4=Apple',
    );
  });
});
