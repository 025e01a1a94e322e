/**
 * Silences as Alertmanager has them: every matcher must hold (`=`, `!=`, and the anchored regex
 * matchers `=~`, `!~`) while the silence is in force. An absent field reads as the empty string,
 * so `user != "x"` holds for an alert without a user and `user = ""` matches it.
 *
 * @module
 */
import { type Alert, CeError, regexProblem } from '@ce/core';
import { fieldReader } from './alert-fields.js';
import type { Silence } from './orchestrator-config.js';

const patterns = new Map<string, RegExp>();

/** Compiles a matcher's regex, anchored as Alertmanager anchors it; refuses catastrophic ones. */
function pattern(source: string): RegExp {
  let compiled = patterns.get(source);
  if (!compiled) {
    const problem = regexProblem(source);
    if (problem) throw new CeError('VALIDATION_FAILED', `silence matcher /${source}/: ${problem}`);
    compiled = new RegExp(`^(?:${source})$`);
    if (patterns.size < 10_000) patterns.set(source, compiled);
  }
  return compiled;
}

/** A silence compiled into a test over alerts; the time check is the caller's. */
export interface CompiledSilence {
  readonly silence: Silence;
  /** Whether every matcher holds for the alert. */
  matches(alert: Alert): boolean;
}

/** Compiles a silence's matchers once; throws `VALIDATION_FAILED` for an unusable regex. */
export function compileSilence(silence: Silence): CompiledSilence {
  const tests = silence.matchers.map((matcher) => {
    const read = fieldReader(matcher.field);
    const value = matcher.value;
    switch (matcher.op) {
      case '=':
        return (alert: Alert) => (read(alert) ?? '') === value;
      case '!=':
        return (alert: Alert) => (read(alert) ?? '') !== value;
      case '=~': {
        const regex = pattern(value);
        return (alert: Alert) => regex.test(read(alert) ?? '');
      }
      default: {
        const regex = pattern(value);
        return (alert: Alert) => !regex.test(read(alert) ?? '');
      }
    }
  });
  return {
    silence,
    matches(alert) {
      for (const test of tests) if (!test(alert)) return false;
      return true;
    },
  };
}

/** Whether a silence is in force at `now` (start inclusive, end exclusive). */
export function silenceActive(silence: Silence, now: number): boolean {
  return now >= silence.startsAt && now < silence.endsAt;
}

/** Whether a silence is in force at `now` and every one of its matchers holds for the alert. */
export function silenceMatches(
  silence: Silence,
  alert: Readonly<Record<string, unknown>>,
  now: number,
): boolean {
  return silenceActive(silence, now) && compileSilence(silence).matches(alert as unknown as Alert);
}
