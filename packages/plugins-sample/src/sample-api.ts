import { z } from 'zod';

/** Paths of the Sample Intel API (documented in the package README). */
export const sampleApiPaths = {
  status: '/api/v1/status',
} as const;

/** Body of `GET /api/v1/status`. */
export const sampleStatusSchema = z.object({
  status: z.literal('ok'),
  tenant: z.string().min(1),
  apiVersion: z.string().min(1),
});

/** Error body of every Sample Intel API failure. */
export const sampleErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
