import { compileValueSource, type EventRecord, type ValueGetter } from '../mapping/compile-value.js';
import type { SyslogMapping } from '../mapping/mapping-schema.js';
import { templateVariables } from './cef.js';
import { type StructuredDataElement, type SyslogEventFields, toSyslogSeverity } from './syslog.js';

/** Options of {@link compileSyslogMapping}. */
export interface SyslogMappingOptions {
  /** Tenant name, the `{{tenant}}` template variable. @default '' */
  tenant?: string;
  /** More template variables. @default {} */
  variables?: Readonly<Record<string, string>>;
}

/** Computes the per-record syslog header fields of a mapping. */
export type SyslogFieldsGetter = (event: EventRecord) => SyslogEventFields;

/**
 * Compiles the syslog part of a mapping (APP-NAME, PROCID, MSGID, severity, timestamp, structured
 * data) into
 * a function that gives a record's {@link SyslogEventFields}, ready for a `SyslogWrapper`.
 * Missing values are left out (the wrapper's fixed options apply); a structured data parameter
 * whose value is missing is omitted, and an element left with no parameters too.
 *
 * @example
 * ```ts
 * const fields = compileSyslogMapping(mapping.syslog!, { tenant: 'acme' });
 * const wrap = createSyslogWrapper({ facility: 'local0', hostname: 'ce-1' });
 * wrap(formatCef(event), fields(event));
 * ```
 */
export function compileSyslogMapping(
  mapping: SyslogMapping,
  options: SyslogMappingOptions = {},
): SyslogFieldsGetter {
  const variables = templateVariables(options);
  const compile = (source: SyslogMapping['appName']) =>
    source ? compileValueSource(source, variables) : undefined;
  const appName = compile(mapping.appName);
  const procId = compile(mapping.procId);
  const msgId = compile(mapping.msgId);
  const severity = compile(mapping.severity);
  const timestamp = mapping.timestamp
    ? compileValueSource({ ...mapping.timestamp, transform: 'timestamp', format: 'ms' }, variables)
    : undefined;
  const elements: Array<{ id: string; params: Array<[string, ValueGetter]> }> = [];
  for (const [id, params] of Object.entries(mapping.structuredData ?? {})) {
    const compiled: Array<[string, ValueGetter]> = [];
    for (const [name, source] of Object.entries(params))
      if (source) compiled.push([name, compileValueSource(source, variables)]);
    elements.push({ id, params: compiled });
  }
  return (event) => {
    const fields: SyslogEventFields = {};
    const app = appName?.(event);
    if (app !== undefined) fields.appName = app;
    const proc = procId?.(event);
    if (proc !== undefined) fields.procId = proc;
    const msg = msgId?.(event);
    if (msg !== undefined) fields.msgId = msg;
    const level = toSyslogSeverity(severity?.(event));
    if (level !== undefined) fields.severity = level;
    const ms = timestamp?.(event);
    if (ms !== undefined) fields.timestamp = Number(ms);
    if (elements.length > 0) {
      const sd: StructuredDataElement[] = [];
      for (const element of elements) {
        const params: Record<string, string> = {};
        let any = false;
        for (const [name, get] of element.params) {
          const value = get(event);
          if (value === undefined) continue;
          params[name] = value;
          any = true;
        }
        if (any) sd.push({ id: element.id, params });
      }
      if (sd.length > 0) fields.structuredData = sd;
    }
    return fields;
  };
}
