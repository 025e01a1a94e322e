/**
 * The outcome of parsing one CSV record: its fields, a record whose quoted field continues on the
 * next line, or why the text is not CSV.
 */
export type CsvParse = { fields: string[] } | { incomplete: true } | { error: string };

/**
 * Parses one CSV record (RFC 4180 with the leniency real feeds need): fields in double quotes may
 * hold the delimiter, doubled quotes and line breaks; blanks between a delimiter and an opening
 * quote are skipped (abuse.ch writes `"a", "b"`); a quote inside an unquoted field is kept as is.
 * A quoted field still open at the end of `text` gives `incomplete`, so the caller can append the
 * next line and try again.
 */
export function parseCsvRecord(text: string, delimiter = ','): CsvParse {
  const fields: string[] = [];
  const length = text.length;
  let index = 0;
  for (;;) {
    // Leading blanks before an opening quote are padding, not content.
    let start = index;
    while (start < length && (text[start] === ' ' || text[start] === '\t') && text[start] !== delimiter)
      start++;
    if (text[start] === '"') {
      let value = '';
      let position = start + 1;
      for (;;) {
        const close = text.indexOf('"', position);
        if (close === -1) return { incomplete: true };
        value += text.slice(position, close);
        if (text[close + 1] === '"') {
          value += '"';
          position = close + 2;
          continue;
        }
        position = close + 1;
        break;
      }
      while (
        position < length &&
        (text[position] === ' ' || text[position] === '\t' || text[position] === '\r')
      ) {
        if (text[position] === delimiter) break;
        position++;
      }
      fields.push(value);
      if (position >= length) return { fields };
      if (text[position] !== delimiter) {
        return { error: `unexpected text after the closing quote of field ${fields.length}` };
      }
      index = position + 1;
      continue;
    }
    const next = text.indexOf(delimiter, index);
    if (next === -1) {
      fields.push(text.slice(index));
      return { fields };
    }
    fields.push(text.slice(index, next));
    index = next + 1;
  }
}
