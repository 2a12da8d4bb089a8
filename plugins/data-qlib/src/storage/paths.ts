import { join } from 'node:path';
import { QonlineError } from '../../../../core/index.js';

/**
 * Qlib's file names on disk. Windows reserves some device names, so Qlib
 * prefixes such codes with `_qlib_` in file names (see qlib.utils.code_to_fname);
 * we do the same so a data dir written here reads in Qlib and back.
 */
const RESERVED_PREFIX = '_qlib_';
const RESERVED_NAMES = new Set<string>(['CON', 'PRN', 'AUX', 'NUL']);
for (let i = 0; i < 10; i++) {
  RESERVED_NAMES.add(`COM${i}`);
  RESERVED_NAMES.add(`LPT${i}`);
}

/** Names become path segments: refuse anything that could leave its folder. */
function safeSegment(kind: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new QonlineError('QONLINE_DATA_INVALID', `${kind} ${JSON.stringify(name)} cannot name a file (empty, "." / "..", or contains a path separator)`);
  }
  return name;
}

/** The file/folder name Qlib uses for an instrument code (before lower-casing). */
export function codeToFileName(code: string): string {
  return RESERVED_NAMES.has(code.toUpperCase()) ? RESERVED_PREFIX + code : code;
}

/** The instrument code of a file/folder name (inverse of codeToFileName). */
export function fileNameToCode(name: string): string {
  return name.startsWith(RESERVED_PREFIX) ? name.slice(RESERVED_PREFIX.length) : name;
}

/** `$close` and `close` name the same field file. */
export function normalizeField(field: string): string {
  return (field.startsWith('$') ? field.slice(1) : field).toLowerCase();
}

export function calendarsDir(uri: string): string {
  return join(uri, 'calendars');
}

export function calendarPath(uri: string, freq = 'day'): string {
  return join(calendarsDir(uri), `${safeSegment('frequency', freq.toLowerCase())}.txt`);
}

export function instrumentsDir(uri: string): string {
  return join(uri, 'instruments');
}

export function instrumentsPath(uri: string, market: string): string {
  return join(uri, 'instruments', `${safeSegment('market', market.toLowerCase())}.txt`);
}

export function featuresDir(uri: string): string {
  return join(uri, 'features');
}

export function instrumentFeatureDir(uri: string, code: string): string {
  return join(uri, 'features', safeSegment('instrument code', codeToFileName(code).toLowerCase()));
}

export function featurePath(uri: string, code: string, field: string, freq = 'day'): string {
  return join(instrumentFeatureDir(uri, code), `${safeSegment('field', normalizeField(field))}.${safeSegment('frequency', freq.toLowerCase())}.bin`);
}
