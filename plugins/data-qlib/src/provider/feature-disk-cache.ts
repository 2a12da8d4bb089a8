import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, writeFileSync } from 'node:fs';
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
 * a request for Alpha158 over 300 instruments reads 300 files, not 47,700.
 *
 * A file is a base segment followed by tail records:
 *
 * - base (little-endian): 'QOFP' magic, u32 version, u32 entry count, u32 0;
 *   per entry 64 bytes: sha1 of the canonical expression text (20 bytes),
 *   4 zero bytes, i32 start, u32 length, 32-byte sha256 of the inputs; then
 *   each entry's `length` float32 values, in entry order.
 * - tail record: 'QOFT' magic, u32 payload bytes, u32 entry count, u32 0,
 *   sha1 of the payload (20 bytes), 4 zero bytes; payload: per entry 80
 *   bytes (sha1 key, i32 start, u32 fromLength, u32 keep, u32 length, the
 *   first 12 bytes of the input hash of the entry it extends, the new
 *   32-byte input hash), then each entry's `length - keep` float32 values.
 *   Applied in order: the entry becomes its first `keep` values followed by
 *   the record's, when it still has `start`, `fromLength` and that input
 *   hash (`fromLength` 0: a new or replaced entry, taken as is); an entry
 *   that does not match is skipped (it was changed by another process) and
 *   simply computed again next time.
 *
 * A routine that adds days appends one record (the new days of every
 * expression: cost proportional to the new days), with one `write` in
 * append mode. A torn record (a crash mid-append) fails its length or
 * checksum and it and anything after it are ignored; the next write then
 * replaces the file. Files are replaced whole and atomically (write, then
 * rename) when new, unreadable, torn, or when their records grow past
 * half the base (compaction, so reads stay one pass over little
 * more than the values).
 */
const MAGIC = 0x5046_4f51; // 'QOFP'
const TAIL_MAGIC = 0x5446_4f51; // 'QOFT'
// 4: `expressions: qlib` values changed (float64 intermediates, Qlib's Slope/Rsquare/Resi sums).
const VERSION = 4;
const HEADER = 16;
const ENTRY = 64;
const TAIL_HEADER = 40;
const TAIL_ENTRY = 80;
const PREV_HASH = 12;
/** Records are compacted into a new base when their bytes exceed this share of the base, or their count this number. */
const COMPACT_SHARE = 0.5;
const COMPACT_RECORDS = 64;

export interface CachedSeries {
  start: number;
  length: number;
  inputHash: Buffer;
  values: Float32Array;
}

/** The cached expressions of one instrument, read once; `put` collects changes and `flush` writes them. */
export interface CachePack {
  get(exprText: string): CachedSeries | null;
  /**
   * Sets an entry. `keep`: how many leading values equal those of the entry
   * `get` returned (an extension); 0 or absent: a new entry.
   */
  put(exprText: string, entry: { start: number; inputHash: Buffer; values: Float32Array; keep?: number }): void;
  /** Writes the changes since the file was read (a no-op when none). */
  flush(): void;
}

/** What was read from a file: entries and where a record may be appended. */
interface ReadPack {
  entries: Map<string, CachedSeries>;
  /** Bytes of valid base + records (the file's size when nothing is torn); 0 when there is no valid base. */
  validEnd: number;
  /** File size at read. */
  size: number;
  baseBytes: number;
  records: number;
}

interface Change {
  key: string;
  entry: CachedSeries;
  /** Leading values shared with `from` (0: a whole entry). */
  keep: number;
  from: CachedSeries | null;
}

