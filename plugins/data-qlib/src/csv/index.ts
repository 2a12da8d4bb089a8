export { importCsv, type ImportCsvOptions, type ImportReport } from './import-csv.js';
export {
  parseInstrumentCsv,
  parseCsvDate,
  parseCsvNumber,
  splitCsvLine,
  REQUIRED_COLUMNS,
  IGNORED_TEXT_COLUMNS,
  type InstrumentCsv,
} from './parse-instrument-csv.js';
export { recoverInterruptedImport, JOURNAL_FILE, LOCK_FILE } from './staged-commit.js';
