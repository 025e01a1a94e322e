/**
 * The `taxii` section of the configuration file: the host's own TAXII 2.1 server, publishing
 * saved lists as read-only collections and taking indicators in through inbox collections.
 *
 * @module
 */
import { identifierSchema } from '@ce/core';
import { z } from 'zod';

const accessListSchema = z.union([z.literal('*'), z.array(z.string().min(1).max(200)).max(1_000)]);

const collectionInfo = {
  id: z.uuid(),
  title: z.string().min(1).max(200),
  description: z.string().max(2_000).optional(),
  alias: z
    .string()
    .regex(/^[A-Za-z0-9._~-]{1,100}$/, 'letters, digits and . _ ~ - only')
    .optional(),
};

/** Schema of the `taxii` section. */
export const taxiiSectionSchema = z
  .object({
    /** Path prefix of the TAXII server; discovery answers there. */
    basePath: z
      .string()
      .regex(/^\/(?:[A-Za-z0-9._~-]+\/)+$/, 'a path that starts and ends with "/", e.g. "/taxii2/"')
      .default('/taxii2/'),
    /** Title of the discovery resource and the API root. */
    title: z.string().min(1).max(200).default('Cloud Exchange'),
    /** Saved lists published as read-only collections. */
    collections: z
      .array(
        z
          .object({
            ...collectionInfo,
            list: z.string().min(1).max(200),
            readers: accessListSchema.optional(),
            maxTlp: z.enum(['clear', 'green', 'amber', 'amber+strict']).optional(),
          })
          .strict(),
      )
      .default([]),
    /** Collections that ingest what is posted to them as one source. */
    inboxes: z
      .array(
        z
          .object({
            ...collectionInfo,
            sourceId: identifierSchema,
            writers: accessListSchema,
            includeObservables: z.boolean().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/** The resolved `taxii` section. */
export type HostTaxiiConfig = z.output<typeof taxiiSectionSchema>;