export class FeatureDiskCache {
  private readonly keys = new Map<string, string>();
  /** Appended records / whole rewrites (for tests and benchmarks). */
  appends = 0;
  rewrites = 0;

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
    const read = readPack(file);
    const { entries } = read;
    let changes: Change[] = [];
    return {
      get: (exprText) => entries.get(this.key(exprText)) ?? null,
      put: (exprText, e) => {
        const key = this.key(exprText);
        const from = entries.get(key) ?? null;
        const keep = from && e.keep ? Math.min(e.keep, from.length, e.values.length) : 0;
        const entry = { start: e.start, length: e.values.length, inputHash: e.inputHash, values: e.values };
        entries.set(key, entry);
        changes.push({ key, entry, keep, from: keep ? from : null });
      },
      flush: () => {
        if (!changes.length) return;
        const todo = changes;
        changes = [];
        if (read.validEnd > 0 && read.validEnd === read.size && this.append(file, read, todo)) {
          this.appends++;
          return;
        }
        writePack(file, entries);
        this.rewrites++;
        const size = HEADER + entries.size * ENTRY + [...entries.values()].reduce((n, e) => n + e.length * 4, 0);
        Object.assign(read, { validEnd: size, size, baseBytes: size, records: 0 });
      },
    };
  }

  /** Appends one record with `changes`; false when the file should be rewritten instead. */
  private append(file: string, read: ReadPack, changes: Change[]): boolean {
    // The last change of an entry wins; earlier ones of the same key are folded away.
    const last = new Map<string, Change>();
    for (const c of changes) {
      const prev = last.get(c.key);
      // A change on top of a change made in this pack: its `from` is not on disk, so write it whole.
      if (prev) last.set(c.key, { ...c, keep: 0, from: null });
      else last.set(c.key, c);
    }
    const list = [...last.values()];
    let values = 0;
    for (const c of list) values += c.entry.length - c.keep;
    const payload = list.length * TAIL_ENTRY + values * 4;
    const bytes = TAIL_HEADER + payload;
    const tailBytes = read.size - read.baseBytes + bytes;
    if (tailBytes > read.baseBytes * COMPACT_SHARE || read.records + 1 > COMPACT_RECORDS) return false;
    const buf = Buffer.alloc(bytes);
    buf.writeUInt32LE(TAIL_MAGIC, 0);
    buf.writeUInt32LE(payload, 4);
    buf.writeUInt32LE(list.length, 8);
    let offset = TAIL_HEADER + list.length * TAIL_ENTRY;
    list.forEach((c, i) => {
      const at = TAIL_HEADER + i * TAIL_ENTRY;
      buf.write(c.key, at, 20, 'hex');
      buf.writeInt32LE(c.entry.start, at + 20);
      buf.writeUInt32LE(c.from ? c.from.length : 0, at + 24);
      buf.writeUInt32LE(c.keep, at + 28);
      buf.writeUInt32LE(c.entry.length, at + 32);
      if (c.from) c.from.inputHash.copy(buf, at + 36, 0, PREV_HASH);
      c.entry.inputHash.copy(buf, at + 48, 0, 32);
      const tail = c.entry.values.subarray(c.keep);
      Buffer.from(tail.buffer, tail.byteOffset, tail.byteLength).copy(buf, offset);
      offset += tail.byteLength;
    });
    createHash('sha1').update(buf.subarray(TAIL_HEADER)).digest().copy(buf, 16);
    let fd: number;
    try {
      fd = openSync(file, 'a');
    } catch {
      return false;
    }
    try {
      // Someone else appended or rewrote since we read: rewrite (ours is then the whole truth we know).
      if (fstatSync(fd).size !== read.size) return false;
      writeSync(fd, buf);
    } finally {
      closeSync(fd);
    }
    read.size += bytes;
    read.validEnd = read.size;
    read.records++;
    // The entries now on disk are the ones written: later changes extend them.
    return true;
  }
}

