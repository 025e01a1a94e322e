/**
 * Dot paths into records, split once at compile time and walked without allocating.
 *
 * @module
 */

/** One step of a path: a property name, and its array index when the name is numeric. */
export interface PathSegment {
  /** Property name. */
  readonly key: string;
  /** Array index, or -1 when the segment is not a non-negative integer. */
  readonly index: number;
}

/** Why `field` is not a usable path, or `undefined`. */
export function fieldProblem(field: string, maxLength: number): string | undefined {
  if (field.length === 0) return 'field must not be empty';
  if (field.length > maxLength) return `field is longer than ${maxLength} characters`;
  if (field.split('.').some((segment) => segment.length === 0))
    return `field "${field}" has an empty segment; use a dot only between names`;
  return undefined;
}

/** Splits `a.b.0.c` into segments. */
export function splitPath(field: string): PathSegment[] {
  return field.split('.').map((key) => ({ key, index: /^(0|[1-9]\d{0,8})$/.test(key) ? Number(key) : -1 }));
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Calls `visit` with every value at `path` under `value` until it returns `true`; returns whether
 * it did. Arrays met on the way fan out over their elements; an array at the end of the path is
 * visited element by element when `spreadLast`, else as itself. A path that leads nowhere visits
 * `undefined` once, so that negations and `exists` see the absence.
 */
export function someAtPath(
  value: unknown,
  path: ReadonlyArray<PathSegment>,
  spreadLast: boolean,
  visit: (found: unknown) => boolean,
  from = 0,
): boolean {
  let current = value;
  for (let i = from; i < path.length; i++) {
    const segment = path[i] as PathSegment;
    if (Array.isArray(current)) {
      if (segment.index >= 0) {
        current = current[segment.index];
        continue;
      }
      for (const element of current) {
        if (someAtPath(element, path, spreadLast, visit, i)) return true;
      }
      return false;
    }
    if (current === null || typeof current !== 'object' || !hasOwn.call(current, segment.key))
      return visit(undefined);
    current = (current as Record<string, unknown>)[segment.key];
  }
  if (spreadLast && Array.isArray(current)) {
    for (const element of current) if (visit(element)) return true;
    return false;
  }
  return visit(current);
}
