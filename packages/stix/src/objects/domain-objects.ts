import { z } from 'zod';
import {
  checkOrder,
  domainObjectCommonShape,
  identifierNotOfSchema,
  identifierOfSchema,
  identifierSchema,
  killChainPhaseSchema,
  stixObjectSchema,
  stringListSchema,
  timestampSchema,
} from './common.js';

/**
 * STIX Domain Objects (SDOs) and Relationship Objects (SROs) the package models. Other SDO types
 * are validated on their common properties only and pass through.
 *
 * @module
 */

/** zod schema of an `indicator`. */
export const indicatorSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('indicator'),
    name: z.string().optional(),
    description: z.string().optional(),
    indicator_types: stringListSchema.optional(),
    pattern: z.string(),
    pattern_type: z.string(),
    pattern_version: z.string().optional(),
    valid_from: timestampSchema,
    valid_until: timestampSchema.optional(),
    kill_chain_phases: z.array(killChainPhaseSchema).min(1).optional(),
  },
  (indicator, ctx) => {
    checkOrder(indicator, 'created', 'modified', false, ctx);
    checkOrder(indicator, 'valid_from', 'valid_until', true, ctx);
  },
);

/** zod schema of a `malware`. */
export const malwareSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('malware'),
    name: z.string().optional(),
    description: z.string().optional(),
    malware_types: stringListSchema.optional(),
    is_family: z.boolean(),
    aliases: stringListSchema.optional(),
    kill_chain_phases: z.array(killChainPhaseSchema).min(1).optional(),
    first_seen: timestampSchema.optional(),
    last_seen: timestampSchema.optional(),
    operating_system_refs: z.array(identifierOfSchema('software')).min(1).optional(),
    architecture_execution_envs: stringListSchema.optional(),
    implementation_languages: stringListSchema.optional(),
    capabilities: stringListSchema.optional(),
    sample_refs: z.array(identifierOfSchema('file', 'artifact')).min(1).optional(),
  },
  (malware, ctx) => {
    checkOrder(malware, 'created', 'modified', false, ctx);
    checkOrder(malware, 'first_seen', 'last_seen', false, ctx);
    if (malware.is_family && malware.name === undefined)
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'is required when is_family is true' });
  },
);

/** zod schema of a `threat-actor`. */
export const threatActorSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('threat-actor'),
    name: z.string(),
    description: z.string().optional(),
    threat_actor_types: stringListSchema.optional(),
    aliases: stringListSchema.optional(),
    first_seen: timestampSchema.optional(),
    last_seen: timestampSchema.optional(),
    roles: stringListSchema.optional(),
    goals: stringListSchema.optional(),
    sophistication: z.string().optional(),
    resource_level: z.string().optional(),
    primary_motivation: z.string().optional(),
    secondary_motivations: stringListSchema.optional(),
    personal_motivations: stringListSchema.optional(),
  },
  (actor, ctx) => {
    checkOrder(actor, 'created', 'modified', false, ctx);
    checkOrder(actor, 'first_seen', 'last_seen', false, ctx);
  },
);

/** zod schema of an `intrusion-set`. */
export const intrusionSetSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('intrusion-set'),
    name: z.string(),
    description: z.string().optional(),
    aliases: stringListSchema.optional(),
    first_seen: timestampSchema.optional(),
    last_seen: timestampSchema.optional(),
    goals: stringListSchema.optional(),
    resource_level: z.string().optional(),
    primary_motivation: z.string().optional(),
    secondary_motivations: stringListSchema.optional(),
  },
  (set, ctx) => {
    checkOrder(set, 'created', 'modified', false, ctx);
    checkOrder(set, 'first_seen', 'last_seen', false, ctx);
  },
);

/** zod schema of an `attack-pattern`. */
export const attackPatternSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('attack-pattern'),
    name: z.string(),
    description: z.string().optional(),
    aliases: z.array(z.string()).optional(),
    kill_chain_phases: z.array(killChainPhaseSchema).min(1).optional(),
  },
  (pattern, ctx) => checkOrder(pattern, 'created', 'modified', false, ctx),
);

