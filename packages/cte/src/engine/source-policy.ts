import { durationSchema, type IndicatorType, indicatorTypeSchema } from '@ce/core';
import { z } from 'zod';

/**
 * How far the exchange trusts a source and how it treats what the source reports. Sources are
 * plugin configurations (or names an ingest caller uses).
 */
export const sourcePolicySchema = z
  .object({
    /**
     * Trust rank: 1 is the most trusted. When sources disagree on safe versus malicious, the
     * lowest rank decides; for the `most-trusted` strategy, the lowest rank's values win.
     * @default 100
     */
    rank: z.number().int().min(1).max(1_000).default(100),
    /**
     * Weight in weighted averages (reputation, confidence), 0 to 1.
     * @default 1
     */
    weight: z.number().min(0).max(1).default(1),
    /**
     * `append`: tags from new reports add to the tags this source gave before; `overwrite`: each
     * report's tags replace them.
     * @default 'append'
     */
    tagMode: z.enum(['append', 'overwrite']).default('append'),
    /** Expiry of this source's indicators after they were last seen, overriding the type default. */
    expiry: durationSchema.optional(),
    /** Reputation given to reports that carry none (1-10). @default 5 */
    defaultReputation: z.number().int().min(1).max(10).default(5),
    /** Tags added to every indicator this source reports. */
    tags: z.array(z.string().min(1).max(128)).max(32).default([]),
  })
  .strict();

/** A source's policy, as stored. */
export type SourcePolicy = z.output<typeof sourcePolicySchema>;
/** A source's policy, as given. */
export type SourcePolicyInput = z.input<typeof sourcePolicySchema>;

/** The policy of a source nobody configured. */
export const defaultSourcePolicy: SourcePolicy = sourcePolicySchema.parse({});

/** How the merged view chooses severity and reputation among sources. */
export const mergeStrategies = ['latest', 'highest', 'most-trusted'] as const;

/** A merge strategy: the latest report, the highest value, or the most trusted source's. */
export type MergeStrategy = (typeof mergeStrategies)[number];

/** Options of the threat exchange engine that shape what is stored. */
export const indicatorPolicySchema = z
  .object({
    /** @default 'latest' */
    severityStrategy: z.enum(mergeStrategies).default('latest'),
    /** @default 'latest' */
    reputationStrategy: z.enum(mergeStrategies).default('latest'),
    /**
     * Expiry after last seen, per type; `default` for the others.
     * @default { default: '90d' }
     */
    expiry: z
      .object({ default: durationSchema.default(90 * 86_400_000) })
      .catchall(durationSchema)
      .default({ default: 90 * 86_400_000 })
      .superRefine((value, context) => {
        for (const key of Object.keys(value)) {
          if (key !== 'default' && !indicatorTypeSchema.safeParse(key).success) {
            context.addIssue({ code: 'custom', path: [key], message: `unknown indicator type "${key}"` });
          }
        }
      }),
    /**
     * How long inactive indicators are kept before they are purged (unless a retraction is still
     * owed to a destination).
     * @default '30d'
     */
    retention: durationSchema.default(30 * 86_400_000),
  })
  .strict();

/** The indicator policy, as stored. */
export type IndicatorPolicy = z.output<typeof indicatorPolicySchema>;
/** The indicator policy, as given. */
export type IndicatorPolicyInput = z.input<typeof indicatorPolicySchema>;

/** Expiry (milliseconds after last seen) for an indicator of `type` reported by a source with `policy`. */
export function expiryFor(
  indicatorPolicy: IndicatorPolicy,
  sourcePolicy: SourcePolicy,
  type: IndicatorType,
): number {
  return (
    sourcePolicy.expiry ??
    (indicatorPolicy.expiry as Record<string, number>)[type] ??
    indicatorPolicy.expiry.default
  );
}
