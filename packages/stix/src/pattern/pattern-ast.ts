/**
 * The syntax tree of a STIX 2.1 pattern (STIX 2.1 section 9). Every node carries `start` and `end`
 * offsets into the text it was parsed from (UTF-16 code units, `end` exclusive) so that a caller can
 * point at the exact place of a problem. Nodes built by hand may use any offsets; the printer ignores
 * them.
 *
 * Chains of one operator at one level (`[a] OR [b] OR [c]`) become one node with several operands
 * instead of a left-leaning binary tree, which keeps the tree shallow for patterns with thousands of
 * observations. Parentheses that group a chain produce a nested node, so the tree still records the
 * grouping the author wrote.
 *
 * @module
 */

/** Where a node sits in the pattern text: `start` inclusive, `end` exclusive (UTF-16 offsets). */
export interface PatternSpan {
  /** Offset of the node's first character. */
  start: number;
  /** Offset just past the node's last character. */
  end: number;
}

/** A string literal: `'text'`; `value` holds the text with `\'` and `\\` already unescaped. */
export interface StringLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'string';
  /** The unescaped text. */
  value: string;
}

/**
 * An integer literal such as `42`, `-7` or `+3`. Values beyond `Number.MAX_SAFE_INTEGER` are kept
 * exact as a `bigint`.
 */
export interface IntegerLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'integer';
  /** The value; a `bigint` only when it does not fit a safe JavaScript integer. */
  value: number | bigint;
}

/** A floating point literal such as `7.0` or `-.5` (the grammar has no exponent form). */
export interface FloatLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'float';
  /** The value. */
  value: number;
}

/** `true` or `false` (lower case, as the grammar requires). */
export interface BooleanLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'boolean';
  /** The value. */
  value: boolean;
}

/** A binary literal `b'base64'`; `value` is the base64 text between the quotes. */
export interface BinaryLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'binary';
  /** The base64 text, as written. */
  value: string;
}

/** A hex literal `h'0a1b'`; `value` is the hex digits between the quotes, as written. */
export interface HexLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'hex';
  /** The hex digits, as written (an even number of them, possibly none). */
  value: string;
}

/** A timestamp literal `t'2016-01-20T12:31:12.123Z'`; `value` is the text between the quotes. */
export interface TimestampLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'timestamp';
  /** The RFC 3339 UTC timestamp, as written. */
  value: string;
}

/** Any literal that may stand on the right of `=` or inside an `IN` list. */
export type PatternLiteral =
  | StringLiteralNode
  | IntegerLiteralNode
  | FloatLiteralNode
  | BooleanLiteralNode
  | BinaryLiteralNode
  | HexLiteralNode
  | TimestampLiteralNode;

/** The kinds of {@link PatternLiteral}. */
export type PatternLiteralKind = PatternLiteral['kind'];

/** The list on the right of `IN`: `('a', 'b')`. The grammar allows an empty list. */
export interface SetLiteralNode extends PatternSpan {
  /** Discriminant. */
  kind: 'set';
  /** The members in written order. */
  values: PatternLiteral[];
}

/** One property step of an object path: `.name` or `.'quoted-name'` (or the first component). */
export interface PropertyPathStep extends PatternSpan {
  /** Discriminant. */
  kind: 'property';
  /** The property name, unquoted and unescaped. */
  name: string;
}

/** One list index step of an object path: `[0]`, `[-1]` or `[*]` (any member). */
export interface IndexPathStep extends PatternSpan {
  /** Discriminant. */
  kind: 'index';
  /** The index, or `'*'` for any member. */
  index: number | '*';
}

/** A step of an object path. */
export type PathStep = PropertyPathStep | IndexPathStep;

/**
 * An object path such as `file:hashes.'SHA-256'` or
 * `file:extensions.'windows-pebinary-ext'.sections[*].entropy`.
 */
export interface ObjectPathNode extends PatternSpan {
  /** Discriminant. */
  kind: 'path';
  /** The STIX Cyber-observable Object type before the colon, e.g. `file`. */
  objectType: string;
  /** The steps after the colon; the first one is always a {@link PropertyPathStep}. */
  steps: [PropertyPathStep, ...PathStep[]];
}

/**
 * Operators that compare a property with one literal. `==` is read as `=`, `<>` as `!=`.
 * `LIKE`, `MATCHES`, `ISSUBSET` and `ISSUPERSET` take a string literal; the order operators take any
 * literal but a boolean.
 */
