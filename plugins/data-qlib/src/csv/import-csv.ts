import { promises as fsp } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { QonlineError, type InstrumentSpans } from '../../../../core/index.js';
import {
  calendarPath,
  encodeFeature,
  featurePath,
  fileNameToCode,
  formatCalendar,
  formatInstruments,
  instrumentsPath,
  listFields,
  parseCalendarText,
  parseInstrumentsText,
  readFeature,
  type FeatureSeries,
} from '../storage/index.js';
import { parseInstrumentCsv, type InstrumentCsv } from './parse-instrument-csv.js';
import { commitFiles, recoverInterruptedImport, withImportLock, type StagedFile } from './staged-commit.js';

export interface ImportCsvOptions {
  /** A folder of `<CODE>.csv` files (or one CSV file). */
  src: string;
  /** The Qlib data dir to create or update. */
  out: string;
  freq?: string;
  /** Replace stored values that differ from the CSV instead of failing. */
  overwrite?: boolean;
}

export interface ImportReport {
  out: string;
  freq: string;
  /** CSV files read and data rows in them. */
  files: number;
  rows: number;
  instruments: { added: string[]; updated: string[]; unchanged: string[] };
  calendar: { first: string; last: string; days: number; added: number };
  /** Every numeric field found in the CSVs. */
  fields: string[];
  filesWritten: number;
  /** Stored values replaced (only with `overwrite`). */
  overwrittenValues: number;
  /** What was left over by an import that was killed earlier. */
  recovered: 'none' | 'rolled-forward' | 'cleaned';
}

/** The CSV input is wrong (exit 2); with a file, the location names it once and the message does not repeat it. */
function invalid(message: string, file?: string, line?: number): QonlineError {
  return new QonlineError('QONLINE_INPUT_INVALID', message, file === undefined ? {} : { location: { file, line } });
}

