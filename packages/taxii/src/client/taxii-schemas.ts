import { z } from 'zod';

const stringList = z.array(z.string());

/** Discovery resource (2.0 and 2.1 share it). */
export const discoverySchema = z.looseObject({
  title: z.string(),
  description: z.string().optional(),
  contact: z.string().optional(),
  default: z.string().optional(),
  api_roots: stringList.optional(),
});

/** API root resource. */
export const apiRootSchema = z.looseObject({
  title: z.string(),
  description: z.string().optional(),
  versions: stringList.default([]),
  max_content_length: z.number().int().nonnegative(),
});

/** Either a discovery or an API root: what the client's own URL serves. */
export const entrySchema = z.looseObject({
  title: z.string().optional(),
  api_roots: stringList.optional(),
  versions: stringList.optional(),
  max_content_length: z.number().optional(),
});

/** Collection resource. */
export const collectionSchema = z.looseObject({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  alias: z.string().optional(),
  can_read: z.boolean(),
  can_write: z.boolean(),
  media_types: stringList.optional(),
});

/** Collections resource; `collections` is absent when there are none. */
export const collectionsSchema = z.looseObject({ collections: z.array(collectionSchema).optional() });

const stixObjectSchema = z.looseObject({ id: z.string(), type: z.string() });

/** TAXII 2.1 envelope. */
export const envelopeSchema = z.looseObject({
  more: z.boolean().optional(),
  next: z.string().optional(),
  objects: z.array(stixObjectSchema).optional(),
});

/** STIX 2.0 bundle (a TAXII 2.0 objects response). */
export const bundleSchema = z.looseObject({
  type: z.string().optional(),
  objects: z.array(stixObjectSchema).optional(),
});

/** TAXII 2.1 manifest; TAXII 2.0 entries carry `versions` and `media_types` lists instead. */
export const manifestSchema = z.looseObject({
  more: z.boolean().optional(),
  next: z.string().optional(),
  objects: z
    .array(
      z.looseObject({
        id: z.string(),
        date_added: z.string().optional(),
        version: z.string().optional(),
        versions: stringList.optional(),
        media_type: z.string().optional(),
        media_types: stringList.optional(),
      }),
    )
    .optional(),
});

/** Versions resource. */
export const versionsSchema = z.looseObject({
  more: z.boolean().optional(),
  next: z.string().optional(),
  versions: stringList.optional(),
});

/** 2.1 status details, or the bare identifiers TAXII 2.0 lists. */
const statusDetailSchema = z.union([
  z.string().transform((id) => ({ id })),
  z.looseObject({ id: z.string(), version: z.string().optional(), message: z.string().optional() }),
]);

/** Status resource. */
export const statusSchema = z.looseObject({
  id: z.string(),
  status: z.enum(['pending', 'complete']),
  request_timestamp: z.string().optional(),
  total_count: z.number().int().nonnegative(),
  success_count: z.number().int().nonnegative(),
  successes: z.array(statusDetailSchema).optional(),
  failure_count: z.number().int().nonnegative(),
  failures: z.array(statusDetailSchema).optional(),
  pending_count: z.number().int().nonnegative(),
  pendings: z.array(statusDetailSchema).optional(),
});

/** TAXII error message, as far as we read it. */
export const errorMessageSchema = z.looseObject({
  title: z.string(),
  description: z.string().optional(),
  error_id: z.string().optional(),
  error_code: z.string().optional(),
  http_status: z.union([z.string(), z.number()]).optional(),
});
