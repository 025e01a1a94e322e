import { CeError } from '@ce/core';

/**
 * An incremental JSON scanner for STIX bundles. It reads bytes in chunks of any size, checks the
 * JSON syntax as it goes, tracks strings, escapes and nesting, and hands out the raw bytes of each
 * element of the top-level `objects` array as soon as the element ends. It never holds more than
 * one element (plus the current chunk) in memory.
 *
 * @module
 */

/** Limits of {@link BundleScanner}. */
export interface BundleScannerLimits {
  /** Deepest nesting accepted; the bundle object is depth 1, `objects` depth 2, an object depth 3. */
  maxDepth: number;
  /** Largest element of `objects`, in bytes; a larger one is skipped and reported. */
  maxObjectBytes: number;
}

/** What the scanner reports for each element of `objects`. */
export type ScannedElement =
  | { index: number; bytes: Uint8Array; tooLarge?: undefined; size: number }
  | { index: number; bytes?: undefined; tooLarge: true; size: number };

enum State {
  Start,
  Value,
  AfterValue,
  ObjectFirst,
  Key,
  Colon,
  ArrayFirst,
  String,
  StringEscape,
  StringUnicode,
  Number,
  Literal,
  End,
}

enum NumberState {
  Sign,
  Zero,
  Integer,
  Dot,
  Fraction,
  Exponent,
  ExponentSign,
  ExponentDigits,
}

const OBJECT = 1;
const ARRAY = 2;
const topStringCapture = 4096;
const literals = { t: 'true', f: 'false', n: 'null' } as const;
const decoder = new TextDecoder('utf-8');
const bom = [0xef, 0xbb, 0xbf];

function describeByte(byte: number): string {
  return byte >= 0x20 && byte < 0x7f
    ? `"${String.fromCharCode(byte)}"`
    : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}

/**
 * The scanner behind {@link readStixBundle}. Call {@link BundleScanner.push} with each chunk and
 * {@link BundleScanner.end} after the last; completed elements arrive through `onElement`.
 * Malformed JSON throws a `STIX_INVALID` `CeError` whose `details.offset` is the byte offset.
 */
export class BundleScanner {
  /** The bundle's `type`, once read. */
  bundleType: string | undefined;
  /** The bundle's `id`, once read. */
  bundleId: string | undefined;
  /** Whether a top-level `objects` member was seen. */
  sawObjects = false;

  private readonly limits: BundleScannerLimits;
  private readonly onElement: (element: ScannedElement) => void;
  private readonly stack: Uint8Array;
  private depth = 0;
  private state = State.Start;
  private offset = 0;
  private numberState = NumberState.Sign;
  private literal = '';
  private literalAt = 0;
  private unicodeLeft = 0;
  private stringIsKey = false;
  private topKey: string | undefined;
  private topString: number[] | undefined;
  private objectsActive = false;
  private elementIndex = -1;
  private capturing = false;
  private captureStart = 0;
  private pieces: Uint8Array[] = [];
  private captureSize = 0;
  private captureTooLarge = false;
  private bomIndex = 0;