async function statOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fsp.stat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function readTextOrNull(p: string): Promise<string | null> {
  try {
    return await fsp.readFile(p, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

async function listCsvFiles(src: string): Promise<string[]> {
  const st = await statOrNull(src);
  if (st === null) throw invalid(`CSV source ${src} does not exist`);
  if (st.isFile()) return [src];
  const names = (await fsp.readdir(src)).filter((n) => extname(n).toLowerCase() === '.csv' && !n.startsWith('.')).sort();
  if (names.length === 0) throw invalid(`no .csv files in ${src}; expected one <CODE>.csv per instrument`);
  return names.map((n) => join(src, n));
}

/**
 * Imports one CSV per instrument into a Qlib data dir (new or existing):
 * calendar, `instruments/all.txt` and `features/<code>/<field>.<freq>.bin`.
 *
 * Re-importing appends new rows. Rows that are already stored must match the
 * stored values (float32) unless `overwrite` is set; new dates must come after
 * the existing calendar (inserting a date would shift every stored series).
 * Everything is validated and staged before anything in `out` changes.
 */
export async function importCsv(opts: ImportCsvOptions): Promise<ImportReport> {
  const freq = (opts.freq ?? 'day').toLowerCase();
  const overwrite = opts.overwrite ?? false;
  const files = await listCsvFiles(opts.src);
  const csvs: Array<{ code: string; csv: InstrumentCsv }> = [];
  const byCode = new Map<string, string>();
  let rows = 0;
  for (const file of files) {
    const csv = parseInstrumentCsv(await fsp.readFile(file, 'utf8'), file);
    const code = fileNameToCode(basename(file, extname(file)).trim()).toUpperCase();
    if (code === '' || /[\t\n\r/\\]/.test(code)) throw invalid('the file name does not give an instrument code', file);
    const other = byCode.get(code);
    if (other !== undefined) throw invalid(`${file} and ${other} are the same instrument ${code} (codes ignore case)`, file);
    byCode.set(code, file);
    rows += csv.dates.length;
    csvs.push({ code, csv });
  }

  const outStat = await statOrNull(opts.out);
  if (outStat !== null && !outStat.isDirectory()) throw invalid(`${opts.out} exists and is not a folder`);
  const run = async (recovered: ImportReport['recovered']): Promise<ImportReport> => {
    const plan = await planImport(opts.out, freq, overwrite, csvs, outStat !== null);
    if (plan.writes.length > 0) await commitFiles(opts.out, plan.writes);
    return { ...plan.report, out: opts.out, freq, files: files.length, rows, recovered };
  };
  if (outStat === null) return run('none');
  return withImportLock(opts.out, async () => run(await recoverInterruptedImport(opts.out)));
}

interface Plan {
  writes: StagedFile[];
  report: Omit<ImportReport, 'out' | 'freq' | 'files' | 'rows' | 'recovered'>;
}

/** Decides every file to write, reading the data dir but changing nothing. */
async function planImport(
  out: string,
  freq: string,
  overwrite: boolean,
  csvs: Array<{ code: string; csv: InstrumentCsv }>,
  outExists: boolean,
): Promise<Plan> {
  const calFile = calendarPath(out, freq);
  const calText = outExists ? await readTextOrNull(calFile) : null;
  const oldCalendar = calText === null ? [] : parseCalendarText(calText, calFile);
  const allFile = instrumentsPath(out, 'all');
  const allText = outExists ? await readTextOrNull(allFile) : null;
  const spans: InstrumentSpans = allText === null ? new Map() : parseInstrumentsText(allText, allFile);

  // Calendar: existing dates keep their indices; new dates may only follow them.
  const indexOf = new Map<string, number>();
  oldCalendar.forEach((d, i) => indexOf.set(d, i));
  const oldLast = oldCalendar[oldCalendar.length - 1];
  const added = new Set<string>();
  for (const { csv } of csvs) {
    for (let r = 0; r < csv.dates.length; r++) {
      const d = csv.dates[r]!;
      if (indexOf.has(d) || added.has(d)) continue;
      if (oldLast !== undefined && d <= oldLast) {
        throw invalid(
          `${d} is not a trading day of the existing calendar ${calFile} and lies inside it (${oldCalendar[0]}..${oldLast}); ` +
            'adding it would shift every stored series, so it is refused',
          csv.file,
          csv.lines[r],
        );
      }
      added.add(d);
    }
  }
  const calendar = [...oldCalendar, ...[...added].sort()];
  for (let i = oldCalendar.length; i < calendar.length; i++) indexOf.set(calendar[i]!, i);

  const writes: StagedFile[] = [];
  const fieldSet = new Set<string>();
  const report: Plan['report'] = {
    instruments: { added: [], updated: [], unchanged: [] },
    calendar: { first: calendar[0] ?? '', last: calendar[calendar.length - 1] ?? '', days: calendar.length, added: added.size },
    fields: [],
    filesWritten: 0,
    overwrittenValues: 0,
  };

  // Stored series of the instruments being imported, read in parallel (a few at a time).
  const stored = outExists ? await readStoredSeries(out, freq, csvs) : new Map<string, Map<string, FeatureSeries | null>>();

  for (const { code, csv } of csvs) {
    for (const f of csv.fields) fieldSet.add(f);
    if (csv.dates.length === 0) {
      report.instruments.unchanged.push(code);
      continue;
    }
    const idx = Int32Array.from(csv.dates, (d) => indexOf.get(d)!);
    const firstIdx = idx[0]!;
    const lastIdx = idx[idx.length - 1]!;
    const before = writes.length;
    for (let c = 0; c < csv.fields.length; c++) {
      const field = csv.fields[c]!;
      const existing = stored.get(code)?.get(field) ?? null;
      const merged = mergeField(csv, code, field, csv.values[c]!, idx, existing, overwrite, calendar, report);
      if (merged !== null) writes.push(featureWrite(code, field, freq, merged));
    }
    // Stored fields the CSV lacks are extended with NaN so all fields of the instrument end together.
    for (const [field, existing] of stored.get(code) ?? []) {
      if (csv.fields.includes(field) || existing === null) continue;
      const end = existing.start + existing.values.length - 1;
      if (end >= lastIdx) continue;
      const values = new Float32Array(lastIdx - existing.start + 1).fill(NaN);
      values.set(existing.values);
      writes.push(featureWrite(code, field, freq, { start: existing.start, values }));
    }
    const first = calendar[firstIdx]!;
    const last = calendar[lastIdx]!;
    const list = spans.get(code);
    if (list === undefined || list.length === 0) {
      spans.set(code, [{ start: first, end: last }]);
      report.instruments.added.push(code);
    } else {
      const head = list[0]!;
      const tail = list[list.length - 1]!;
      if (first < head.start) list[0] = { start: first, end: head.end };
      if (last > tail.end) list[list.length - 1] = { start: list[list.length - 1]!.start, end: last };
      (writes.length > before ? report.instruments.updated : report.instruments.unchanged).push(code);
    }
  }

  // Order matters for readers during the commit: data first, then who is listed, then the dates.
  const newAll = formatInstruments(spans, allFile);
  if (newAll !== allText) writes.push({ rel: instrumentsPath('', 'all'), bytes: Buffer.from(newAll) });
  const newCal = formatCalendar(calendar, calFile);
  if (calText === null || added.size > 0) writes.push({ rel: calendarPath('', freq), bytes: Buffer.from(newCal) });
  report.fields = [...fieldSet].sort();
  report.filesWritten = writes.length;
  return { writes, report };
}

async function readStoredSeries(
  out: string,
  freq: string,
  csvs: ReadonlyArray<{ code: string; csv: InstrumentCsv }>,
): Promise<Map<string, Map<string, FeatureSeries | null>>> {
  const result = new Map<string, Map<string, FeatureSeries | null>>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < csvs.length) {
      const { code, csv } = csvs[next++]!;
      const names = [...new Set([...csv.fields, ...(await listFields(out, code, freq))])];
      const series = await Promise.all(names.map((f) => readFeature(out, code, f, freq)));
      result.set(code, new Map(names.map((f, k) => [f, series[k]!])));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return result;
}

function featureWrite(code: string, field: string, freq: string, s: FeatureSeries): StagedFile {
  const rel = featurePath('', code, field, freq);
  return { rel, bytes: encodeFeature(s.start, s.values, rel) };
}

function sameValue(stored: number, incoming: number): boolean {
  return stored === incoming || (Number.isNaN(stored) && Number.isNaN(incoming));
}

/**
 * The new content of one field file, or null when it stays as it is.
 * Only rows present in the CSV are compared with stored values; calendar days
 * the CSV skips inside its range are NaN in new data and left alone in old.
 */
function mergeField(
  csv: InstrumentCsv,
  code: string,
  field: string,
  raw: Float64Array,
  idx: Int32Array,
  existing: FeatureSeries | null,
  overwrite: boolean,
  calendar: readonly string[],
  report: Plan['report'],
): FeatureSeries | null {
  const firstIdx = idx[0]!;
  const lastIdx = idx[idx.length - 1]!;
  if (existing === null) {
    const values = new Float32Array(lastIdx - firstIdx + 1).fill(NaN);
    for (let r = 0; r < idx.length; r++) values[idx[r]! - firstIdx] = raw[r]!;
    return { start: firstIdx, values };
  }
  const es = existing.start;
  const ee = es + existing.values.length - 1;
  let changed = false;
  let replaced = 0;
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    if (i > ee) {
      changed = true;
      continue;
    }
    if (i < es) {
      if (!overwrite) {
        throw invalid(
          `${code} ${csv.dates[r]} lies before the stored ${field} series (which starts ${calendar[es]}); ` +
            'adding history in front is refused without overwrite',
          csv.file,
          csv.lines[r],
        );
      }
      changed = true;
      continue;
    }
    const stored = existing.values[i - es]!;
    const incoming = Math.fround(raw[r]!);
    if (!sameValue(stored, incoming)) {
      if (!overwrite) {
        throw invalid(
          `${field} on ${csv.dates[r]} is ${raw[r]} but the stored value is ${stored}; ` +
            'an import never rewrites history silently (use overwrite to replace it)',
          csv.file,
          csv.lines[r],
        );
      }
      changed = true;
      replaced++;
    }
  }
  if (!changed) return null;
  report.overwrittenValues += replaced;
  const start = Math.min(es, firstIdx);
  const end = Math.max(ee, lastIdx);
  const values = new Float32Array(end - start + 1).fill(NaN);
  values.set(existing.values, es - start);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    // Without overwrite only rows after the stored end are new (earlier ones matched).
    if (overwrite || i > ee) values[i - start] = raw[r]!;
  }
  return { start, values };
}