export type ValueComparisonOperator =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'LIKE'
  | 'MATCHES'
  | 'ISSUBSET'
  | 'ISSUPERSET';

/** Every comparison operator. */
export type ComparisonOperator = ValueComparisonOperator | 'IN' | 'EXISTS';

interface ComparisonBase extends PatternSpan {
  kind: 'comparison';
  /** The property compared. */
  path: ObjectPathNode;
  /** True when `NOT` precedes the operator (`file:size NOT > 5`, `NOT EXISTS file:name`). */
  negated: boolean;
}

/** `path [NOT] op literal`, e.g. `url:value = 'http://x.example/'`. */
export interface ValueComparisonNode extends ComparisonBase {
  /** The operator. */
  operator: ValueComparisonOperator;
  /** The literal on the right. */
  value: PatternLiteral;
}

/** `path [NOT] IN (literal, ...)`. */
export interface SetComparisonNode extends ComparisonBase {
  /** The operator. */
  operator: 'IN';
  /** The list on the right. */
  value: SetLiteralNode;
}

/** `[NOT] EXISTS path`. */
export interface ExistsComparisonNode extends ComparisonBase {
  /** The operator. */
  operator: 'EXISTS';
}

/** One comparison inside an observation's brackets. */
export type ComparisonNode = ValueComparisonNode | SetComparisonNode | ExistsComparisonNode;

/** `AND` or `OR` between comparisons inside one observation; `AND` binds tighter. */
export interface ComparisonOperationNode extends PatternSpan {
  /** Discriminant. */
  kind: 'comparison-op';
  /** The operator joining every operand. */
  op: 'AND' | 'OR';
  /** Two or more operands, in written order. */
  operands: ComparisonExpression[];
}

/** What may stand inside an observation's brackets. */
export type ComparisonExpression = ComparisonNode | ComparisonOperationNode;

/** An observation expression `[ comparisons ]`. */
export interface ObservationNode extends PatternSpan {
  /** Discriminant. */
  kind: 'observation';
  /** The comparison expression inside the brackets. */
  comparison: ComparisonExpression;
}

/**
 * `AND`, `OR` or `FOLLOWEDBY` between observation expressions. `AND` binds tightest, then `OR`, then
 * `FOLLOWEDBY`, as in the STIX 2.1 grammar.
 */
export interface ObservationOperationNode extends PatternSpan {
  /** Discriminant. */
  kind: 'observation-op';
  /** The operator joining every operand. */
  op: 'AND' | 'OR' | 'FOLLOWEDBY';
  /** Two or more operands, in written order. */
  operands: ObservationExpression[];
}

/** `WITHIN n SECONDS`; the grammar allows a positive integer or decimal number. */
export interface WithinQualifier extends PatternSpan {
  /** Discriminant. */
  kind: 'within';
  /** The window in seconds. */
  seconds: number;
}

/** `REPEATS n TIMES`. */
export interface RepeatsQualifier extends PatternSpan {
  /** Discriminant. */
  kind: 'repeats';
  /** How many times the expression must match. */
  times: number;
}

/** `START t'...' STOP t'...'`. */
export interface StartStopQualifier extends PatternSpan {
  /** Discriminant. */
  kind: 'start-stop';
  /** The start of the window (inclusive). */
  startTime: TimestampLiteralNode;
  /** The end of the window (exclusive). */
  stopTime: TimestampLiteralNode;
}

/** A qualifier that follows an observation expression. */
export type PatternQualifier = WithinQualifier | RepeatsQualifier | StartStopQualifier;

/**
 * An observation expression followed by one or more qualifiers, in written order:
 * `[a] REPEATS 5 TIMES WITHIN 1800 SECONDS`. Qualifiers bind tighter than any operator, so in
 * `[a] AND [b] WITHIN 5 SECONDS` only `[b]` is qualified.
 */
export interface QualifiedObservationNode extends PatternSpan {
  /** Discriminant. */
  kind: 'qualified';
  /** The qualified expression. */
  expression: ObservationExpression;
  /** One or more qualifiers, in written order. */
  qualifiers: PatternQualifier[];
}

/** Any observation expression. */
export type ObservationExpression = ObservationNode | ObservationOperationNode | QualifiedObservationNode;

/** A whole parsed pattern: its top observation expression. */
export type PatternAst = ObservationExpression;
