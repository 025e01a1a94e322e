import { z } from 'zod';
import type { Rule } from './rule-ast.js';
import { checkRule, findRuleProblems } from './rule-check.js';
import { RuleError, type RuleIssue } from './rule-error.js';
import { parseRule } from './rule-parser.js';

/** The outcome of {@link validateRule}. */
export type RuleValidation = { ok: true; rule: Rule } | { ok: false; errors: RuleIssue[] };

/**
 * Checks a rule given as an AST object or as text. Never throws: every problem comes back with
 * the path of the node (AST) or the position (text) and the reason.
 *
 * @example
 * ```ts
 * const result = validateRule({ and: [{ field: 'a', op: 'eq', value: 1 }, { field: 'b', op: 'gt', value: [1] }] });
 * // { ok: false, errors: [{ path: 'and[1].value', reason: 'gt needs a number, ...' }] }
 * ```
 */
export function validateRule(input: unknown): RuleValidation {
  try {
    if (typeof input === 'string') return { ok: true, rule: parseRule(input) };
    const errors = checkRule(input);
    return errors.length === 0 ? { ok: true, rule: input as Rule } : { ok: false, errors };
  } catch (error) {
    if (RuleError.isInstance(error) && error instanceof RuleError)
      return { ok: false, errors: [...error.issues] };
    return {
      ok: false,
      errors: [{ path: '', reason: error instanceof Error ? error.message : String(error) }],
    };
  }
}

function addProblems(input: unknown, ctx: z.RefinementCtx): boolean {
  const problems = findRuleProblems(input);
  for (const problem of problems)
    ctx.addIssue({ code: 'custom', message: problem.reason, path: problem.path });
  return problems.length === 0;
}

/**
 * The zod schema of a rule AST, for embedding in other schemas (sharing rules, business rules,
 * mute rules). Its issues name the path of the offending node, e.g. `filter.and[1].value`.
 */
export const ruleSchema: z.ZodType<Rule> = z
  .custom<Rule>()
  .superRefine((input, ctx) => {
    addProblems(input, ctx);
  })
  .describe('a rule: { and: [...] }, { or: [...] }, { not: rule }, { always: true } or { field, op, value }');

/**
 * Like {@link ruleSchema}, but also accepts rule text and parses it to an AST; a parse error
 * becomes an issue whose message gives the line and column.
 *
 * @example
 * ```ts
 * const sharingRule = z.object({ name: z.string(), filter: ruleInputSchema });
 * sharingRule.parse({ name: 'high', filter: 'severity >= "high"' }).filter; // { field: 'severity', op: 'gte', value: 'high' }
 * ```
 */
export const ruleInputSchema: z.ZodType<Rule, Rule | string> = z
  .custom<Rule | string>()
  .transform((input, ctx): Rule => {
    if (typeof input === 'string') {
      try {
        return parseRule(input);
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        for (const issue of error.issues) {
          const where = issue.position
            ? `line ${issue.position.line}, column ${issue.position.column}: `
            : '';
          ctx.addIssue({ code: 'custom', message: `${where}${issue.reason}` });
        }
        return z.NEVER;
      }
    }
    return addProblems(input, ctx) ? input : z.NEVER;
  })
  .describe('a rule, as an AST object or as rule text such as severity >= "high"');