  constructor(limits: BundleScannerLimits, onElement: (element: ScannedElement) => void) {
    this.limits = limits;
    this.onElement = onElement;
    this.stack = new Uint8Array(limits.maxDepth + 1);
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  private fail(at: number, message: string): never {
    const offset = this.offset + at;
    throw new CeError('STIX_INVALID', `malformed STIX bundle at byte ${offset}: ${message}`, {
      details: { offset },
    });
  }

  /** Scans one chunk. */
  push(chunk: Uint8Array): void {
    const length = chunk.length;
    let i = 0;
    if (this.capturing) this.captureStart = 0;
    while (i < length) {
      const byte = chunk[i] as number;
      switch (this.state) {
        case State.String: {
          // Fast path: run to the next quote, backslash or control character.
          let j = i;
          const collect = this.topString !== undefined;
          while (j < length) {
            const b = chunk[j] as number;
            if (b === 0x22 || b === 0x5c || b < 0x20) break;
            if (collect && (this.topString as number[]).length < topStringCapture)
              (this.topString as number[]).push(b);
            j++;
          }
          if (j === length) {
            i = j;
            continue;
          }
          const b = chunk[j] as number;
          if (b === 0x22) this.closeString(chunk, j);
          else if (b === 0x5c) {
            this.topString?.push(b);
            this.state = State.StringEscape;
          } else this.fail(j, `unescaped control character (${describeByte(b)}) in a string`);
          i = j + 1;
          continue;
        }
        case State.StringEscape:
          this.topString?.push(byte);
          if (byte === 0x75) {
            this.state = State.StringUnicode;
            this.unicodeLeft = 4;
          } else if (
            byte === 0x22 ||
            byte === 0x5c ||
            byte === 0x2f ||
            byte === 0x62 ||
            byte === 0x66 ||
            byte === 0x6e ||
            byte === 0x72 ||
            byte === 0x74
          )
            this.state = State.String;
          else this.fail(i, `invalid escape \\${String.fromCharCode(byte)}`);
          i++;
          continue;
        case State.StringUnicode:
          if (
            !(
              (byte >= 0x30 && byte <= 0x39) ||
              (byte >= 0x41 && byte <= 0x46) ||
              (byte >= 0x61 && byte <= 0x66)
            )
          )
            this.fail(i, 'invalid \\u escape: expected 4 hexadecimal digits');
          this.topString?.push(byte);
          if (--this.unicodeLeft === 0) this.state = State.String;
          i++;
          continue;
        case State.Number:
          if (this.stepNumber(byte)) {
            i++;
            continue;
          }
          if (
            this.numberState === NumberState.Sign ||
            this.numberState === NumberState.Dot ||
            this.numberState === NumberState.Exponent ||
            this.numberState === NumberState.ExponentSign
          )
            this.fail(i, `incomplete number before ${describeByte(byte)}`);
          this.endValue(chunk, i);
          continue; // re-read this byte after the value
        case State.Start:
          // A UTF-8 byte order mark (EF BB BF) may precede the bundle, split across chunks like anything else.
          if (
            this.bomIndex < 3 &&
            this.offset + i === this.bomIndex &&
            (this.bomIndex > 0 || byte === 0xef)
          ) {
            if (byte !== (bom[this.bomIndex] as number)) this.fail(i, 'invalid byte order mark');
            this.bomIndex++;
            i++;
            continue;
          }
          if (this.bomIndex === 1 || this.bomIndex === 2) this.fail(i, 'invalid byte order mark');
          break;
        case State.Literal:
          if (byte !== this.literal.charCodeAt(this.literalAt))
            this.fail(i, `unexpected ${describeByte(byte)} in literal ${this.literal}`);
          if (++this.literalAt === this.literal.length) this.endValue(chunk, i + 1);
          i++;
          continue;
      }
      // Structural states: whitespace is skipped everywhere.
      if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) {
        i++;
        continue;
      }
      switch (this.state) {
        case State.Start:
          if (byte !== 0x7b) this.fail(i, `a STIX bundle must be a JSON object, found ${describeByte(byte)}`);
          this.startValue(i, byte);
          break;
        case State.Value:
          this.startValue(i, byte);
          break;
        case State.ArrayFirst:
          if (byte === 0x5d) this.close(chunk, i, ARRAY);
          else this.startValue(i, byte);
          break;
        case State.ObjectFirst:
        case State.Key:
          if (byte === 0x22) {
            this.stringIsKey = true;
            if (this.depth === 1) this.topString = [];
            this.state = State.String;
          } else if (byte === 0x7d && this.state === State.ObjectFirst) this.close(chunk, i, OBJECT);
          else this.fail(i, `expected a property name, found ${describeByte(byte)}`);
          break;
        case State.Colon:
          if (byte !== 0x3a) this.fail(i, `expected ":", found ${describeByte(byte)}`);
          this.state = State.Value;
          break;
        case State.AfterValue: {
          const container = this.stack[this.depth];
          if (byte === 0x2c) this.state = container === OBJECT ? State.Key : State.Value;
          else if (byte === 0x7d && container === OBJECT) this.close(chunk, i, OBJECT);
          else if (byte === 0x5d && container === ARRAY) this.close(chunk, i, ARRAY);
          else
            this.fail(
              i,
              `expected "," or "${container === OBJECT ? '}' : ']'}", found ${describeByte(byte)}`,
            );
          break;
        }
        case State.End:
          this.fail(i, `unexpected ${describeByte(byte)} after the bundle`);
      }
      i++;
    }
    if (this.capturing && !this.captureTooLarge) {
      const piece = chunk.slice(this.captureStart);
      this.captureSize += piece.length;
      if (this.captureSize > this.limits.maxObjectBytes) this.dropCapture();
      else this.pieces.push(piece);
    } else if (this.capturing) {
      this.captureSize += length - this.captureStart;
    }
    this.offset += length;
  }

  /** Ends the input; throws when the bundle is incomplete. */
  end(): void {
    if (this.state !== State.End)
      throw new CeError(
        'STIX_INVALID',
        `malformed STIX bundle: unexpected end of input at byte ${this.offset}`,
        {
          details: { offset: this.offset },
        },
      );
  }

  private dropCapture(): void {
    this.captureTooLarge = true;
    this.pieces = [];
  }

