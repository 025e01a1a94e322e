import { durationSchema, type RiskSourceScore, ValidationError } from '@ce/core';
import { z } from 'zod';

/**
 * How sources combine into one score:
 * - `weighted-mean`: the mean of the present sources' scores, each counted by its weight;
 * - `worst-of`: the lowest (riskiest) present score;
 * - `noisy-or`: scores read as risk probabilities `r = 1 - s/1000`, combined as
 *   `1 - Π(1 - w·r)` (independent evidence adds up: two medium risks make a higher one), and
 *   turned back into a score. Weights must be at most 1.
 */
export type AggregationMethod = 'weighted-mean' | 'worst-of' | 'noisy-or';

/** Every aggregation method. */
export const aggregationMethods: ReadonlyArray<AggregationMethod> = Object.freeze([
  'weighted-mean',
  'worst-of',
  'noisy-or',
]);

/** One source configuration's weight and staleness limit. */
export interface SourceWeight {
  /** Its weight; 0 leaves it out of the score (its scores are still kept and shown). */
  readonly weight: number;
  /** A score older than this (milliseconds) is stale and left out; absent: the default limit. */
  readonly staleAfterMs?: number;
}

/** Weights and staleness limits, as stored. */
export interface RiskWeights {
  readonly method: AggregationMethod;
  /** The weight of a source not listed in `sources`. */
  readonly defaultWeight: number;
  /** The staleness limit of a source that sets none; absent: scores never go stale. */
  readonly staleAfterMs?: number;
  /** Per source configuration id. */
  readonly sources: Readonly<Record<string, SourceWeight>>;
}

/** Weights as given by a user: durations may be text (`'7d'`), everything has a default. */
export interface RiskWeightsInput {
  /** @default 'weighted-mean' */
  method?: AggregationMethod;
  /** @default 1 */
  defaultWeight?: number;
  /** Milliseconds or a duration such as `'7d'`. @default never stale */
  staleAfter?: number | string;
  /** Per source configuration id. */
  sources?: Record<string, { weight?: number; staleAfter?: number | string }>;
}

const weight = z.number({ error: 'must be a number' }).finite().min(0, 'must be at least 0').max(1000);

/** Validates {@link RiskWeightsInput} into {@link RiskWeights}. */
export const riskWeightsSchema = z
  .strictObject({
    method: z.enum(['weighted-mean', 'worst-of', 'noisy-or']).default('weighted-mean'),
    defaultWeight: weight.default(1),
    staleAfter: durationSchema.optional(),
    sources: z
      .record(
        z.string().min(1).max(512),
        z.strictObject({ weight: weight.optional(), staleAfter: durationSchema.optional() }),
      )
      .default({}),
  })
  .superRefine((input, context) => {
    if (input.method !== 'noisy-or') return;
    if (input.defaultWeight > 1)
      context.addIssue({
        code: 'custom',
        path: ['defaultWeight'],
        message: 'must be at most 1 for noisy-or (a weight scales a risk probability)',
      });
    for (const [id, source] of Object.entries(input.sources))
      if (source.weight !== undefined && source.weight > 1)
        context.addIssue({
          code: 'custom',
          path: ['sources', id, 'weight'],
          message: 'must be at most 1 for noisy-or (a weight scales a risk probability)',
        });
  })
  .transform(
    (input): RiskWeights => ({
      method: input.method,
      defaultWeight: input.defaultWeight,
      ...(input.staleAfter !== undefined ? { staleAfterMs: input.staleAfter } : {}),
      sources: Object.fromEntries(
        Object.entries(input.sources).map(([id, source]) => [
          id,
          {
            weight: source.weight ?? input.defaultWeight,
            ...(source.staleAfter !== undefined ? { staleAfterMs: source.staleAfter } : {}),
          },
        ]),
      ),
    }),
  );

/** The weights in effect until someone sets others: a plain mean, nothing goes stale. */
export const defaultRiskWeights: RiskWeights = Object.freeze({
  method: 'weighted-mean',
  defaultWeight: 1,
  sources: Object.freeze({}),
});

/** Validates weights or throws `VALIDATION_FAILED` naming each field (`sources.okta.weight`). */
export function parseRiskWeights(input: unknown): RiskWeights {
  const parsed = riskWeightsSchema.safeParse(input ?? {});
  if (!parsed.success) throw ValidationError.fromZod('invalid risk weights', parsed.error, ['weights']);
  return parsed.data;
}

