/**
 * The `cls` section of the configuration file: the log shipper's routes and spool. The routes are
 * checked by the shipper itself when the host starts (its issues are reported under `cls.`).
 *
 * @module
 */
import { resolve } from 'node:path';
import { durationSchema } from '@ce/core';
import { z } from 'zod';

/** Schema of the `cls` section. */
export const clsSectionSchema = z
  .object({
    /** Routes: a source configuration's streams, filtered and formatted, to sink configurations. */
    routes: z.array(z.record(z.string(), z.unknown())).default([]),
    spool: z
      .object({
        /** Directory of the sinks' spools, relative to `dataDir`; `memory` keeps them in memory. */
        directory: z.string().min(1).default('spool'),
        /** Bytes each sink's spool may hold before the shipper stops fetching. */
        maxBytesPerSink: z.number().int().min(1_048_576).optional(),
        /** Sync every spooled batch to disk. */
        fsync: z.enum(['always', 'never']).optional(),
      })
      .strict()
      .default({ directory: 'spool' }),
    /** Wait between fetches when a source has nothing more. */
    pollInterval: durationSchema.optional(),
  })
  .strict();

/** The `cls` section as the file gives it. */
export type HostClsSection = z.output<typeof clsSectionSchema>;

/** The resolved `cls` section: the spool directory absolute (or absent for memory spools). */
export interface HostClsConfig {
  /** Routes, as the shipper's options take them. */
  routes: Array<Record<string, unknown>>;
  /** Spool settings; without `directory`, spools live in memory. */
  spool: { directory?: string; maxBytesPerSink?: number; fsync?: 'always' | 'never' };
  /** Wait between fetches when a source has nothing more, in ms. */
  pollIntervalMs?: number;
}

/** Resolves the section against the data directory. */
export function resolveClsSection(section: HostClsSection, dataDir: string): HostClsConfig {
  const { directory, ...spool } = section.spool;
  return {
    routes: section.routes,
    spool: directory === 'memory' ? spool : { ...spool, directory: resolve(dataDir, directory) },
    ...(section.pollInterval !== undefined ? { pollIntervalMs: section.pollInterval } : {}),
  };
}
