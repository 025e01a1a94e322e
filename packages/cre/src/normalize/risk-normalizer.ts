import { createHash } from 'node:crypto';
import type { NormalizedScore, RiskNormalizationSpec, RiskNormalizationStrategy } from '@ce/core';
import { parseNormalizationSpec } from './normalization-schema.js';

/** What normalizing one raw value gives: a score (or `null` for unknown), or why it was refused. */
export type NormalizeResult = { ok: true; value: NormalizedScore } | { ok: false; reason: string };

/**
 * A normalization spec prepared for many values: tables become maps, the population reference is
 * sorted once. {@link CompiledNormalizer.map} allocates nothing for an accepted value.
 */
export interface CompiledNormalizer {
  /** The validated spec it was compiled from. */
  readonly spec: RiskNormalizationSpec;
  readonly strategy: RiskNormalizationStrategy;
  /** The spec's `version`, or `auto-` and a digest of the spec when it names none. */
  readonly version: string;
  /** `{ strategy, version }`, one frozen object shared by every score it produces. */
  readonly mapping: { readonly strategy: RiskNormalizationStrategy; readonly version: string };
  /**
   * The hot path: a score 0-1000 (rounded to 0.01), `null` for a `null` raw value, or a string
   * saying why the value was refused (wrong type, out of range, unknown label).
   */
  map(raw: unknown): number | null | string;
  /** The same as {@link CompiledNormalizer.map}, as a result object. */
  normalize(raw: unknown): NormalizeResult;
}

/** Every normalization strategy, in the order the documentation lists them. */
export const normalizationStrategies: ReadonlyArray<RiskNormalizationStrategy> = Object.freeze([
  'identity',
  'linear',
  'piecewise',
  'categorical',
  'grade',
  'saturating',
  'population',
]);

const round = (value: number): number => Math.round(value * 100) / 100;

function describe(raw: unknown): string {
  if (typeof raw === 'string') return `"${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}"`;
  if (typeof raw === 'number') return String(raw);
  if (raw === undefined) return 'undefined';
  return Array.isArray(raw) ? 'an array' : typeof raw === 'object' ? 'an object' : typeof raw;
}

function notANumber(raw: unknown): string {
  if (typeof raw === 'number') return `expected a finite number, got ${raw}`;
  return `expected a number, got ${typeof raw === 'string' ? `the string ${describe(raw)}` : describe(raw)}`;
}

function notAString(raw: unknown): string {
  return `expected a label (string), got ${typeof raw === 'number' ? `the number ${raw}` : describe(raw)}`;
}

/** A stable JSON text of a spec (keys sorted) for the automatic version digest. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([key, item]) => item !== undefined && key !== 'version')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The version recorded with each score: the spec's own `version`, or a digest of its content so
 * that any change to an unversioned mapping shows in the scores it produces.
 */
export function normalizationVersion(spec: RiskNormalizationSpec): string {
  if (spec.version !== undefined) return spec.version;
  return `auto-${createHash('sha256').update(canonical(spec)).digest('hex').slice(0, 12)}`;
}

type MapFunction = (raw: unknown) => number | null | string;

