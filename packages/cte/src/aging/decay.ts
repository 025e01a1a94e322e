import { durationSchema } from '@ce/core';
import { z } from 'zod';

/**
 * The polynomial decay model used by MISP: a score starts at `baseScore` when the indicator was
 * last seen and falls to 0 over `lifetime`, faster or slower by `decaySpeed`:
 *
 * `score(t) = baseScore × (1 − (t / lifetime)^(1 / decaySpeed))`, for `t` since last seen.
 *
 * An indicator whose score falls under `threshold` is treated as expired.
 */
export const decayModelSchema = z
  .object({
    /** Score at the moment of the last sighting, 0-100. @default 80 */
    baseScore: z.number().min(0).max(100).default(80),
    /** Time for the score to reach 0. @default '30d' */
    lifetime: durationSchema.default(30 * 86_400_000),
    /** Above 1 the score falls fast at first; below 1 it stays high and falls late. @default 0.3 */
    decaySpeed: z.number().positive().max(100).default(0.3),
    /** Under this score the indicator becomes inactive. @default 30 */
    threshold: z.number().min(0).max(100).default(30),
  })
  .strict()
  .refine((model) => model.lifetime > 0, { path: ['lifetime'], message: 'lifetime must be longer than 0' });

/** A decay model, as stored. */
export type DecayModel = z.output<typeof decayModelSchema>;

/** The decay score (0-100, two decimals) `elapsedMs` after the last sighting. */
export function decayScore(model: DecayModel, elapsedMs: number): number {
  if (elapsedMs <= 0) return model.baseScore;
  if (elapsedMs >= model.lifetime) return 0;
  const score = model.baseScore * (1 - (elapsedMs / model.lifetime) ** (1 / model.decaySpeed));
  return Math.max(0, Math.round(score * 100) / 100);
}

/** When the score falls under the threshold, as milliseconds after the last sighting. */
export function decayExpiry(model: DecayModel): number {
  if (model.baseScore <= model.threshold) return 0;
  // Invert the polynomial: (t / lifetime)^(1/speed) = 1 − threshold / base.
  return Math.floor(model.lifetime * (1 - model.threshold / model.baseScore) ** model.decaySpeed);
}
