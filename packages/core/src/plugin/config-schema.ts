import { z } from 'zod';
import { issuesFromZod } from '../errors/validation-error.js';
import type { ConfigValidationResult } from './plugin-definition.js';
import { secretMetaKey } from './plugin-definition.js';

type SchemaDef = {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  /** Union members. */
  options?: ReadonlyArray<z.ZodType>;
  /** Pipe input (a transform reads it). */
  in?: z.ZodType;
  /** Intersection sides. */
  left?: z.ZodType;
  right?: z.ZodType;
};

function definitionOf(schema: z.ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

function isSecret(schema: z.ZodType): boolean {
  let current: z.ZodType | undefined = schema;
  while (current) {
    if (current.meta()?.[secretMetaKey] === true) return true;
    current = definitionOf(current).innerType;
  }
  return false;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let def = definitionOf(current); def.innerType; def = definitionOf(current)) current = def.innerType;
  return current;
}

/**
 * Paths of the secret fields of a configuration schema (`['apiToken']`, `['oauth', 'clientSecret']`),
 * found through optional, default and nullable wrappers, nested objects, every member of a union
 * (a discriminated `auth` union: each variant's secrets), pipes and intersections. Secrets inside
 * arrays and records have no fixed path and are not found: keep secrets in named fields.
 */
export function findSecretPaths(schema: z.ZodType): string[][] {
  const paths = new Map<string, string[]>();
  const walk = (node: z.ZodType, prefix: string[]): void => {
    if (isSecret(node)) {
      paths.set(JSON.stringify(prefix), prefix);
      return;
    }
    const inner = unwrap(node);
    const def = definitionOf(inner);
    const shape = (inner as unknown as { shape?: Record<string, z.ZodType> }).shape;
    if (def.type === 'object' && shape) {
      for (const [key, child] of Object.entries(shape)) walk(child, [...prefix, key]);
    } else if (def.type === 'union') {
      for (const option of def.options ?? []) walk(option, prefix);
    } else if (def.type === 'pipe' && def.in) {
      walk(def.in, prefix);
    } else if (def.type === 'intersection') {
      if (def.left) walk(def.left, prefix);
      if (def.right) walk(def.right, prefix);
    }
  };
  walk(schema, []);
  return [...paths.values()];
}

/**
 * The JSON Schema (draft 2020-12) of a configuration, for user interfaces. Secret fields carry
 * `"secret": true` and `"writeOnly": true`.
 */
export function configJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Validates a configuration against a schema. Never throws: bad input yields field issues. */
export function validateConfig<Config>(
  schema: z.ZodType<Config>,
  input: unknown,
): ConfigValidationResult<Config> {
  try {
    const parsed = schema.safeParse(input);
    return parsed.success
      ? { ok: true, config: parsed.data }
      : { ok: false, issues: issuesFromZod(parsed.error) };
  } catch (error) {
    // A refinement written by a plugin author may throw; that is still the configuration's problem to report.
    return {
      ok: false,
      issues: [{ path: '', reason: `schema check failed: ${(error as Error)?.message ?? String(error)}` }],
    };
  }
}

/** Reads the value at `path` inside a plain object. */
export function getAtPath(value: unknown, path: ReadonlyArray<string>): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Returns a copy of `value` with `replacement` set at `path`, creating objects on the way. */
export function setAtPath(
  value: Record<string, unknown>,
  path: ReadonlyArray<string>,
  replacement: unknown,
): Record<string, unknown> {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  const child = value[head];
  const next =
    rest.length === 0
      ? replacement
      : setAtPath(
          typeof child === 'object' && child !== null ? (child as Record<string, unknown>) : {},
          rest,
          replacement,
        );
  return { ...value, [head]: next };
}