function readPack(file: string): ReadPack {
  const entries = new Map<string, CachedSeries>();
  const none = (size = 0): ReadPack => ({ entries: new Map(), validEnd: 0, size, baseBytes: 0, records: 0 });
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return none();
  }
  const size = buf.byteLength;
  if (size < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return none(size);
  const count = buf.readUInt32LE(8);
  const table = HEADER + count * ENTRY;
  if (size < table) return none(size);
  let total = 0;
  for (let i = 0; i < count; i++) total += buf.readUInt32LE(HEADER + i * ENTRY + 28);
  const baseBytes = table + total * 4;
  if (size < baseBytes) return none(size); // torn or foreign: ignored, rewritten on the next flush
  // Values are views of the file's buffer when aligned (a large read has its own buffer), copies otherwise.
  const aligned = buf.byteOffset % 4 === 0;
  const floats = (from: number, length: number): Float32Array =>
    aligned ? new Float32Array(buf.buffer, buf.byteOffset + from, length) : new Float32Array(new Uint8Array(buf.subarray(from, from + length * 4)).buffer);
  let offset = table;
  for (let i = 0; i < count; i++) {
    const at = HEADER + i * ENTRY;
    const length = buf.readUInt32LE(at + 28);
    entries.set(buf.toString('hex', at, at + 20), { start: buf.readInt32LE(at + 24), length, inputHash: buf.subarray(at + 32, at + 64), values: floats(offset, length) });
    offset += length * 4;
  }
  // Records: each entry's pieces are collected and assembled once at the end.
  const pieces = new Map<string, { keep: number; values: Float32Array }[]>();
  let end = baseBytes;
  let records = 0;
  while (end + TAIL_HEADER <= size) {
    if (buf.readUInt32LE(end) !== TAIL_MAGIC) break;
    const payload = buf.readUInt32LE(end + 4);
    const n = buf.readUInt32LE(end + 8);
    const body = end + TAIL_HEADER;
    if (body + payload > size || n * TAIL_ENTRY > payload) break;
    if (!createHash('sha1').update(buf.subarray(body, body + payload)).digest().equals(buf.subarray(end + 16, end + 36))) break;
    let vat = body + n * TAIL_ENTRY;
    let ok = true;
    const parsed: { key: string; start: number; fromLength: number; keep: number; length: number; prev: Buffer; hash: Buffer; at: number }[] = [];
    for (let i = 0; i < n; i++) {
      const at = body + i * TAIL_ENTRY;
      const keep = buf.readUInt32LE(at + 28);
      const length = buf.readUInt32LE(at + 32);
      if (keep > length) {
        ok = false;
        break;
      }
      parsed.push({ key: buf.toString('hex', at, at + 20), start: buf.readInt32LE(at + 20), fromLength: buf.readUInt32LE(at + 24), keep, length, prev: buf.subarray(at + 36, at + 48), hash: buf.subarray(at + 48, at + 80), at: vat });
      vat += (length - keep) * 4;
    }
    if (!ok || vat !== body + payload) break;
    for (const r of parsed) {
      const cur = entries.get(r.key);
      const tail = floats(r.at, r.length - r.keep);
      if (r.fromLength === 0) {
        entries.set(r.key, { start: r.start, length: r.length, inputHash: r.hash, values: tail });
        pieces.delete(r.key);
        continue;
      }
      if (!cur || cur.start !== r.start || cur.length !== r.fromLength || r.keep > cur.length || !cur.inputHash.subarray(0, PREV_HASH).equals(r.prev)) continue;
      let list = pieces.get(r.key);
      if (!list) pieces.set(r.key, (list = [{ keep: 0, values: cur.values }]));
      list.push({ keep: r.keep, values: tail });
      entries.set(r.key, { start: r.start, length: r.length, inputHash: r.hash, values: cur.values });
    }
    end = body + payload;
    records++;
  }
  for (const [key, list] of pieces) {
    const e = entries.get(key)!;
    let room = 0;
    for (const p of list) room = Math.max(room, p.keep + p.values.length);
    const out = new Float32Array(room);
    for (const p of list) out.set(p.values, p.keep);
    e.values = out.subarray(0, e.length);
  }
  return { entries, validEnd: end, size, baseBytes, records };
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

/**
 * The input hash of an entry: sha256 over the named fields in name order,
 * each as its name and the sha256 of its first `length` rows (`fieldDigest`,
 * which callers may cache: an instrument's field sets share fields).
 */
export function inputHash(fields: Map<string, Float32Array>, names: string[], length: number, fieldDigest: (name: string, length: number) => Buffer | null = (n, l) => digestOfField(fields, n, l)): Buffer {
  const h = createHash('sha256');
  for (const n of [...names].sort()) {
    h.update(n);
    const d = fieldDigest(n, length);
    if (d) h.update(d);
  }
  return h.digest();
}

/** sha256 of a field's first `length` rows (null when the instrument lacks the field). */
export function digestOfField(fields: Map<string, Float32Array>, name: string, length: number): Buffer | null {
  const v = fields.get(name);
  if (!v) return null;
  return createHash('sha256').update(new Uint8Array(v.buffer, v.byteOffset, Math.min(length, v.length) * 4)).digest();
}