/** What one source contributes to an entity's score. */
export interface SourceContribution {
  readonly sourceConfigId: string;
  readonly raw: number | string | null;
  readonly normalized: number | null;
  readonly mapping: RiskSourceScore['mapping'];
  readonly observedAt: number;
  readonly receivedAt: number;
  readonly weight: number;
  /** Older than its staleness limit. */
  readonly stale: boolean;
  /** Whether it counts: scored, not stale, weight above 0. */
  readonly included: boolean;
  /**
   * Its part of the result, 0 to 1: its share of the weight (weighted mean), 1 for the deciding
   * source (worst-of), its share of the combined risk (noisy-or); 0 when not included.
   */
  readonly share: number;
}

/** Computes scores under one set of weights. */
export interface Aggregator {
  readonly weights: RiskWeights;
  /** The aggregate score of an entity's sources at `now`, or `null` when none counts. */
  score(sources: Readonly<Record<string, RiskSourceScore>>, now: number): number | null;
  /** Each source's part in {@link Aggregator.score}, by source configuration id. */
  breakdown(sources: Readonly<Record<string, RiskSourceScore>>, now: number): SourceContribution[];
}

const round = (value: number): number => Math.round(value * 100) / 100;

/**
 * Compiles weights into an {@link Aggregator}.
 *
 * @example
 * ```ts
 * const aggregator = createAggregator(parseRiskWeights({ sources: { okta: { weight: 2, staleAfter: '7d' } } }));
 * const score = aggregator.score(entity.sources, Date.now());
 * ```
 */
export function createAggregator(weights: RiskWeights): Aggregator {
  const method = weights.method;
  const defaultWeight = weights.defaultWeight;
  const defaultStale = weights.staleAfterMs ?? Number.POSITIVE_INFINITY;
  const perSource = new Map<string, { weight: number; stale: number }>();
  for (const [id, source] of Object.entries(weights.sources))
    perSource.set(id, { weight: source.weight, stale: source.staleAfterMs ?? defaultStale });

  const settings = (id: string): { weight: number; stale: number } =>
    perSource.get(id) ?? { weight: defaultWeight, stale: defaultStale };

  function score(sources: Readonly<Record<string, RiskSourceScore>>, now: number): number | null {
    let total = 0;
    let weightSum = 0;
    let worst = Number.POSITIVE_INFINITY;
    let safe = 1;
    let counted = 0;
    for (const id in sources) {
      const source = sources[id] as RiskSourceScore;
      const value = source.normalized;
      if (value === null) continue;
      const entry = perSource.get(id);
      const weight = entry === undefined ? defaultWeight : entry.weight;
      if (weight <= 0) continue;
      if (now - source.observedAt > (entry === undefined ? defaultStale : entry.stale)) continue;
      counted++;
      if (method === 'weighted-mean') {
        total += weight * value;
        weightSum += weight;
      } else if (method === 'worst-of') {
        if (value < worst) worst = value;
      } else safe *= 1 - weight * (1 - value / 1000);
    }
    if (counted === 0) return null;
    if (method === 'weighted-mean') return round(total / weightSum);
    if (method === 'worst-of') return worst;
    return round(1000 * safe);
  }

  function breakdown(sources: Readonly<Record<string, RiskSourceScore>>, now: number): SourceContribution[] {
    const rows = Object.entries(sources)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, source]) => {
        const { weight, stale: limit } = settings(id);
        const stale = now - source.observedAt > limit;
        return { id, source, weight, stale, included: source.normalized !== null && !stale && weight > 0 };
      });
    const included = rows.filter((row) => row.included);
    const weightSum = included.reduce((sum, row) => sum + row.weight, 0);
    const worst = Math.min(...included.map((row) => row.source.normalized as number));
    const deciding = included.find((row) => row.source.normalized === worst)?.id;
    const logRisk = (row: (typeof rows)[number]) =>
      -Math.log(Math.max(1e-12, 1 - row.weight * (1 - (row.source.normalized as number) / 1000)));
    const riskSum = included.reduce((sum, row) => sum + logRisk(row), 0);
    return rows.map((row) => ({
      sourceConfigId: row.id,
      raw: row.source.raw,
      normalized: row.source.normalized,
      mapping: row.source.mapping,
      observedAt: row.source.observedAt,
      receivedAt: row.source.receivedAt,
      weight: row.weight,
      stale: row.stale,
      included: row.included,
      share: !row.included
        ? 0
        : method === 'weighted-mean'
          ? row.weight / weightSum
          : method === 'worst-of'
            ? row.id === deciding
              ? 1
              : 0
            : riskSum === 0
              ? 1 / included.length
              : logRisk(row) / riskSum,
    }));
  }

  return { weights, score, breakdown };
}
