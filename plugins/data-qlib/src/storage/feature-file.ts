import { promises as fsp, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { featurePath, featuresDir, fileNameToCode, instrumentFeatureDir } from './paths.js';
import { writeFileAtomic } from './atomic-write.js';
import { dataError } from './dates.js';

/** One stored series: `values[k]` belongs to calendar index `start + k`. */
export interface FeatureSeries {
  start: number;
  values: Float32Array;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';
/** Calendar indices are stored as float32, which is exact only up to 2^24. */
const MAX_START_INDEX = 1 << 24;

/**
 * Decodes a `.bin` file (little-endian float32: start index, then values).
 * An empty file (what Qlib's `clear()` leaves) has no data: null.
 */
export function decodeFeature(bytes: Uint8Array, file: string): FeatureSeries | null {
  if (bytes.byteLength === 0) return null;
  if (bytes.byteLength % 4 !== 0) {
    throw dataError(`${file}: size ${bytes.byteLength} bytes is not a multiple of 4 (expected float32 values)`, file);
  }
  const n = bytes.byteLength / 4;
  let all: Float32Array;
  if (LITTLE_ENDIAN_HOST) {
    // Zero-copy only when the bytes own their ArrayBuffer: small files come from
    // Node's shared buffer pool (any offset, and a view would pin or, if
    // transferred to a worker, detach the pool). Buffer#slice does not copy,
    // hence `new Uint8Array(bytes)`.
    all =
      bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength
        ? new Float32Array(bytes.buffer, 0, n)
        : new Float32Array(new Uint8Array(bytes).buffer, 0, n);
  } else {
    all = new Float32Array(n);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) all[i] = view.getFloat32(i * 4, true);
  }
  const start = all[0]!;
  if (!Number.isInteger(start) || start < 0) {
    throw dataError(`${file}: the first value must be a calendar index (a whole number >= 0), found ${start}`, file);
  }
  return { start, values: all.subarray(1) };
}

/** The bytes of a `.bin` file for `values` starting at calendar index `start`. */
export function encodeFeature(start: number, values: Float32Array, file = 'feature'): Uint8Array {
  checkStart(start, file);
  const all = new Float32Array(values.length + 1);
  all[0] = start;
  all.set(values, 1);
  const bytes = new Uint8Array(all.buffer);
  if (!LITTLE_ENDIAN_HOST) {
    const view = new DataView(all.buffer);
    for (let i = 0; i < all.length; i++) view.setFloat32(i * 4, all[i]!, true);
  }
  return bytes;
}

function checkStart(start: number, file: string): void {
  if (!Number.isInteger(start) || start < 0 || start >= MAX_START_INDEX) {
    throw dataError(`${file}: start must be a calendar index in 0..${MAX_START_INDEX - 1}, got ${start}`, file);
  }
}

function isAbsent(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads one field of one instrument with a single read; null when the file does not exist. */
export async function readFeature(uri: string, code: string, field: string, freq = 'day'): Promise<FeatureSeries | null> {
  const file = featurePath(uri, code, field, freq);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
  return decodeFeature(bytes, file);
}

export function readFeatureSync(uri: string, code: string, field: string, freq = 'day'): FeatureSeries | null {
  const file = featurePath(uri, code, field, freq);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
  return decodeFeature(bytes, file);
}

/** Field names stored for `code` at `freq` (lower-case, as on disk), sorted. */
export async function listFields(uri: string, code: string, freq = 'day'): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(instrumentFeatureDir(uri, code));
  } catch (e) {
    if (isAbsent(e)) return [];
    throw e;
  }
  const suffix = `.${freq.toLowerCase()}.bin`;
  return names
    .filter((n) => n.endsWith(suffix) && n.length > suffix.length && !n.startsWith('.'))
    .map((n) => n.slice(0, -suffix.length))
    .sort();
}

/** Instrument codes that have a feature folder, upper-cased (Qlib stores folders lower-case). */
export async function listFeatureCodes(uri: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(featuresDir(uri), { withFileTypes: true });
  } catch (e) {
    if (isAbsent(e)) return [];
    throw e;
  }
  return entries
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => fileNameToCode(d.name).toUpperCase())
    .sort();
}

/** Replaces one feature file atomically (temp file + rename). */
export async function writeFeature(
  uri: string,
  code: string,
  field: string,
  start: number,
  values: Float32Array,
  freq = 'day',
): Promise<void> {
  const file = featurePath(uri, code, field, freq);
  await writeFileAtomic(file, encodeFeature(start, values, file));
}

/**
 * Extends a feature file: `start` must be at or after the stored end + 1;
 * calendar days in between become NaN. Creates the file when absent.
 * The file is rewritten whole and renamed, so a crash never leaves a torn append.
 */
export async function appendFeature(
  uri: string,
  code: string,
  field: string,
  start: number,
  values: Float32Array,
  freq = 'day',
): Promise<void> {
  const file = featurePath(uri, code, field, freq);
  const existing = await readFeature(uri, code, field, freq);
  if (existing === null) {
    await writeFileAtomic(file, encodeFeature(start, values, file));
    return;
  }
  const merged = appendSeries(existing, start, values, file);
  await writeFileAtomic(file, encodeFeature(merged.start, merged.values, file));
}

/** The pure part of appendFeature, shared with the CSV importer. */
export function appendSeries(existing: FeatureSeries, start: number, values: Float32Array, file = 'feature'): FeatureSeries {
  checkStart(start, file);
  const next = existing.start + existing.values.length;
  if (start < next) {
    throw dataError(
      `${file}: cannot append at calendar index ${start}: stored data already covers indices ${existing.start}..${next - 1}`,
      file,
    );
  }
  const out = new Float32Array(start + values.length - existing.start);
  out.set(existing.values, 0);
  out.fill(NaN, existing.values.length, start - existing.start);
  out.set(values, start - existing.start);
  return { start: existing.start, values: out };
}
