/**
 * Cloud Log Shipper: mappings from Netskope events and alerts to SIEM formats (CEF, LEEF, syslog
 * RFC 5424 / RFC 3164, JSON lines), with the default mappings for every Netskope event and alert
 * subtype. The polling pipeline and the sinks build on these.
 *
 * @module @ce/cls
 */

// Formats
export type { CefFormatOptions, CefFormatter } from './format/cef.js';
export { compileCefFormatter, toCef } from './format/cef.js';
export { cefHeaderLimits, cefKeyLimits, normalizeCefSeverity } from './format/cef-limits.js';
export {
  escapeCefValue,
  escapeHeader,
  escapeLeefValue,
  escapeLineBreaks,
  escapeSdParamValue,
  toPrintUsAscii,
} from './format/escape.js';
export { frameNewline, frameOctetCounting } from './format/framing.js';
export type { JsonLineFormatter, JsonLineOptions } from './format/json-line.js';
export { compileJsonLineFormatter, toJsonLine } from './format/json-line.js';
export type { LeefFormatOptions, LeefFormatter } from './format/leef.js';
export { compileLeefFormatter, toLeef } from './format/leef.js';
export type {
  SdParamValue,
  StructuredDataElement,
  SyslogEventFields,
  SyslogFacility,
  SyslogOptions,
  SyslogSeverity,
  SyslogWrapper,
} from './format/syslog.js';
export {
  createSyslogWrapper,
  formatStructuredData,
  syslogFacilities,
  syslogSeverities,
  toSyslog,
  toSyslogSeverity,
} from './format/syslog.js';
export type { SyslogFieldsGetter, SyslogMappingOptions } from './format/syslog-mapping.js';
export { compileSyslogMapping } from './format/syslog-mapping.js';
// Mappings
export type {
  EventRecord,
  FieldGetter,
  TemplateVariables,
  ValueGetter,
} from './mapping/compile-value.js';
export { compileFieldPath, compileValueSource } from './mapping/compile-value.js';
export { defaultMappings } from './mapping/default-mappings.js';
export { loadMapping, mergeMappings, resolveMapping } from './mapping/load-mapping.js';
export type {
  CefHeaderMapping,
  CefMapping,
  KeyMap,
  LeefHeaderMapping,
  LeefMapping,
  MappingSet,
  SourceType,
  SubtypeMapping,
  SyslogMapping,
  TimestampFormat,
  ValueSource,
  ValueTransform,
} from './mapping/mapping-schema.js';
export {
  alertSubtypes,
  eventSubtypes,
  mappingSetSchema,
  timestampFormats,
  valueSourceSchema,
  valueTransforms,
} from './mapping/mapping-schema.js';
export {
  stringifyValue,
  toEpochMs,
  toFloatText,
  toIntegerText,
  toIpText,
  toMacText,
  toTimestampText,
} from './mapping/transforms.js';
// Shipper
export type { DeadLetter } from './shipper/dead-letter-store.js';
export type {
  DeadLetterFilter,
  LogShipperMetric,
  LogShipperStatus,
  RedriveReport,
  SinkState,
  SinkStatus,
  SourceStatus,
  StreamState,
  StreamStatus,
} from './shipper/log-shipper.js';
export { LogShipper } from './shipper/log-shipper.js';
export type {
  LogBatchDeliveredEvent,
  LogDeadLetteredEvent,
  LogDeliveryFailedEvent,
  LogFetchFailedEvent,
  LogPageFetchedEvent,
  LogShipperEvents,
  ShipperErrorInfo,
} from './shipper/log-shipper-events.js';
export { logShipper } from './shipper/log-shipper-module.js';
export type {
  LogRoute,
  LogRouteStreams,
  LogRouteSyslogOptions,
  LogShipperOptions,
  SpoolOpener,
} from './shipper/shipper-options.js';
export { validateLogShipperOptions } from './shipper/shipper-options.js';
// Spool
export type { DiskSpool, DiskSpoolOptions, DiskSpoolRecovery } from './spool/disk-spool.js';
export { openDiskSpool } from './spool/disk-spool.js';
export type { MemorySpoolOptions } from './spool/memory-spool.js';
export { createMemorySpool } from './spool/memory-spool.js';
export type { Spool, SpoolEntry } from './spool/spool.js';
export { spoolFrameBytes } from './spool/spool.js';
