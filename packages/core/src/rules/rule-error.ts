import { CeError, type CeErrorOptions } from '../errors/ce-error.js';

/** A place in rule text. */
export interface RulePosition {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** 0-based character offset from the start of the text. */
  offset: number;
}

/** One problem found in a rule. */
export interface RuleIssue {
  /** Path of the offending node in the AST, e.g. `and[1].value`; empty for the whole rule. */
  path: string;
  /** Why it was rejected. */
  reason: string;
  /** Where in the rule text, when the rule was given as text. */
  position?: RulePosition;
}

/** Computes the 1-based line and column of `offset` in `text`. */
export function positionAt(text: string, offset: number): RulePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1, offset };
}

/** The line of `text` holding `position`, with a caret under the column. */
export function caretExcerpt(text: string, position: RulePosition): string {
  const start = position.offset - (position.column - 1);
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  const line = text.slice(start, end).replace(/\t/g, ' ');
  // Long lines are cut around the caret so the excerpt stays readable in a log line.
  const from = Math.max(0, position.column - 1 - 60);
  const shown = line.slice(from, from + 120);
  return `${shown}\n${' '.repeat(position.column - 1 - from)}^`;
}

/**
 * A rule that could not be parsed or is invalid (code `RULE_INVALID`). For rule text it carries
 * the position of the problem and a caret excerpt; for an AST the path of the offending node.
 */
export class RuleError extends CeError {
  /** Every problem found. */
  readonly issues: ReadonlyArray<RuleIssue>;
  /** Where the (first) problem is in the rule text, if the rule was text. */
  readonly position: RulePosition | undefined;
  /** The offending line with a caret under the problem, if the rule was text. */
  readonly excerpt: string | undefined;

  constructor(issues: ReadonlyArray<RuleIssue>, text?: string, options: CeErrorOptions = {}) {
    const first = issues[0] ?? { path: '', reason: 'invalid rule' };
    const position = first.position;
    const excerpt = position && text !== undefined ? caretExcerpt(text, position) : undefined;
    const where = position
      ? `line ${position.line}, column ${position.column}: `
      : first.path
        ? `${first.path}: `
        : '';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super('RULE_INVALID', `invalid rule: ${where}${first.reason}${more}${excerpt ? `\n${excerpt}` : ''}`, {
      ...options,
      details: { ...options.details, issues },
    });
    this.name = 'RuleError';
    this.issues = issues;
    this.position = position;
    this.excerpt = excerpt;
  }

  /** A rule text error at one offset. */
  static at(text: string, offset: number, reason: string): RuleError {
    return new RuleError([{ path: '', reason, position: positionAt(text, offset) }], text);
  }
}
