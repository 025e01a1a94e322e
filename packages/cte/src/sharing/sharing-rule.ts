import { durationSchema, identifierSchema, ruleInputSchema, timestampSchema, tlpSchema } from '@ce/core';
import { z } from 'zod';

/**
 * A sharing rule: which indicators go to which destination, with which action, how often. One
 * rule shares one way; two rules make an exchange bidirectional.
 */
export const sharingRuleInputSchema = z
  .object({
    id: identifierSchema,
    name: z.string().min(1).max(200).optional(),
    enabled: z.boolean().default(true),
    /** Source configuration ids whose indicators this rule shares; empty shares from every source. */
    sources: z.array(z.string().min(1)).max(200).default([]),
    /** A saved list whose rule the indicators must also match. */
    list: z.string().min(1).max(128).optional(),
    /** A rule over the shared view (`type`, `value`, `severity`, `reputation`, `tags`, `sources`, ...). */
    filter: ruleInputSchema.optional(),
    /** Indicators matching any of these rules are not shared. */
    exceptions: z.array(ruleInputSchema).max(50).default([]),
    destination: z
      .object({
        /** The destination plugin configuration. */
        configId: z.string().min(1),
        /** One of the destination's actions. */
        action: z.string().min(1),
        /** The action's parameters, validated against its schema. */
        parameters: z.record(z.string(), z.unknown()).default({}),
      })
      .strict(),
    /**
     * `incremental` sends what is new or changed for the destination; `full` re-sends the whole
     * matching set (destinations that replace a list are always shared in full).
     * @default 'incremental'
     */
    mode: z.enum(['incremental', 'full']).default('incremental'),
    /** How often the rule runs. @default '5m' */
    interval: durationSchema.default(300_000),
    /** Nothing is shared until this time. */
    mutedUntil: timestampSchema.optional(),
    /**
     * The most restrictive TLP that may leave the exchange through this rule.
     * @default 'amber+strict' (nothing marked TLP:RED is shared)
     */
    maxTlp: tlpSchema.default('amber+strict'),
    /** Share back to the system an indicator came from. @default false */
    allowEcho: z.boolean().default(false),
  })
  .strict();

/** A sharing rule, as given. */
export type SharingRuleInput = z.input<typeof sharingRuleInputSchema>;

/** A sharing rule, as stored. */
export type SharingRule = z.output<typeof sharingRuleInputSchema> & {
  createdAt: number;
  updatedAt: number;
};

/** Saved selection of indicators, e.g. `Phishing_URLs`, that rules and exports refer to. */
export const indicatorListInputSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-"'),
    description: z.string().max(1_000).optional(),
    rule: ruleInputSchema,
  })
  .strict();

/** A saved list, as given. */
export type IndicatorListInput = z.input<typeof indicatorListInputSchema>;

/** A saved list, as stored. */
export type IndicatorList = z.output<typeof indicatorListInputSchema> & {
  createdAt: number;
  updatedAt: number;
};
