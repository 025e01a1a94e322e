import { ValidationError } from '@ce/core';
import { z } from 'zod';

/** A named score range, both ends inclusive (integers). */
export interface RiskBand {
  /** Lowercase name (`critical`), as stored in `RiskEntity.band`. */
  readonly name: string;
  readonly from: number;
  readonly to: number;
}

/** The default bands: Critical 0-250, High 251-500, Medium 501-750, Low 751-1000. */
export const defaultRiskBands: ReadonlyArray<RiskBand> = Object.freeze([
  Object.freeze({ name: 'critical', from: 0, to: 250 }),
  Object.freeze({ name: 'high', from: 251, to: 500 }),
  Object.freeze({ name: 'medium', from: 501, to: 750 }),
  Object.freeze({ name: 'low', from: 751, to: 1000 }),
]);

const bandSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and -, starting with a letter'),
  from: z.number().int('must be an integer').min(0, 'must be at least 0').max(1000, 'must be at most 1000'),
  to: z.number().int('must be an integer').min(0, 'must be at least 0').max(1000, 'must be at most 1000'),
});

/**
 * Bands, riskiest first: they must start at 0, end at 1000 and follow each other without gap or
 * overlap (`from` is the previous band's `to` + 1), with unique names.
 */
export const riskBandsSchema = z
  .array(bandSchema)
  .min(1, 'needs at least one band')
  .max(20, 'must have at most 20 bands')
  .superRefine((bands, context) => {
    const names = new Set<string>();
    bands.forEach((band, i) => {
      if (band.from > band.to)
        context.addIssue({
          code: 'custom',
          path: [i, 'to'],
          message: `must be at least from (${band.from})`,
        });
      if (names.has(band.name))
        context.addIssue({ code: 'custom', path: [i, 'name'], message: `"${band.name}" is used twice` });
      names.add(band.name);
      if (i === 0 && band.from !== 0)
        context.addIssue({ code: 'custom', path: [0, 'from'], message: 'the first band must start at 0' });
      const previous = bands[i - 1];
      if (previous && band.from !== previous.to + 1)
        context.addIssue({
          code: 'custom',
          path: [i, 'from'],
          message: `must be ${previous.to + 1}, right after the previous band's end (${previous.to}): bands must not leave a gap or overlap`,
        });
    });
    const last = bands[bands.length - 1];
    if (last && last.to !== 1000)
      context.addIssue({
        code: 'custom',
        path: [bands.length - 1, 'to'],
        message: 'the last band must end at 1000',
      });
  });

/** Validates bands or throws `VALIDATION_FAILED` naming each field at fault (`[1].from`). */
export function parseRiskBands(input: unknown): RiskBand[] {
  const parsed = riskBandsSchema.safeParse(input);
  if (!parsed.success) throw ValidationError.fromZod('invalid risk bands', parsed.error, ['bands']);
  return parsed.data.map((band) => Object.freeze({ ...band }));
}

/** Finds a score's band quickly; built once per set of bands. */
export type BandClassifier = (score: number | null) => string | null;

/**
 * Compiles validated bands into a classifier. A fractional score between two integer bands
 * (250.5) belongs to the upper one: each band takes the scores up to its `to`.
 */
export function compileBands(bands: ReadonlyArray<RiskBand>): BandClassifier {
  const tops = bands.map((band) => band.to);
  const names = bands.map((band) => band.name);
  const count = tops.length;
  return (score) => {
    if (score === null) return null;
    for (let i = 0; i < count; i++) if (score <= (tops[i] as number)) return names[i] as string;
    return names[count - 1] ?? null;
  };
}

/** The middle of a band, where a categorical label for it is placed by default. */
export function bandMedian(band: RiskBand): number {
  return Math.round((band.from + band.to) / 2);
}
