import { CeError, regexProblem } from '@ce/core';
import type { Silence } from './orchestrator-config.js';

/** Reads a dotted path (`raw.policy`) from an alert view, as text. */
export function fieldText(view: Readonly<Record<string, unknown>>, field: string): string | undefined {
  let value: unknown = view;
  for (const segment of field.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
}

const patterns = new Map<string, RegExp>();

function pattern(source: string): RegExp {
  let compiled = patterns.get(source);
  if (!compiled) {
    // Anchored as Alertmanager anchors its regex matchers.
    const problem = regexProblem(source);
    if (problem) throw new CeError('VALIDATION_FAILED', `silence matcher /${source}/: ${problem}`);
    compiled = new RegExp(`^(?:${source})$`);
    patterns.set(source, compiled);
  }
  return compiled;
}

/** Whether a silence is in force at `now` and every one of its matchers holds for the alert. */
export function silenceMatches(
  silence: Silence,
  view: Readonly<Record<string, unknown>>,
  now: number,
): boolean {
  if (now < silence.startsAt || now >= silence.endsAt) return false;
  return silence.matchers.every((matcher) => {
    const value = fieldText(view, matcher.field) ?? '';
    switch (matcher.op) {
      case '=':
        return value === matcher.value;
      case '!=':
        return value !== matcher.value;
      case '=~':
        return pattern(matcher.value).test(value);
      default:
        return !pattern(matcher.value).test(value);
    }
  });
}
