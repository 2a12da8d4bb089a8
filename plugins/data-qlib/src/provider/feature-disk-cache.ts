import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/**
 * Expression values per (instrument, expression) on disk, so a new process
 * (a daemon's next routine) does not recompute years of history.
 *
 * An entry remembers the series start, its length and a hash of the raw
 * input rows it was computed from. It is reused when those rows are
 * unchanged: whole when the series has not grown, and extended when new
 * rows were appended (only the tail is recomputed, with the expression's
 * window of history). Any change to earlier rows gives a different hash and
 * a full recomputation, so stale values are never served.
 *
 * One file per instrument (`<dir>/<code>.qofc`) holds all its expressions:
 * a request for Alpha158 over 300 instruments reads and writes 300 files,
 * not 47,700 (one per expression cost 5.6 s to write and about 1.5 s to
 * read back on this project's machine). Files are replaced whole and
 * atomically (write, then rename); when two processes update one instrument
 * at once, the last rename wins and the other's new entries are simply
 * computed again next time.
 *
 * Layout (little-endian): 'QOFP' magic, u32 version, u32 entry count, u32 0;
 * per entry 64 bytes: sha1 of the canonical expression text (20 bytes),
 * 4 zero bytes, i32 start, u32 length, 32-byte sha256 of the inputs; then
 * each entry's `length` float32 values, in entry order.
 */
const MAGIC = 0x5046_4f51; // 'QOFP'
const VERSION = 2;
const HEADER = 16;
const ENTRY = 64;

export interface CachedSeries {
  start: number;
  length: number;
  inputHash: Buffer;
  values: Float32Array;
}

/** The cached expressions of one instrument, read once; `put` collects changes and `flush` writes them. */
export interface CachePack {
  get(exprText: string): CachedSeries | null;
  put(exprText: string, entry: { start: number; inputHash: Buffer; values: Float32Array }): void;
  /** Writes the file when something was put since it was read (a no-op otherwise). */
  flush(): void;
}

export class FeatureDiskCache {
  private readonly keys = new Map<string, string>();

  constructor(private readonly dir: string) {}

  private file(code: string): string {
    return path.join(this.dir, `${code.toLowerCase()}.qofc`);
  }

  /** sha1 of an expression's text, as the hex key of its entry. */
  private key(exprText: string): string {
    let k = this.keys.get(exprText);
    if (!k) {
      k = createHash('sha1').update(exprText).digest('hex');
      this.keys.set(exprText, k);
    }
    return k;
  }

  /** The instrument's pack: its file as it is now (empty when missing or unreadable). */
  open(code: string): CachePack {
    const file = this.file(code);
    const entries = readPack(file);
    let changed = false;
    return {
      get: (exprText) => entries.get(this.key(exprText)) ?? null,
      put: (exprText, e) => {
        entries.set(this.key(exprText), { start: e.start, length: e.values.length, inputHash: e.inputHash, values: e.values });
        changed = true;
      },
      flush: () => {
        if (!changed) return;
        changed = false;
        writePack(file, entries);
      },
    };
  }
}

function readPack(file: string): Map<string, CachedSeries> {
  const entries = new Map<string, CachedSeries>();
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return entries;
  }
  if (buf.byteLength < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return entries;
  const count = buf.readUInt32LE(8);
  const table = HEADER + count * ENTRY;
  if (buf.byteLength < table) return entries;
  let total = 0;
  for (let i = 0; i < count; i++) total += buf.readUInt32LE(HEADER + i * ENTRY + 28);
  if (buf.byteLength !== table + total * 4) return entries; // torn or foreign: ignored, rewritten on the next flush
  // Values are views of the file's buffer when aligned (a large read has its own buffer), copies otherwise.
  const aligned = buf.byteOffset % 4 === 0;
  let offset = table;
  for (let i = 0; i < count; i++) {
    const at = HEADER + i * ENTRY;
    const length = buf.readUInt32LE(at + 28);
    const values = aligned ? new Float32Array(buf.buffer, buf.byteOffset + offset, length) : new Float32Array(new Uint8Array(buf.subarray(offset, offset + length * 4)).buffer);
    entries.set(buf.toString('hex', at, at + 20), { start: buf.readInt32LE(at + 24), length, inputHash: buf.subarray(at + 32, at + 64), values });
    offset += length * 4;
  }
  return entries;
}

let writes = 0;
let scratch = Buffer.alloc(0);

function writePack(file: string, entries: Map<string, CachedSeries>): void {
  let total = 0;
  for (const e of entries.values()) total += e.values.length;
  const table = HEADER + entries.size * ENTRY;
  // One scratch buffer, grown as needed, for every write: fresh megabyte
  // buffers cost a page fault per 4 KiB each time.
  const size = table + total * 4;
  if (scratch.byteLength < size) scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.byteLength));
  const buf = scratch.subarray(0, size);
  buf.fill(0, 0, table);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(entries.size, 8);
  let i = 0;
  let offset = table;
  for (const [key, e] of entries) {
    const at = HEADER + i++ * ENTRY;
    buf.write(key, at, 20, 'hex');
    buf.writeInt32LE(e.start, at + 24);
    buf.writeUInt32LE(e.values.length, at + 28);
    e.inputHash.copy(buf, at + 32, 0, 32);
    Buffer.from(e.values.buffer, e.values.byteOffset, e.values.byteLength).copy(buf, offset);
    offset += e.values.byteLength;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  // Unique per process, thread and write: a manager's training thread may update the same instrument.
  const tmp = `${file}.tmp-${process.pid}-${threadId}-${++writes}`;
  writeFileSync(tmp, buf);
  renameSync(tmp, file);
}

/** sha256 over the first `length` rows of each named field (in name order). */
export function inputHash(fields: Map<string, Float32Array>, names: string[], length: number): Buffer {
  const h = createHash('sha256');
  for (const n of [...names].sort()) {
    const v = fields.get(n);
    h.update(n);
    if (v) h.update(new Uint8Array(v.buffer, v.byteOffset, Math.min(length, v.length) * 4));
  }
  return h.digest();
}
