import { CeError, type CeErrorOptions } from '@ce/core';

/**
 * Why a pattern was rejected. The first three come from the parser; the others from
 * the checks of meaning that `validatePattern` adds.
 *
 * | code | meaning |
 * | --- | --- |
 * | `syntax` | the text does not follow the STIX 2.1 pattern grammar |
 * | `too-long` | the text is longer than the `maxLength` option |
 * | `too-deep` | parentheses nest deeper than the `maxDepth` option |
 * | `invalid-object-type` | an object type is not a valid STIX type name |
 * | `invalid-hash` | a hash value has the wrong length or is not hex for its algorithm |
 * | `invalid-timestamp` | a timestamp literal is not a real date and time |
 * | `invalid-qualifier` | `WITHIN` or `REPEATS` is not positive, or `START` is not before `STOP` |
 * | `duplicate-qualifier` | the same qualifier appears twice on one expression |
 * | `invalid-regex` | a `MATCHES` expression does not compile |
 * | `empty-set` | an `IN` list is empty |
 * | `invalid-address` | an `ipv4-addr` or `ipv6-addr` value is not an address or CIDR block |
 */
export type PatternIssueCode =
  | 'syntax'
  | 'too-long'
  | 'too-deep'
  | 'invalid-object-type'
  | 'invalid-hash'
  | 'invalid-timestamp'
  | 'invalid-qualifier'
  | 'duplicate-qualifier'
  | 'invalid-regex'
  | 'empty-set'
  | 'invalid-address';

/** The position of an offset as a 1-based line and column. */
function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: position - lineStart + 1 };
}

/**
 * A STIX pattern that cannot be parsed (code `STIX_PATTERN_INVALID`). It says where: `position` is
 * the 0-based offset of the offending token, `line` and `column` the same place counted from 1.
 * The message reads like `expected ']' at 17, found 'AND'`.
 */
export class StixPatternError extends CeError {
  /** 0-based offset (UTF-16 code units) of the offending character or token. */
  readonly position: number;
  /** 1-based line of {@link StixPatternError.position}; absent when the text is unknown. */
  readonly line?: number;
  /** 1-based column of {@link StixPatternError.position}; absent when the text is unknown. */
  readonly column?: number;
  /** The kind of problem: `syntax`, `too-long` or `too-deep` from the parser. */
  readonly issue: PatternIssueCode;

  /**
   * @param message - what is wrong, including the offset
   * @param position - 0-based offset of the problem
   * @param issue - the kind of problem
   * @param text - the pattern, to compute `line` and `column`; never copied into the error
   */
  constructor(
    message: string,
    position: number,
    issue: PatternIssueCode = 'syntax',
    text?: string,
    options: CeErrorOptions = {},
  ) {
    const where = text === undefined ? undefined : lineAndColumn(text, position);
    super('STIX_PATTERN_INVALID', message, {
      ...options,
      details: { ...options.details, position, issue, ...where },
    });
    this.name = 'StixPatternError';
    this.position = position;
    this.issue = issue;
    if (where) {
      this.line = where.line;
      this.column = where.column;
    }
  }
}
