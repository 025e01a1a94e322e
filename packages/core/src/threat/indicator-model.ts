import { z } from 'zod';
import { severitySchema, timestampSchema } from '../schemas/common.js';

/**
 * The threat exchange's shared model: what an indicator of compromise is, what a source says
 * about it, and how it is stored. It lives in core so that plugins (which depend on core, never on
 * module packages) and the standards package can use it.
 *
 * @module
 */

/** The indicator types the exchange handles. Identity is the pair (type, normalized value). */
export const indicatorTypes = [
  'url',
  'domain',
  'hostname',
  'ipv4',
  'ipv6',
  'ipv4-cidr',
  'ipv6-cidr',
  'md5',
  'sha1',
  'sha256',
  'email',
] as const;

/** An indicator type. */
export type IndicatorType = (typeof indicatorTypes)[number];

/** zod enum of {@link indicatorTypes}. */
export const indicatorTypeSchema = z.enum(indicatorTypes);

/**
 * Traffic Light Protocol 2.0 labels, least to most restrictive. TLP 1.0's `white` is read as
 * `clear`.
 */
export const tlpLevels = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;

/** A TLP label. */
export type Tlp = (typeof tlpLevels)[number];

/** zod schema of a TLP label; accepts `white` (TLP 1.0) and any case, yields TLP 2.0 names. */
export const tlpSchema = z
  .string()
  .transform((text) => text.trim().toLowerCase().replace(/^tlp:/, ''))
  .transform((text) => (text === 'white' ? 'clear' : text))
  .pipe(z.enum(tlpLevels));

/** Rank of a TLP label, 0 (`clear`) to 4 (`red`). */
export function tlpRank(tlp: Tlp): number {
  return tlpLevels.indexOf(tlp);
}

/** Severities an indicator can carry. */
export const indicatorSeverities = ['unknown', 'low', 'medium', 'high', 'critical'] as const;

/** An indicator severity. */
export type IndicatorSeverity = (typeof indicatorSeverities)[number];

/** zod schema of an indicator severity; `informational` (a general severity) reads as `low`. */
export const indicatorSeveritySchema = severitySchema.transform(
  (severity): IndicatorSeverity => (severity === 'informational' ? 'low' : severity),
);

/**
 * What one source reports about one indicator: the input of ingest and the output of a source
 * plugin's `pull`. Only `value` is required; the type is inferred when absent.
 */
export const indicatorReportSchema = z.object({
  /** The value as the source gave it; it is refanged and normalized on ingest. */
  value: z.string().min(1).max(16_384),
  type: indicatorTypeSchema.optional(),
  severity: indicatorSeveritySchema.optional(),
  /** 1 (benign) to 10 (malicious). @default 5 */
  reputation: z.number().int().min(1).max(10).optional(),
  /** 0 to 100. */
  confidence: z.number().int().min(0).max(100).optional(),
  tags: z.array(z.string().trim().min(1).max(128)).max(64).optional(),
  comments: z.string().max(4_096).optional(),
  /** A link to the source's page about the indicator. */
  externalUrl: z.url().max(2_048).optional(),
  /** The source says the indicator is benign (an allow verdict). */
  safe: z.boolean().optional(),
  /** A test indicator, never shared. */
  test: z.boolean().optional(),
  tlp: tlpSchema.optional(),
  firstSeen: timestampSchema.optional(),
  lastSeen: timestampSchema.optional(),
  /** The source's own expiry for the indicator. */
  expiresAt: timestampSchema.optional(),
  /** Hits the source counted. */
  hits: z.number().int().nonnegative().optional(),
});

/** Input form of {@link indicatorReportSchema}. */
export type IndicatorReportInput = z.input<typeof indicatorReportSchema>;
/** A validated source report. */
export type IndicatorReport = z.output<typeof indicatorReportSchema>;

/** The identity of an indicator. */
export interface IndicatorKey {
  type: IndicatorType;
  /** Normalized value. */
  value: string;
}

/** The canonical string form of a key, `type:value`, for maps and per-item results. */
export function indicatorKeyString(key: IndicatorKey): string {
  return `${key.type}:${key.value}`;
}

/** What one source said about a stored indicator, merged over all its reports. */
export interface SourceRecord {
  /** The source configuration id (or an ingest caller's source name). */
  sourceId: string;
  firstSeen: number;
  lastSeen: number;
  severity: IndicatorSeverity;
  reputation: number;
  confidence?: number;
  tags: string[];
  comments?: string;
  externalUrl?: string;
  safe: boolean;
  test: boolean;
  tlp?: Tlp;
  hits: number;
  /** The source's own expiry, if it gave one. */
  expiresAt?: number;
  /** When the exchange last received a report of it from this source (the exchange's clock). */
  reportedAt?: number;
  /** Set when a full-list source stopped reporting it. */
  withdrawnAt?: number;
}

/** Why the merged view says safe or malicious when sources disagree. */
export interface VerdictDecision {
  /** The source whose verdict won. */
  sourceId: string;
  verdict: 'safe' | 'malicious';
  /** Sources overruled. */
  overruled: string[];
  reason: string;
}

/** The merged view of an indicator, computed from its source records by the reconciliation policy. */
export interface MergedIndicator {
  severity: IndicatorSeverity;
  reputation: number;
  confidence?: number;
  tags: string[];
  comments?: string;
  externalUrl?: string;
  safe: boolean;
  test: boolean;
  /** The most restrictive TLP any source gave. */
  tlp?: Tlp;
  firstSeen: number;
  lastSeen: number;
  /** Set when sources disagreed on safe versus malicious. */
  verdict?: VerdictDecision;
}

/** Sightings of an indicator by one system. */
export interface SightingSummary {
  /** The system that saw it (`netskope-prod`, `edr`, a host name). */
  system: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

/** A warninglist that suppressed an indicator. */
export interface Suppression {
  listId: string;
  listName: string;
  /** The list entry that matched, when known. */
  entry?: string;
}

/** An indicator as stored. */
export interface StoredIndicator extends IndicatorKey {
  /** One record per source that reported it, ordered by source id. */
  sources: SourceRecord[];
  merged: MergedIndicator;
  /** Inactive indicators (expired, withdrawn, safe) are not shared and are retracted. */
  active: boolean;
  /** Why it is inactive. */
  inactiveReason?: 'expired' | 'withdrawn' | 'safe' | 'decayed' | 'manual';
  inactiveSince?: number;
  expiresAt?: number;
  /** Decay score (0-100) under the decay model, when one is configured. */
  decayScore?: number;
  /** Set when a warninglist matched; a suppressed indicator is kept but never shared. */
  suppressedBy?: Suppression;
  sightings: { total: number; systems: SightingSummary[] };
  createdAt: number;
  updatedAt: number;
  /**
   * Change sequence, assigned by the store on every write and increasing across the whole store,
   * so that "what changed since N" is an index range scan.
   */
  sequence: number;
}

/** Where an indicator stands with one destination. */
export type DestinationStatus = 'pending' | 'shared' | 'failed' | 'retracted';

/** The state of one indicator at one destination (a destination is a configuration + action). */
export interface DestinationState extends IndicatorKey {
  destinationId: string;
  status: DestinationStatus;
  /** The sharing rule that sent it. */
  ruleId?: string;
  /** Fingerprint of the content last sent, to skip unchanged indicators. */
  sentFingerprint?: string;
  sharedAt?: number;
  retractedAt?: number;
  lastAttemptAt?: number;
  attempts: number;
  lastError?: { code: string; message: string };
  updatedAt: number;
}
