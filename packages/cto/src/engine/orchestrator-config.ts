/**
 * The orchestrator's configuration objects: queues, business rules, silences and maintenance
 * windows, as zod schemas whose errors name the field.
 *
 * @module
 */
import { durationSchema, ruleInputSchema, severitySchema, ticketStatuses, timestampSchema } from '@ce/core';
import { z } from 'zod';

const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-"');

const windowMeta = {
  /** Names the window for updates and removal; given by `putMaintenanceWindow`. */
  id: idSchema.optional(),
  /** Why the window exists (a change ticket, an upgrade). */
  comment: z.string().max(2_000).optional(),
};

/**
 * A maintenance window: a fixed span, or a weekly one in UTC (`days` 0 = Sunday; an `end` at or
 * before `start` runs past midnight into the next day). Ticket creation for the queue is
 * deferred to the window's end; alerts are still decided and recorded as `deferred`.
 */
export const maintenanceWindowSchema = z.union([
  z
    .object({ ...windowMeta, start: timestampSchema, end: timestampSchema })
    .refine((window) => window.end > window.start, {
      message: 'end must be after start',
      path: ['end'],
    }),
  z.object({
    ...windowMeta,
    weekly: z.object({
      days: z.array(z.number().int().min(0).max(6)).min(1),
      start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (UTC)'),
      end: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected HH:MM (UTC)'),
    }),
  }),
]);
/** A maintenance window. */
export type MaintenanceWindow = z.output<typeof maintenanceWindowSchema>;

/** A queue: where tickets go (a destination configuration and its target) and how they read. */
export const queueSchema = z.object({
  id: idSchema,
  name: z.string().min(1).max(256).optional(),
  /** The destination plugin configuration. */
  destinationConfigId: z.string().min(1),
  /** The project, table, channel or service, as the destination plugin reads it. */
  target: z.record(z.string(), z.string()).default({}),
  /** Field templates over the alert, overriding the destination's default mapping field by field. */
  mapping: z.record(z.string(), z.string().max(20_000)).default({}),
  /** The destination's status names to canonical statuses, over the plugin's defaults. */
  statusMap: z.record(z.string(), z.enum(ticketStatuses)).default({}),
  /** Canonical severities to the destination's values (`{{mappedSeverity}}`), over the plugin's defaults. */
  severityMap: z.partialRecord(severitySchema, z.string()).default({}),
  /** Whether a person must approve each new ticket before it is created. */
  approval: z.boolean().default(false),
  maintenanceWindows: z.array(maintenanceWindowSchema).default([]),
});
/** A queue as given. */
export type QueueInput = z.input<typeof queueSchema>;
/** A validated queue. */
export type Queue = z.output<typeof queueSchema>;

/** Deduplication: alerts with equal values on `fields` within `window` update the open ticket. */
export const dedupSchema = z.object({
  fields: z.array(z.string().min(1)).min(1),
  /** How long after a ticket's last alert a new equal alert still updates it. */
  window: durationSchema,
  /** How long after a ticket was closed an equal alert reopens it instead of opening another. @default 0 */
  reopenWindow: durationSchema.default(0),
});

/** Grouping: alerts sharing the values of `by` become one ticket with a summary of all of them. */
export const groupingSchema = z.object({
  by: z.array(z.string().min(1)).min(1),
  /** How long the first alert of a group waits for others before the ticket is created. */
  wait: durationSchema,
  /** How often later members are sent to the ticket, as one comment. */
  interval: durationSchema,
  /** Members listed in the ticket and in each comment (all are counted). @default 20 */
  maxListed: z.number().int().min(1).max(500).default(20),
  /** Alerts one group ticket takes; the next opens a new ticket for the group. Unlimited when absent. */
  maxAlerts: z.number().int().min(1).optional(),
});

/** An ordered business rule: a condition over the alert and the queue it routes to. */
export const businessRuleSchema = z
  .object({
    id: idSchema,
    name: z.string().min(1).max(256).optional(),
    enabled: z.boolean().default(true),
    /** A core rule (text or AST) over the alert's fields (`severity gte high and raw.policy = "DLP"`). */
    condition: ruleInputSchema,
    queueId: idSchema,
    /** Whether matching continues with the next rules (one ticket per matching rule). @default false */
    continue: z.boolean().default(false),
    dedup: dedupSchema.optional(),
    grouping: groupingSchema.optional(),
    /** The rule's alerts are recorded as muted until this time. */
    mutedUntil: timestampSchema.optional(),
  })
  .refine((rule) => !(rule.dedup && rule.grouping), {
    message: 'a rule either deduplicates or groups, not both',
    path: ['grouping'],
  });
/** A business rule as given. */
export type BusinessRuleInput = z.input<typeof businessRuleSchema>;
/** A validated business rule. */
export type BusinessRule = z.output<typeof businessRuleSchema>;

/** One matcher of a silence, as Alertmanager's: a field, an operator and a value. */
export const silenceMatcherSchema = z.object({
  field: z.string().min(1),
  op: z.enum(['=', '!=', '=~', '!~']),
  value: z.string().max(1_000),
});

/** A silence: alerts matching every matcher between `startsAt` and `endsAt` are recorded as muted. */
export const silenceSchema = z
  .object({
    id: idSchema,
    matchers: z.array(silenceMatcherSchema).min(1),
    startsAt: timestampSchema,
    endsAt: timestampSchema,
    createdBy: z.string().min(1).max(256),
    comment: z.string().max(2_000).default(''),
  })
  .refine((silence) => silence.endsAt > silence.startsAt, {
    message: 'endsAt must be after startsAt',
    path: ['endsAt'],
  });
/** A silence as given. */
export type SilenceInput = z.input<typeof silenceSchema>;
/** A validated silence. */
export type Silence = z.output<typeof silenceSchema>;

const dayMs = 86_400_000;

function minutesOf(text: string): number {
  const [hours, minutes] = text.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

/**
 * When the maintenance window in force at `now` ends, or undefined when none is. Windows that
 * touch or overlap are followed to the end of the last one, so an alert is not released into a
 * window that starts the moment another ends.
 */
export function maintenanceEnd(windows: ReadonlyArray<MaintenanceWindow>, now: number): number | undefined {
  let end: number | undefined;
  for (let guard = 0; guard < 16; guard++) {
    const at = end ?? now;
    let next: number | undefined;
    for (const window of windows) {
      const until = windowEndAt(window, at);
      if (until !== undefined && until > at && (next === undefined || until > next)) next = until;
    }
    if (next === undefined) break;
    end = next;
  }
  return end;
}

/** When one window covering `at` ends, or undefined. */
function windowEndAt(window: MaintenanceWindow, at: number): number | undefined {
  if ('start' in window) return at >= window.start && at < window.end ? window.end : undefined;
  const start = minutesOf(window.weekly.start);
  const stop = minutesOf(window.weekly.end);
  const midnight = at - (at % dayMs);
  const minute = (at - midnight) / 60_000;
  const day = new Date(midnight).getUTCDay();
  if (stop > start) {
    return window.weekly.days.includes(day) && minute >= start && minute < stop
      ? midnight + stop * 60_000
      : undefined;
  }
  // Past midnight: from `start` on a listed day to `end` on the day after.
  if (window.weekly.days.includes(day) && minute >= start) return midnight + dayMs + stop * 60_000;
  const yesterday = (day + 6) % 7;
  if (window.weekly.days.includes(yesterday) && minute < stop) return midnight + stop * 60_000;
  return undefined;
}
