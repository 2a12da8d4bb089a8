import { QonlineError } from '../../../../core/index.js';
import { isValidDay } from '../storage/index.js';

export const REQUIRED_COLUMNS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;
/** Text columns that CSV exports often carry; they name the instrument and are not fields. */
export const IGNORED_TEXT_COLUMNS = ['symbol', 'code', 'instrument', 'ticker', 'name'] as const;

const FIELD_NAME = /^[a-z_][a-z0-9_]*$/;
const MISSING = new Set(['', 'nan', 'na', 'n/a', 'null', 'none']);
const DATE_FORMS = /^(\d{4})[-/]?(\d{2})[-/]?(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$/;

/** One instrument's CSV, columnar: row r has date `dates[r]` and `values[c][r]` for field `fields[c]`. */
export interface InstrumentCsv {
  file: string;
  dates: string[];
  /** 1-based source line of each row, for messages. */
  lines: Int32Array;
  /** Lower-case numeric field names, in header order, `date` and ignored text columns excluded. */
  fields: string[];
  values: Float64Array[];
}

/** An input error located at file:line (the CLI prints the location once, before the message). */
function fail(file: string, line: number, message: string): QonlineError {
  return new QonlineError('QONLINE_INPUT_INVALID', message, { location: { file, line } });
}

/** Largest magnitude a float32 holds; stored values are float32, so anything larger would become Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** Fields that are prices or volumes: never negative. */
export const NON_NEGATIVE_FIELDS = new Set(['open', 'high', 'low', 'close', 'volume', 'vwap', 'amount', 'factor']);

/** Splits one CSV line; double quotes may wrap a cell ("" inside quotes is a quote). */
export function splitCsvLine(line: string): string[] | null {
  if (line.indexOf('"') < 0) return line.split(',');
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  if (quoted) return null;
  cells.push(cell);
  return cells;
}

/** `YYYY-MM-DD`, `YYYY/MM/DD` or `YYYYMMDD`, optionally with a midnight time; null otherwise. */
export function parseCsvDate(text: string): string | null {
  // The common case without a regex: exactly YYYY-MM-DD.
  if (text.length === 10 && text.charCodeAt(4) === 45) return isValidDay(text) ? text : null;
  const m = DATE_FORMS.exec(text);
  if (!m) return null;
  const day = `${m[1]}-${m[2]}-${m[3]}`;
  return isValidDay(day) ? day : null;
}

/** `0x1F`, `0b1`, `0o7`: Number() accepts them, a CSV of prices should not. */
function isRadixLiteral(text: string): boolean {
  if (text.length < 3 || text.charCodeAt(0) !== 48) return false;
  const c = text.charCodeAt(1) | 32;
  return c === 120 || c === 98 || c === 111;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Plain decimals of at most 15 digits (`-12.345`): the digits form an exact
 * integer below 2^53 and 10^k is exact, so one division gives the correctly
 * rounded value, identical to Number(). Returns undefined for anything else.
 */
function parseShortDecimal(text: string): number | undefined {
  const n = text.length;
  let i = 0;
  let negative = false;
  const c0 = text.charCodeAt(0);
  if (c0 === 45 || c0 === 43) {
    negative = c0 === 45;
    i = 1;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) fraction = 0;
    else return undefined;
  }
  if (digits === 0 || digits > 15) return undefined;
  const v = fraction > 0 ? mantissa / POW10[fraction]! : mantissa;
  return negative ? -v : v;
}

/** A number, or NaN for an empty/missing marker; undefined when the text is not a number. */
export function parseCsvNumber(text: string): number | undefined {
  if (text.length === 0) return NaN;
  const quick = parseShortDecimal(text);
  if (quick !== undefined) return quick;
  // Number() handles exponents and long mantissas; it also accepts a few forms we must refuse.
  const v = Number(text);
  if (!Number.isNaN(v)) return isRadixLiteral(text) ? undefined : v;
  const lower = text.toLowerCase();
  if (MISSING.has(lower)) return NaN;
  if (lower === 'inf' || lower === '+inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  return undefined;
}

/** A cell as shown in a message (a 5-million-digit number is cut). */
function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 20)}...(${s.length} characters)` : s;
}

function trimCell(s: string): string {
  const n = s.length;
  if (n === 0) return s;
  return s.charCodeAt(0) <= 32 || s.charCodeAt(n - 1) <= 32 ? s.trim() : s;
}

function stripCr(s: string): string {
  return s.length > 0 && s.charCodeAt(s.length - 1) === 13 ? s.slice(0, -1) : s;
}

/**
 * Parses one instrument's CSV text. Every problem is an error naming file and
 * line: missing required column, unparsable number or date, wrong cell count,
 * dates out of order, duplicate dates.
 */
export function parseInstrumentCsv(text: string, file: string): InstrumentCsv {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // A CR not followed by LF is an old Mac line ending: the whole file would read as one line.
  for (let i = text.indexOf('\r'); i >= 0; i = text.indexOf('\r', i + 1)) {
    if (text.charCodeAt(i + 1) !== 10) {
      let line = 1;
      for (let j = text.indexOf('\n'); j >= 0 && j < i; j = text.indexOf('\n', j + 1)) line++;
      throw fail(file, line, 'line ends with a lone CR (classic Mac line endings); save the file with LF or CRLF line endings');
    }
  }
  const lines = text.split('\n');
  let headerLine = 0;
  while (headerLine < lines.length && lines[headerLine]!.trim() === '') headerLine++;
  if (headerLine === lines.length) throw fail(file, 1, 'the file is empty; expected a header line date,open,high,low,close,volume');
  const header = splitCsvLine(stripCr(lines[headerLine]!));
  if (header === null) throw fail(file, headerLine + 1, 'unterminated quote in the header');
  const names = header.map((h) => h.trim().toLowerCase());

  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw fail(file, headerLine + 1, `column "${n}" appears twice in the header`);
    seen.add(n);
  }
  const missing = REQUIRED_COLUMNS.filter((c) => !seen.has(c));
  if (missing.length > 0) {
    throw fail(file, headerLine + 1, `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (header has: ${names.join(', ')})`);
  }
  const dateCol = names.indexOf('date');
  const fieldCols: number[] = [];
  const fields: string[] = [];
  for (let c = 0; c < names.length; c++) {
    const n = names[c]!;
    if (c === dateCol || (IGNORED_TEXT_COLUMNS as readonly string[]).includes(n)) continue;
    if (!FIELD_NAME.test(n)) {
      throw fail(file, headerLine + 1, `column name "${n}" cannot be a field name (letters, digits and _ only, not starting with a digit)`);
    }
    fieldCols.push(c);
    fields.push(n);
  }

  const dates: string[] = [];
  const rowLines: number[] = [];
  const cols: number[][] = fields.map(() => []);
  for (let li = headerLine + 1; li < lines.length; li++) {
    const raw = stripCr(lines[li]!);
    if (raw.length === 0 || (raw.charCodeAt(0) <= 32 && raw.trim() === '')) continue;
    const lineNo = li + 1;
    const cells = splitCsvLine(raw);
    if (cells === null) throw fail(file, lineNo, 'unterminated quote');
    if (cells.length !== names.length) {
      throw fail(file, lineNo, `expected ${names.length} cells like the header, found ${cells.length}`);
    }
    const dateText = trimCell(cells[dateCol]!);
    const date = parseCsvDate(dateText);
    if (date === null) throw fail(file, lineNo, `column date: expected a real calendar date YYYY-MM-DD, found ${JSON.stringify(short(dateText))}`);
    const prev = dates[dates.length - 1];
    if (prev !== undefined) {
      if (date === prev) throw fail(file, lineNo, `duplicate date ${date} (also on line ${rowLines[rowLines.length - 1]})`);
      if (date < prev) throw fail(file, lineNo, `dates out of order: ${date} comes after ${prev} (line ${rowLines[rowLines.length - 1]}); rows must be sorted by date`);
    }
    for (let k = 0; k < fieldCols.length; k++) {
      const cellText = trimCell(cells[fieldCols[k]!]!);
      const v = parseCsvNumber(cellText);
      if (v === undefined) throw fail(file, lineNo, `column ${fields[k]}: expected a number, found ${JSON.stringify(short(cellText))}`);
      if (v === Infinity || v === -Infinity || Math.abs(v) > FLOAT32_MAX) {
        throw fail(file, lineNo, `column ${fields[k]}: ${JSON.stringify(short(cellText))} is not a finite number a float32 can hold (|x| <= ${FLOAT32_MAX})`);
      }
      if (v < 0 && NON_NEGATIVE_FIELDS.has(fields[k]!)) throw fail(file, lineNo, `column ${fields[k]}: a price or volume cannot be negative, found ${short(cellText)}`);
      cols[k]!.push(v);
    }
    dates.push(date);
    rowLines.push(lineNo);
  }
  return {
    file,
    dates,
    lines: Int32Array.from(rowLines),
    fields,
    values: cols.map((c) => Float64Array.from(c)),
  };
}
