import { z } from 'zod';
import { tlp1MarkingIds, tlp2ExtensionId } from '../markings/tlp-ids.js';
import {
  externalReferenceSchema,
  granularMarkingSchema,
  identifierOfSchema,
  markingExtensionsSchema,
  stixObjectSchema,
  timestampSchema,
} from './common.js';

/**
 * The `marking-definition` object: statement markings, TLP 1.0 (`definition_type: 'tlp'`) and TLP
 * 2.0 (the TLP 2.0 extension, no `definition_type`).
 *
 * @module
 */

const tlp1Levels = Object.keys(tlp1MarkingIds) as Array<keyof typeof tlp1MarkingIds>;
const tlp2Levels = ['clear', 'green', 'amber', 'amber+strict', 'red'];

/** zod schema of a `marking-definition`. */
export const markingDefinitionSchema = stixObjectSchema(
  {
    type: z.literal('marking-definition'),
    spec_version: z.literal('2.1', { error: 'must be "2.1"' }),
    id: identifierOfSchema('marking-definition'),
    created_by_ref: identifierOfSchema('identity').optional(),
    // Unlike SDOs, the schema does not demand millisecond precision here.
    created: timestampSchema,
    external_references: z.array(externalReferenceSchema).min(1).optional(),
    object_marking_refs: z.array(identifierOfSchema('marking-definition')).min(1).optional(),
    granular_markings: z.array(granularMarkingSchema).min(1).optional(),
    extensions: markingExtensionsSchema.optional(),
    name: z.string().optional(),
    definition_type: z.string().optional(),
    definition: z.record(z.string(), z.unknown()).optional(),
  },
  (marking, ctx) => {
    const { definition_type: definitionType, definition } = marking;
    if (marking.extensions === undefined) {
      if (definitionType === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['definition_type'],
          message: 'is required without extensions',
        });
      if (definition === undefined)
        ctx.addIssue({ code: 'custom', path: ['definition'], message: 'is required without extensions' });
    }
    if (
      definitionType === 'statement' &&
      definition !== undefined &&
      typeof definition.statement !== 'string'
    )
      ctx.addIssue({ code: 'custom', path: ['definition', 'statement'], message: 'must be a string' });
    if (definitionType === 'tlp' && definition !== undefined) {
      const level = definition.tlp;
      if (!tlp1Levels.includes(level as (typeof tlp1Levels)[number]))
        ctx.addIssue({
          code: 'custom',
          path: ['definition', 'tlp'],
          message: 'must be white, green, amber or red',
        });
      else if (marking.id !== tlp1MarkingIds[level as (typeof tlp1Levels)[number]])
        ctx.addIssue({
          code: 'custom',
          path: ['id'],
          message: `a TLP 1.0 marking must use the predefined id of TLP:${String(level).toUpperCase()}`,
        });
    }
    const tlp2 = marking.extensions?.[tlp2ExtensionId];
    if (typeof tlp2 === 'object' && tlp2 !== null) {
      const level = (tlp2 as Record<string, unknown>).tlp_2_0;
      if (!tlp2Levels.includes(level as string))
        ctx.addIssue({
          code: 'custom',
          path: ['extensions', tlp2ExtensionId, 'tlp_2_0'],
          message: `must be one of ${tlp2Levels.join(', ')}`,
        });
      if ((tlp2 as Record<string, unknown>).extension_type !== 'property-extension')
        ctx.addIssue({
          code: 'custom',
          path: ['extensions', tlp2ExtensionId, 'extension_type'],
          message: 'must be "property-extension"',
        });
    }
  },
);

/** A `marking-definition`. */
export type StixMarkingDefinition = z.output<typeof markingDefinitionSchema>;

/** zod schema of a bundle's envelope (the objects are validated one by one). */
export const bundleEnvelopeSchema = z.looseObject({
  type: z.literal('bundle', { error: 'must be "bundle"' }),
  id: identifierOfSchema('bundle'),
  objects: z.array(z.unknown()).optional(),
});
