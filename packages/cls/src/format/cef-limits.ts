/**
 * Value lengths (in characters) that the ArcSight CEF key dictionary sets for its standard
 * extension keys. A formatter cuts a value to its key's limit so that a receiver does not drop
 * or mangle the event; a key absent here gets the formatter's `defaultValueLimit`.
 */
export const cefKeyLimits: Readonly<Record<string, number>> = {
  act: 63,
  app: 31,
  cat: 1023,
  cs1: 4000,
  cs2: 4000,
  cs3: 4000,
  cs4: 4000,
  cs5: 4000,
  cs6: 4000,
  cs1Label: 1023,
  cs2Label: 1023,
  cs3Label: 1023,
  cs4Label: 1023,
  cs5Label: 1023,
  cs6Label: 1023,
  cn1Label: 1023,
  cn2Label: 1023,
  cn3Label: 1023,
  cfp1Label: 1023,
  cfp2Label: 1023,
  cfp3Label: 1023,
  cfp4Label: 1023,
  deviceCustomDate1Label: 1023,
  deviceCustomDate2Label: 1023,
  destinationDnsDomain: 255,
  destinationServiceName: 1023,
  deviceDnsDomain: 255,
  deviceExternalId: 255,
  deviceFacility: 1023,
  deviceInboundInterface: 128,
  deviceNtDomain: 255,
  deviceOutboundInterface: 128,
  devicePayloadId: 128,
  deviceProcessName: 1023,
  deviceTimeZone: 255,
  dhost: 1023,
  dntdom: 255,
  dpriv: 1023,
  dproc: 1023,
  duid: 1023,
  duser: 1023,
  dvchost: 100,
  externalId: 40,
  fileHash: 255,
  fileId: 1023,
  filePath: 1023,
  filePermission: 1023,
  fileType: 1023,
  fname: 1023,
  msg: 1023,
  oldFileHash: 255,
  oldFileName: 1023,
  oldFilePath: 1023,
  oldFileType: 1023,
  outcome: 63,
  proto: 31,
  reason: 1023,
  request: 1023,
  requestClientApplication: 1023,
  requestContext: 2048,
  requestCookies: 1023,
  requestMethod: 1023,
  shost: 1023,
  sntdom: 255,
  sourceDnsDomain: 255,
  sourceServiceName: 1023,
  spriv: 1023,
  sproc: 1023,
  suid: 1023,
  suser: 1023,
};

/** Header field limits: Device Vendor, Product and Version, Event Class ID, Name. */
export const cefHeaderLimits = {
  vendor: 63,
  product: 63,
  version: 31,
  eventClassId: 1023,
  name: 512,
} as const;

const severityWords: Readonly<Record<string, string>> = {
  unknown: 'Unknown',
  low: 'Low',
  info: 'Low',
  informational: 'Low',
  minor: 'Low',
  med: 'Medium',
  medium: 'Medium',
  moderate: 'Medium',
  high: 'High',
  major: 'High',
  critical: 'Very-High',
  'very-high': 'Very-High',
  'very high': 'Very-High',
  veryhigh: 'Very-High',
};

/**
 * A CEF severity from any value: an integer 0-10 passes (others are clamped and rounded), a word
 * maps to Unknown, Low, Medium, High or Very-High (Netskope's `critical` is Very-High, `info` is
 * Low), anything else is `Unknown`.
 */
export function normalizeCefSeverity(value: string | undefined): string {
  if (value === undefined) return 'Unknown';
  const number = value.trim() === '' ? Number.NaN : Number(value);
  if (Number.isFinite(number)) return String(Math.min(10, Math.max(0, Math.round(number))));
  return severityWords[value.trim().toLowerCase()] ?? 'Unknown';
}