/** zod schema of an `identity`. */
export const identitySchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('identity'),
    name: z.string(),
    description: z.string().optional(),
    roles: stringListSchema.optional(),
    identity_class: z.string().optional(),
    sectors: stringListSchema.optional(),
    contact_information: z.string().optional(),
  },
  (identity, ctx) => checkOrder(identity, 'created', 'modified', false, ctx),
);

/** zod schema of a `report`. */
export const reportSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('report'),
    name: z.string(),
    description: z.string().optional(),
    report_types: stringListSchema.optional(),
    published: timestampSchema,
    object_refs: z.array(identifierSchema).min(1, 'must list at least one object'),
  },
  (report, ctx) => checkOrder(report, 'created', 'modified', false, ctx),
);

const notRelatable = ['relationship', 'sighting', 'bundle', 'marking-definition', 'language-content'];

/** zod schema of a `relationship`. */
export const relationshipSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('relationship'),
    relationship_type: z.string().regex(/^[a-z0-9-]+$/, 'must be lowercase letters, digits and "-"'),
    description: z.string().optional(),
    source_ref: identifierNotOfSchema(...notRelatable),
    target_ref: identifierNotOfSchema(...notRelatable),
    start_time: timestampSchema.optional(),
    stop_time: timestampSchema.optional(),
  },
  (relationship, ctx) => {
    checkOrder(relationship, 'created', 'modified', false, ctx);
    checkOrder(relationship, 'start_time', 'stop_time', true, ctx);
  },
);

/** zod schema of a `sighting`. */
export const sightingSchema = stixObjectSchema(
  {
    ...domainObjectCommonShape,
    type: z.literal('sighting'),
    description: z.string().optional(),
    first_seen: timestampSchema.optional(),
    last_seen: timestampSchema.optional(),
    count: z.number().int().min(0).max(999_999_999).optional(),
    sighting_of_ref: identifierNotOfSchema(...notRelatable),
    observed_data_refs: z.array(identifierOfSchema('observed-data')).min(1).optional(),
    where_sighted_refs: z.array(identifierOfSchema('identity', 'location')).min(1).optional(),
    summary: z.boolean().optional(),
  },
  (sighting, ctx) => {
    checkOrder(sighting, 'created', 'modified', false, ctx);
    checkOrder(sighting, 'first_seen', 'last_seen', false, ctx);
  },
);

/** An `indicator`. */
export type StixIndicator = z.output<typeof indicatorSchema>;
/** A `malware`. */
export type StixMalware = z.output<typeof malwareSchema>;
/** A `threat-actor`. */
export type StixThreatActor = z.output<typeof threatActorSchema>;
/** An `intrusion-set`. */
export type StixIntrusionSet = z.output<typeof intrusionSetSchema>;
/** An `attack-pattern`. */
export type StixAttackPattern = z.output<typeof attackPatternSchema>;
/** An `identity`. */
export type StixIdentity = z.output<typeof identitySchema>;
/** A `report`. */
export type StixReport = z.output<typeof reportSchema>;
/** A `relationship`. */
export type StixRelationship = z.output<typeof relationshipSchema>;
/** A `sighting`. */
export type StixSighting = z.output<typeof sightingSchema>;

/** The SDO types defined by STIX 2.1. */
export const domainObjectTypes = [
  'attack-pattern',
  'campaign',
  'course-of-action',
  'grouping',
  'identity',
  'incident',
  'indicator',
  'infrastructure',
  'intrusion-set',
  'location',
  'malware',
  'malware-analysis',
  'note',
  'observed-data',
  'opinion',
  'report',
  'threat-actor',
  'tool',
  'vulnerability',
] as const;

/** The SRO types defined by STIX 2.1. */
export const relationshipObjectTypes = ['relationship', 'sighting'] as const;