function compileMap(spec: RiskNormalizationSpec): MapFunction {
  switch (spec.strategy) {
    case 'identity':
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (typeof raw !== 'number' || !Number.isFinite(raw)) return notANumber(raw);
        if (raw < 0 || raw > 1000) return `value ${raw} is outside 0-1000`;
        return round(raw);
      };
    case 'linear': {
      const { min, max } = spec;
      const span = max - min;
      const invert = spec.invert === true;
      const clamp = spec.clamp === true;
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (typeof raw !== 'number' || !Number.isFinite(raw)) return notANumber(raw);
        let value = raw;
        if (value < min || value > max) {
          if (!clamp) return `value ${raw} is outside ${min}-${max}`;
          value = value < min ? min : max;
        }
        const t = (value - min) / span;
        return round(1000 * (invert ? 1 - t : t));
      };
    }
    case 'piecewise': {
      const count = spec.points.length;
      const xs = new Float64Array(count);
      const ys = new Float64Array(count);
      spec.points.forEach(([x, y], i) => {
        xs[i] = x;
        ys[i] = y;
      });
      const first = xs[0] as number;
      const last = xs[count - 1] as number;
      const clamp = spec.clamp === true;
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (typeof raw !== 'number' || !Number.isFinite(raw)) return notANumber(raw);
        if (raw <= first || raw >= last) {
          if (raw === first) return ys[0] as number;
          if (raw === last) return ys[count - 1] as number;
          if (!clamp) return `value ${raw} is outside ${first}-${last}`;
          return (raw < first ? ys[0] : ys[count - 1]) as number;
        }
        // The last point whose raw value is at most `raw`.
        let low = 0;
        let high = count - 1;
        while (high - low > 1) {
          const middle = (low + high) >> 1;
          if ((xs[middle] as number) <= raw) low = middle;
          else high = middle;
        }
        const x0 = xs[low] as number;
        const y0 = ys[low] as number;
        return round(y0 + ((raw - x0) * ((ys[high] as number) - y0)) / ((xs[high] as number) - x0));
      };
    }
    case 'categorical': {
      const caseSensitive = spec.caseSensitive === true;
      const table = new Map<string, number>();
      for (const [label, value] of Object.entries(spec.table))
        table.set(caseSensitive ? label.trim() : label.trim().toLowerCase(), value);
      const expected = Object.keys(spec.table).slice(0, 12).join(', ');
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (typeof raw !== 'string') return notAString(raw);
        const key = caseSensitive ? raw.trim() : raw.trim().toLowerCase();
        const value = table.get(key);
        return value ?? `unknown category ${describe(raw)} (expected one of ${expected})`;
      };
    }
    case 'grade': {
      const grades = new Map<string, number>();
      for (const [grade, value] of Object.entries(spec.grades)) grades.set(grade.trim().toUpperCase(), value);
      const step = spec.modifierStep ?? 50;
      const expected = Object.keys(spec.grades).slice(0, 12).join(', ');
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (typeof raw !== 'string') return notAString(raw);
        const key = raw.trim().toUpperCase();
        const exact = grades.get(key);
        if (exact !== undefined) return exact;
        const modifier = key.at(-1);
        if (key.length > 1 && (modifier === '+' || modifier === '-')) {
          const base = grades.get(key.slice(0, -1));
          if (base !== undefined) {
            const moved = modifier === '+' ? base + step : base - step;
            return Math.max(0, Math.min(moved, 1000));
          }
        }
        return `unknown grade ${describe(raw)} (expected one of ${expected}, optionally with + or -)`;
      };
    }
    case 'saturating': {
      const half = spec.halfRisk;
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (typeof raw !== 'number' || !Number.isFinite(raw)) return notANumber(raw);
        if (raw < 0) return `value ${raw} is negative; additive risk starts at 0`;
        return round((1000 * half) / (half + raw));
      };
    }
    case 'population': {
      const sorted = Float64Array.from(spec.reference).sort();
      const size = sorted.length;
      const invert = spec.invert === true;
      return (raw) => {
        if (raw === null || raw === undefined) return null;
        if (typeof raw !== 'number' || !Number.isFinite(raw)) return notANumber(raw);
        // Mid-rank percentile: values below count fully, equal values count half.
        let low = 0;
        let high = size;
        while (low < high) {
          const middle = (low + high) >> 1;
          if ((sorted[middle] as number) < raw) low = middle + 1;
          else high = middle;
        }
        const below = low;
        high = size;
        while (low < high) {
          const middle = (low + high) >> 1;
          if ((sorted[middle] as number) <= raw) low = middle + 1;
          else high = middle;
        }
        const rank = (below + (low - below) / 2) / size;
        return round(1000 * (invert ? 1 - rank : rank));
      };
    }
  }
}

/**
 * Compiles a spec (validated first: a bad spec throws `VALIDATION_FAILED` naming the field) into a
 * {@link CompiledNormalizer}.
 *
 * @example
 * ```ts
 * const knowBe4 = compileNormalizer({ strategy: 'linear', min: 0, max: 100, invert: true });
 * knowBe4.map(30); // 700
 * knowBe4.map(130); // 'value 130 is outside 0-100'
 * ```
 */
export function compileNormalizer(input: RiskNormalizationSpec | unknown): CompiledNormalizer {
  const spec = parseNormalizationSpec(input);
  const version = normalizationVersion(spec);
  const map = compileMap(spec);
  const mapping = Object.freeze({ strategy: spec.strategy, version });
  return {
    spec,
    strategy: spec.strategy,
    version,
    mapping,
    map,
    normalize(raw) {
      const value = map(raw);
      return typeof value === 'string' ? { ok: false, reason: value } : { ok: true, value };
    },
  };
}

/**
 * The normalization strategies, as one namespace: every vendor's raw value (a 0-100 risk, a
 * 250-900 rating, a letter grade, a `low`/`medium`/`high` label, an unbounded count) becomes a
 * score from 0 to 1000 where higher is safer, or `null` when unknown (never 0). Pure: the same
 * spec and value always give the same score.
 */
export const RiskNormalizer = Object.freeze({
  /** Every strategy name. */
  strategies: normalizationStrategies,
  /** Validates a spec; see {@link parseNormalizationSpec}. */
  parse: parseNormalizationSpec,
  /** Compiles a spec for many values; see {@link compileNormalizer}. */
  compile: compileNormalizer,
  /** Normalizes one value (compiling the spec each time: use `compile` for many). */
  normalize(spec: RiskNormalizationSpec, raw: unknown): NormalizeResult {
    return compileNormalizer(spec).normalize(raw);
  },
  /** The version a spec's scores record. */
  version: normalizationVersion,
});
