import {
  CeError,
  type EventRecord,
  type LogFormat,
  type LogStream,
  type RuleEngine,
  type RulePredicate,
} from '@ce/core';
import { compileCefFormatter } from '../format/cef.js';
import { compileJsonLineFormatter } from '../format/json-line.js';
import { compileLeefFormatter } from '../format/leef.js';
import { createSyslogWrapper, type SyslogFacility, type SyslogSeverity } from '../format/syslog.js';
import { compileSyslogMapping } from '../format/syslog-mapping.js';
import { defaultMappings } from '../mapping/default-mappings.js';
import { mergeMappings, resolveMapping } from '../mapping/load-mapping.js';
import type { MappingSet, SubtypeMapping } from '../mapping/mapping-schema.js';
import type { ResolvedRoute } from './shipper-options.js';

/** A route compiled for one stream. */
export interface CompiledRoute {
  route: ResolvedRoute;
  format: LogFormat;
  /** Whether the record passes the route's filter (always, without one). */
  accepts: (record: EventRecord) => boolean;
  /** The record as the sinks receive it; may throw for a record it cannot format. */
  render: (record: EventRecord) => string;
}

const mappingsByRoute = new WeakMap<ResolvedRoute, MappingSet>();

function mappingsOf(route: ResolvedRoute): MappingSet {
  let set = mappingsByRoute.get(route);
  if (!set) {
    set = route.mapping ? mergeMappings(defaultMappings, route.mapping) : defaultMappings;
    mappingsByRoute.set(route, set);
  }
  return set;
}

function subtypeMapping(route: ResolvedRoute, stream: LogStream): SubtypeMapping {
  return resolveMapping(mappingsOf(route), stream.kind === 'alert' ? 'alerts' : 'events', stream.type);
}

function noMapping(route: ResolvedRoute, stream: LogStream, format: string): CeError {
  return new CeError(
    'CONFIG_INVALID',
    `route "${route.id}": no ${format} mapping for ${stream.kind}s/${stream.type}; add one in the route's mapping`,
    { details: { route: route.id, stream: stream.id } },
  );
}

function bodyFormatter(
  route: ResolvedRoute,
  stream: LogStream,
  body: 'cef' | 'leef' | 'json',
): (record: EventRecord) => string {
  if (body === 'json') return compileJsonLineFormatter(route.jsonFields ? { fields: route.jsonFields } : {});
  let mapping: SubtypeMapping;
  try {
    mapping = subtypeMapping(route, stream);
  } catch {
    throw noMapping(route, stream, body === 'cef' ? 'CEF' : 'LEEF');
  }
  if (body === 'cef') {
    if (!mapping.cef) throw noMapping(route, stream, 'CEF');
    return compileCefFormatter(mapping.cef, { tenant: route.tenant });
  }
  if (!mapping.leef) throw noMapping(route, stream, 'LEEF');
  return compileLeefFormatter(mapping.leef, {
    tenant: route.tenant,
    ...(route.leef?.version ? { version: route.leef.version } : {}),
    ...(route.leef?.delimiter ? { delimiter: route.leef.delimiter } : {}),
  });
}

/**
 * Compiles a route for one stream: its filter, its mapping for the stream's type and its
 * formatter, once, so that each record costs a predicate call and a formatter call.
 *
 * @throws CeError (`CONFIG_INVALID`) when the mappings have nothing for the stream's type, or
 * `ConfigError` for bad LEEF or syslog options.
 */
export function compileRoute(route: ResolvedRoute, stream: LogStream, rules: RuleEngine): CompiledRoute {
  const predicate: RulePredicate | undefined = route.filter ? rules.compile(route.filter) : undefined;
  const accepts = predicate ? (record: EventRecord) => predicate(record) : () => true;
  if (route.format !== 'syslog') {
    return { route, format: route.format, accepts, render: bodyFormatter(route, stream, route.format) };
  }
  const body = bodyFormatter(route, stream, route.syslogBody ?? 'cef');
  const options = route.syslog ?? {};
  const wrap = createSyslogWrapper({
    ...(options.format ? { format: options.format } : {}),
    ...(options.facility !== undefined ? { facility: options.facility as SyslogFacility } : {}),
    ...(options.severity !== undefined ? { severity: options.severity as SyslogSeverity } : {}),
    ...(options.hostname ? { hostname: options.hostname } : {}),
    ...(options.appName ? { appName: options.appName } : {}),
    ...(options.maxLineBytes ? { maxLineBytes: options.maxLineBytes } : {}),
  });
  let fields: ReturnType<typeof compileSyslogMapping> | undefined;
  try {
    const mapping = subtypeMapping(route, stream).syslog;
    if (mapping) fields = compileSyslogMapping(mapping, { tenant: route.tenant });
  } catch (error) {
    // A JSON body needs no mapping; without one the header is the route's fixed options.
    if (!(CeError.isInstance(error) && error.code === 'NOT_FOUND')) throw error;
  }
  return {
    route,
    format: 'syslog',
    accepts,
    render: fields
      ? (record) => wrap(body(record), (fields as NonNullable<typeof fields>)(record))
      : (record) => wrap(body(record)),
  };
}

/** Whether a route reads a stream. */
export function routeReads(route: ResolvedRoute, stream: LogStream): boolean {
  const kinds = route.streams?.kinds;
  const types = route.streams?.types;
  return (!kinds || kinds.includes(stream.kind)) && (!types || types.includes(stream.type));
}