  private startValue(i: number, byte: number): void {
    if (this.objectsActive && this.depth === 2) {
      this.capturing = true;
      this.captureStart = i;
      this.captureSize = 0;
      this.captureTooLarge = false;
      this.pieces = [];
      this.elementIndex++;
    }
    if (this.depth === 1 && this.topKey === 'objects') {
      if (byte !== 0x5b) this.fail(i, 'the bundle\'s "objects" must be an array');
      this.objectsActive = true;
      this.sawObjects = true;
    }
    switch (byte) {
      case 0x7b:
      case 0x5b:
        if (this.depth === this.limits.maxDepth)
          this.fail(i, `nesting deeper than ${this.limits.maxDepth} levels`);
        this.stack[++this.depth] = byte === 0x7b ? OBJECT : ARRAY;
        this.state = byte === 0x7b ? State.ObjectFirst : State.ArrayFirst;
        return;
      case 0x22:
        this.stringIsKey = false;
        if (this.depth === 1 && (this.topKey === 'id' || this.topKey === 'type')) this.topString = [];
        this.state = State.String;
        return;
      case 0x74:
      case 0x66:
      case 0x6e:
        this.literal = literals[String.fromCharCode(byte) as keyof typeof literals];
        this.literalAt = 1;
        this.state = State.Literal;
        return;
      default:
        if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
          this.numberState =
            byte === 0x2d ? NumberState.Sign : byte === 0x30 ? NumberState.Zero : NumberState.Integer;
          this.state = State.Number;
          return;
        }
        this.fail(i, `expected a value, found ${describeByte(byte)}`);
    }
  }

  /** Advances the number grammar by one byte; false when the byte does not belong to the number. */
  private stepNumber(byte: number): boolean {
    const digit = byte >= 0x30 && byte <= 0x39;
    switch (this.numberState) {
      case NumberState.Sign:
        if (!digit) return false;
        this.numberState = byte === 0x30 ? NumberState.Zero : NumberState.Integer;
        return true;
      case NumberState.Zero:
      case NumberState.Integer:
        if (digit && this.numberState === NumberState.Integer) return true;
        if (byte === 0x2e) this.numberState = NumberState.Dot;
        else if (byte === 0x65 || byte === 0x45) this.numberState = NumberState.Exponent;
        else return false;
        return true;
      case NumberState.Dot:
        if (!digit) return false;
        this.numberState = NumberState.Fraction;
        return true;
      case NumberState.Fraction:
        if (digit) return true;
        if (byte === 0x65 || byte === 0x45) {
          this.numberState = NumberState.Exponent;
          return true;
        }
        return false;
      case NumberState.Exponent:
        if (byte === 0x2b || byte === 0x2d) this.numberState = NumberState.ExponentSign;
        else if (digit) this.numberState = NumberState.ExponentDigits;
        else return false;
        return true;
      case NumberState.ExponentSign:
        if (!digit) return false;
        this.numberState = NumberState.ExponentDigits;
        return true;
      case NumberState.ExponentDigits:
        return digit;
    }
  }

  private closeString(chunk: Uint8Array, i: number): void {
    const captured = this.topString;
    this.topString = undefined;
    if (this.stringIsKey) {
      this.stringIsKey = false;
      if (this.depth === 1 && captured) this.topKey = this.decodeTopString(captured, i);
      this.state = State.Colon;
      return;
    }
    if (this.depth === 1 && captured) {
      const text = this.decodeTopString(captured, i);
      if (this.topKey === 'type') {
        this.bundleType = text;
        if (text !== 'bundle') this.fail(i, `not a STIX bundle: type is ${JSON.stringify(text)}`);
      } else if (this.topKey === 'id') this.bundleId = text;
    }
    this.endValue(chunk, i + 1);
  }

  private decodeTopString(bytes: number[], at: number): string | undefined {
    if (bytes.length >= topStringCapture) return undefined;
    try {
      return JSON.parse(`"${decoder.decode(Uint8Array.from(bytes))}"`) as string;
    } catch {
      return this.fail(at, 'invalid string');
    }
  }

  private close(chunk: Uint8Array, i: number, container: number): void {
    if (this.stack[this.depth] !== container) this.fail(i, 'mismatched bracket');
    this.depth--;
    this.endValue(chunk, i + 1);
  }

  /** A value ended just before `end` (an index into `chunk`). */
  private endValue(chunk: Uint8Array, end: number): void {
    if (this.capturing && this.depth === 2) {
      this.capturing = false;
      const size = this.captureSize + (end - this.captureStart);
      if (this.captureTooLarge || size > this.limits.maxObjectBytes) {
        this.pieces = [];
        this.onElement({ index: this.elementIndex, tooLarge: true, size });
      } else {
        const last = chunk.subarray(this.captureStart, end);
        const bytes = this.pieces.length === 0 ? last : Buffer.concat([...this.pieces, last]);
        this.pieces = [];
        this.onElement({ index: this.elementIndex, bytes, size });
      }
    }
    if (this.depth === 1) {
      if (this.topKey === 'objects') this.objectsActive = false;
      this.topKey = undefined;
    }
    this.state = this.depth === 0 ? State.End : State.AfterValue;
  }
}
