import { type RiskNormalizationSpec, ValidationError } from '@ce/core';
import { z } from 'zod';

/**
 * The labels and scores a `categorical` mapping uses when its table is left out: the medians of
 * the default bands, so that a vendor's `low` risk lands in the middle of the `low` band.
 */
export const defaultCategoricalTable: Readonly<Record<string, number>> = Object.freeze({
  low: 875,
  medium: 625,
  high: 375,
  critical: 125,
});

const score = z
  .number({ error: 'must be a number' })
  .finite('must be a finite number')
  .min(0, 'must be at least 0')
  .max(1000, 'must be at most 1000');
const finite = z.number({ error: 'must be a number' }).finite('must be a finite number');
const version = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .optional();

const identity = z.strictObject({ strategy: z.literal('identity'), version });

const linear = z
  .strictObject({
    strategy: z.literal('linear'),
    min: finite,
    max: finite,
    invert: z.boolean().optional(),
    clamp: z.boolean().optional(),
    version,
  })
  .superRefine((spec, context) => {
    if (!(spec.min < spec.max))
      context.addIssue({
        code: 'custom',
        path: ['max'],
        message: `must be greater than min (${spec.min}); got ${spec.max}`,
      });
  });

const piecewise = z
  .strictObject({
    strategy: z.literal('piecewise'),
    points: z
      .array(z.tuple([finite, score]), { error: 'must be an array of [raw, normalized] pairs' })
      .min(2, 'needs at least two points')
      .max(1000, 'must have at most 1000 points'),
    clamp: z.boolean().optional(),
    version,
  })
  .superRefine((spec, context) => {
    for (let i = 1; i < spec.points.length; i++) {
      const previous = (spec.points[i - 1] as readonly [number, number])[0];
      const current = (spec.points[i] as readonly [number, number])[0];
      if (!(current > previous))
        context.addIssue({
          code: 'custom',
          path: ['points', i, 0],
          message: `raw values must ascend strictly: ${current} follows ${previous}`,
        });
    }
  });

const label = z.string().trim().min(1, 'labels must not be empty').max(200);

function duplicateLabels(
  table: Record<string, number>,
  fold: (label: string) => string,
  context: z.RefinementCtx,
  field: string,
): void {
  const seen = new Map<string, string>();
  for (const key of Object.keys(table)) {
    const folded = fold(key);
    const first = seen.get(folded);
    if (first !== undefined && table[first] !== table[key])
      context.addIssue({
        code: 'custom',
        path: [field, key],
        message: `"${key}" and "${first}" are the same label here but map to different scores`,
      });
    else seen.set(folded, key);
  }
}

const categorical = z
  .strictObject({
    strategy: z.literal('categorical'),
    table: z
      .record(label, score)
      .refine((table) => Object.keys(table).length > 0, 'needs at least one label')
      .default({ ...defaultCategoricalTable }),
    caseSensitive: z.boolean().optional(),
    version,
  })
  .superRefine((spec, context) => {
    duplicateLabels(
      spec.table,
      (key) => (spec.caseSensitive ? key.trim() : key.trim().toLowerCase()),
      context,
      'table',
    );
  });

const grade = z
  .strictObject({
    strategy: z.literal('grade'),
    grades: z
      .record(
        z
          .string()
          .trim()
          .min(1, 'grades must not be empty')
          .max(8)
          .regex(/^[A-Za-z0-9]+[+-]?$/, 'a grade is letters or digits, optionally ending in + or -'),
        score,
      )
      .refine((grades) => Object.keys(grades).length > 0, 'needs at least one grade'),
    modifierStep: z.number().finite().min(0, 'must be at least 0').max(1000).optional(),
    version,
  })
  .superRefine((spec, context) => {
    duplicateLabels(spec.grades, (key) => key.trim().toUpperCase(), context, 'grades');
  });

const saturating = z.strictObject({
  strategy: z.literal('saturating'),
  halfRisk: finite.refine((value) => value > 0, 'must be greater than 0'),
  version,
});

const population = z.strictObject({
  strategy: z.literal('population'),
  reference: z
    .array(finite, { error: 'must be an array of numbers' })
    .min(1, 'needs at least one reference value')
    .max(1_000_000, 'must have at most 1,000,000 values'),
  invert: z.boolean().optional(),
  frozenAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone' }).optional(),
  version,
});

/**
 * Validates a {@link RiskNormalizationSpec}: every strategy's parameters, with errors that name
 * the field (`max: must be greater than min`, `points[2][0]: raw values must ascend strictly`).
 * Unknown properties are errors too, so that a misspelt `invert` is not silently ignored.
 */
export const riskNormalizationSpecSchema = z.discriminatedUnion(
  'strategy',
  [identity, linear, piecewise, categorical, grade, saturating, population],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'strategy must be one of identity, linear, piecewise, categorical, grade, saturating, population'
        : undefined,
  },
);

/**
 * Parses a normalization spec, or throws a `ValidationError` (`VALIDATION_FAILED`) listing each
 * field at fault. `path` prefixes the field paths (`normalization.user`).
 *
 * @example
 * ```ts
 * const spec = parseNormalizationSpec({ strategy: 'linear', min: 0, max: 100, invert: true });
 * ```
 */
export function parseNormalizationSpec(
  input: unknown,
  path: ReadonlyArray<PropertyKey> = [],
): RiskNormalizationSpec {
  const parsed = riskNormalizationSpecSchema.safeParse(input);
  if (!parsed.success) throw ValidationError.fromZod('invalid normalization spec', parsed.error, path);
  return parsed.data as RiskNormalizationSpec;
}
