/** A deep copy of a syntax tree without `start`/`end`, to compare trees parsed from different text. */
export function stripSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSpans);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (key !== 'start' && key !== 'end') out[key] = stripSpans(child);
    }
    return out;
  }
  return value;
}
