/**
 * Sets of UTF-16 code units as sorted, merged `[low, high]` ranges, for the regex safety analysis.
 *
 * @module
 */

/** Sorted, non-overlapping, inclusive code unit ranges. */
export type CharSet = ReadonlyArray<readonly [number, number]>;

const maxUnit = 0xffff;

/** Sorts and merges ranges. */
export function charSet(ranges: Iterable<readonly [number, number]>): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [low, high] of sorted) {
    const last = out[out.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else out.push([low, high]);
  }
  return out;
}

/** Every code unit not in `set`. */
export function complement(set: CharSet): CharSet {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [low, high] of set) {
    if (low > next) out.push([next, low - 1]);
    next = high + 1;
  }
  if (next <= maxUnit) out.push([next, maxUnit]);
  return out;
}

/** Code units in either set. */
export function union(...sets: CharSet[]): CharSet {
  return charSet(sets.flat());
}

/** Whether the sets share a code unit. */
export function overlaps(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aLow, aHigh] = a[i] as readonly [number, number];
    const [bLow, bHigh] = b[j] as readonly [number, number];
    if (aHigh < bLow) i++;
    else if (bHigh < aLow) j++;
    else return true;
  }
  return false;
}

/** Adds the other ASCII case of every letter, as the `i` flag does. */
export function foldCase(set: CharSet): CharSet {
  const extra: Array<[number, number]> = [];
  for (const [low, high] of set) {
    for (const [from, to, shift] of [
      [65, 90, 32],
      [97, 122, -32],
    ] as const) {
      const a = Math.max(low, from);
      const b = Math.min(high, to);
      if (a <= b) extra.push([a + shift, b + shift]);
    }
  }
  return extra.length === 0 ? set : union(set, extra);
}

/** A single code unit. */
export function single(unit: number): CharSet {
  return [[unit, unit]];
}

/** `\d`. */
export const digitSet: CharSet = [[48, 57]];
/** `\w`. */
export const wordSet: CharSet = charSet([
  [48, 57],
  [65, 90],
  [95, 95],
  [97, 122],
]);
/** `\s`, as JavaScript defines it. */
export const spaceSet: CharSet = charSet([
  [9, 13],
  [32, 32],
  [160, 160],
  [5760, 5760],
  [8192, 8202],
  [8232, 8233],
  [8239, 8239],
  [8287, 8287],
  [12288, 12288],
  [65279, 65279],
]);
/** `.` without the `s` flag: anything but a line terminator. */
export const dotSet: CharSet = complement(
  charSet([
    [10, 10],
    [13, 13],
    [8232, 8233],
  ]),
);
/** Every code unit. */
export const anySet: CharSet = [[0, maxUnit]];
/** No code unit. */
export const noneSet: CharSet = [];
