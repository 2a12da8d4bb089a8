export { codeToFileName, fileNameToCode, normalizeField, calendarsDir, calendarPath, instrumentsDir, instrumentsPath, featuresDir, instrumentFeatureDir, featurePath } from './paths.js';
export { writeFileAtomic } from './atomic-write.js';
export { isValidDay, normalizeDay } from './dates.js';
export { readCalendar, readCalendarSync, writeCalendar, listFreqs, parseCalendarText, formatCalendar } from './calendar-file.js';
export { readInstruments, readInstrumentsSync, writeInstruments, listMarkets, parseInstrumentsText, formatInstruments } from './instruments-file.js';
export {
  type FeatureSeries,
  readFeature,
  readFeatureSync,
  writeFeature,
  appendFeature,
  appendSeries,
  listFields,
  listFeatureCodes,
  decodeFeature,
  encodeFeature,
} from './feature-file.js';
export { BinaryDataReader } from './binary-data-reader.js';
export { computeDataVersion } from './data-version.js';
