import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeSync, writeFileSync } from 'node:fs';
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
 * Layout (little-endian). Every entry is described by an 80-byte
 * descriptor: sha1 of the canonical expression text (20 bytes), 4 zero
 * bytes, i32 start, u32 length, u32 keep, u32 piece, u32 prev, 4 zero
 * bytes, the 32-byte sha256 of the inputs. Rows [keep, length) of the entry
 * are the float32 values at file offset `piece`; rows [0, keep) are those of
 * the descriptor at file offset `prev` (a chain of pieces, newest first).
 *
 * - base: 'QOFP' magic, u32 version, u32 entry count, u32 base bytes; the
 *   descriptors (keep 0), then each entry's values.
 * - record (appended): 'QOFT' magic, u32 payload bytes, u32 entry count,
 *   u32 record number, sha1 of the first 16 bytes and the payload (20
 *   bytes), 4 zero bytes; payload: a descriptor for every entry of the
 *   instrument (a snapshot of the whole index), then the new values of the
 *   entries this record changed; trailer: 'QOFE' magic, u32 offset of the
 *   record, u32 payload bytes, u32 record number.
 *
 * So the file's last 16 bytes lead to the current index, and a reader that
 * wants the last rows of each expression (a routine: the new days) reads
 * the trailer, the last record and, per expression, the bytes of its
 * window: cost proportional to the new days, not to the history. A full
 * read (training over years) reads the file once and follows the chains.
 * A routine that adds days appends one record with one `write` in append
 * mode. A torn record (a crash mid-append) fails its trailer, length or
 * checksum: the file is then scanned from the start, the last whole record
 * serves and the next write replaces the file. Two processes appending at
 * once each write a self-contained snapshot, so the last one wins and the
 * other's entries are simply computed again later. Files are replaced whole
 * and atomically (write, then rename) when new, torn, or when their records
 * grow past half the base (compaction).
 */
const MAGIC = 0x5046_4f51; // 'QOFP'
const RECORD_MAGIC = 0x5446_4f51; // 'QOFT'
const TRAILER_MAGIC = 0x4546_4f51; // 'QOFE'
// 4: `expressions: qlib` values changed (float64 intermediates, Qlib's Slope/Rsquare/Resi sums), in the base + tail-records layout.
// 5: this layout (descriptors with chains of pieces, records with the whole index and a trailer).
const VERSION = 5;
const HEADER = 16;
const DESC = 80;
const RECORD_HEADER = 40;
const TRAILER = 16;
/** Records are compacted into a new base when their bytes exceed this share of the base, or their count this number. */
const COMPACT_SHARE = 0.5;
const COMPACT_RECORDS = 64;

/** One entry of a pack: what it was computed from, and its values read on demand. */
export interface CachedSeries {
  start: number;
  length: number;
  inputHash: Buffer;
  /** Whether the entry was computed from inputs with this hash (no copy of the stored one). */
  hasInputs(hash: Buffer): boolean;
  /** Rows [from, length) of the values (reading only their bytes); null when the file no longer holds them whole. */
  read(from?: number): Float32Array | null;
}

/** The cached expressions of one instrument, its index read once; `put` collects changes and `flush` writes them. */
export interface CachePack {
  get(exprText: string): CachedSeries | null;
  /**
   * Sets an entry of `length` rows. `values` holds rows [keep, length):
   * with `keep` > 0 (an extension), rows [0, keep) are those of the entry
   * `get` returned; 0 or absent: `values` is the whole entry.
   */
  put(exprText: string, entry: { start: number; inputHash: Buffer; values: Float32Array; keep?: number; length?: number }): void;
  /** Writes the changes since the file was read (a no-op when none). */
  flush(): void;
  /** What was put and not yet written: values (float32 rows), and how many entries are whole (not extensions of cached ones). */
  pending(): { values: number; whole: number };
}

/** A descriptor as read, with the file offset it was read at (`ref`). */
interface Desc {
  start: number;
  length: number;
  keep: number;
  piece: number;
  prev: number;
  ref: number;
  /** Where its 80 bytes are (copied as they are into the next record; the input hash at +48). */
  buf: Buffer;
  at: number;
}

function hashOfDesc(d: Desc): Buffer {
  return hashAt(d.buf, d.at);
}

/** The input hash of the descriptor at `at` of `buf` (a view). */
function hashAt(buf: Buffer, at: number): Buffer {
  return buf.subarray(at + 48, at + 80);
}

/**
 * The descriptors of one table (a base's or a record's) by key: each one's
 * byte offset in `buf`. A Desc object is made only for an entry a caller
 * follows (values, rewrites): a routine reads each entry's fields in place
 * and copies its 80 bytes on, so no object per entry lives for the pack's life.
 */
class DescTable {
  readonly offsets = new Map<string, number>();
  private readonly view: DataView;

  /** `shift`: the file offset of a descriptor minus its offset in `buf`. */
  constructor(
    readonly buf: Buffer,
    private readonly shift: number,
  ) {
    this.view = viewOf(buf);
  }

  get size(): number {
    return this.offsets.size;
  }

  has(key: string): boolean {
    return this.offsets.has(key);
  }

  /** The descriptor at offset `at` of `buf`. */
  desc(at: number): Desc {
    return descAt(this.buf, at, this.view, at + this.shift);
  }

  /** File offset of the descriptor at `at` (what a later piece's `prev` points to). */
  ref(at: number): number {
    return at + this.shift;
  }

  startAt(at: number): number {
    return this.view.getInt32(at + 24, true);
  }

  lengthAt(at: number): number {
    return this.view.getUint32(at + 28, true);
  }
}

const NO_BYTES = Buffer.alloc(0);

/** A change not yet on disk: rows [keep, length) in memory, rows [0, keep) from the descriptor at `fromAt` of `fromTable`. */
interface Change {
  start: number;
  length: number;
  keep: number;
  inputHash: Buffer;
  values: Float32Array;
  fromTable: DescTable | null;
  fromAt: number;
}

/** The descriptor a change extends (null for a whole entry). */
function baseOf(c: Change): Desc | null {
  return c.fromTable ? c.fromTable.desc(c.fromAt) : null;
}

/** What was read from a file: its index and where a record may be appended. */
interface ReadPack {
  /** Parsed on first use (`indexOf`) when `table` says where the descriptors are: an append's own index is rarely read again. */
  index?: DescTable;
  table?: { buf: Buffer; count: number; at: number; fileAt: number };
  /** Bytes of valid base + records (the file's size when nothing is torn); 0 when there is no valid base. */
  validEnd: number;
  /** File size at read. */
  size: number;
  baseBytes: number;
  records: number;
  /** The file's inode at read: a file replaced since (a compaction elsewhere) is not read through this index. */
  ino: number;
  /** The whole file, once something needed more than the last rows (or the tail was damaged). */
  whole?: Buffer;
}

export class FeatureDiskCache {
  private readonly keys = new Map<string, string>();
  /** Appended records / whole rewrites / whole-file reads (for tests and benchmarks). */
  appends = 0;
  rewrites = 0;
  wholeReads = 0;
  /** Bytes read from cache files. */
  bytesRead = 0;

  constructor(private readonly dir: string) {}

  private file(code: string): string {
    return path.join(this.dir, `${code.toLowerCase()}.qofc`);
  }

  /** sha1 of an expression's text, as the key of its entry (its 20 bytes as a latin1 string). */
  private key(exprText: string): string {
    let k = this.keys.get(exprText);
    if (!k) {
      k = createHash('sha1').update(exprText).digest().toString('latin1');
      this.keys.set(exprText, k);
    }
    return k;
  }

  /** The instrument's pack: its file's index as it is now (empty when missing or unreadable). */
  open(code: string): CachePack {
    const file = this.file(code);
    const read = this.readIndex(file);
    const changes = new Map<string, Change>();
    return {
      get: (exprText) => {
        const key = this.key(exprText);
        const c = changes.get(key);
        if (c) {
          return {
            start: c.start,
            length: c.length,
            inputHash: c.inputHash,
            hasInputs: (hash) => hash.equals(c.inputHash),
            read: (from = 0) => {
              if (from >= c.keep) return c.values.slice(from - c.keep);
              const base = baseOf(c);
              const head = base && this.values(file, read, base, from);
              if (!head) return null;
              const out = new Float32Array(c.length - from);
              out.set(head.subarray(0, c.keep - from));
              out.set(c.values, c.keep - from);
              return out;
            },
          };
        }
        const index = indexOf(read);
        const at = index.offsets.get(key);
        return at === undefined ? null : new StoredSeries(this, file, read, index, at);
      },
      put: (exprText, e) => {
        const key = this.key(exprText);
        const keep = e.keep ?? 0;
        const length = e.length ?? keep + e.values.length;
        if (length - keep !== e.values.length) throw new Error(`feature cache: ${e.values.length} values do not fill rows ${keep}..${length} of ${exprText}`);
        const pending = changes.get(key);
        if (pending && keep > pending.keep) {
          // On top of a change made in this pack: its rows [pending.keep, keep) are still in memory.
          if (keep > pending.length) throw new Error(`feature cache: ${exprText} extends ${keep} rows of an entry of ${pending.length}`);
          const merged = new Float32Array(length - pending.keep);
          merged.set(pending.values.subarray(0, keep - pending.keep));
          merged.set(e.values, keep - pending.keep);
          changes.set(key, { start: e.start, length, keep: pending.keep, inputHash: e.inputHash, values: merged, fromTable: pending.fromTable, fromAt: pending.fromAt });
          return;
        }
        let fromTable: DescTable | null = null;
        let fromAt = 0;
        if (keep) {
          if (pending) {
            fromTable = pending.fromTable;
            fromAt = pending.fromAt;
          } else {
            const index = indexOf(read);
            const at = index.offsets.get(key);
            if (at !== undefined) {
              fromTable = index;
              fromAt = at;
            }
          }
          if (!fromTable || keep > fromTable.lengthAt(fromAt)) throw new Error(`feature cache: ${exprText} extends an entry that is not in the file`);
        }
        changes.set(key, { start: e.start, length, keep, inputHash: e.inputHash, values: e.values, fromTable, fromAt });
      },
      pending: () => {
        let values = 0;
        let whole = 0;
        // forEach: no iterator result per entry (this runs once per instrument and request, often before the code is optimised).
        changes.forEach((c) => {
          values += c.values.length;
          if (!c.keep) whole++;
        });
        return { values, whole };
      },
      flush: () => {
        if (!changes.size) return;
        const appended = read.validEnd > 0 && read.validEnd === read.size ? this.append(file, read, changes) : false;
        if (appended === 'replaced') {
          // Another process replaced the file since we read it: keep its file, drop our changes (computed again when needed).
          Object.assign(read, { whole: undefined, table: undefined }, this.readIndex(file));
        } else if (appended) {
          this.appends++;
        } else {
          this.rewrite(file, read, changes);
          this.rewrites++;
        }
        changes.clear();
      },
    };
  }

  /** The index of a file: from its base, or from the record its trailer points to; a scan of the whole file when that fails. */
  private readIndex(file: string): ReadPack {
    const none = (size = 0): ReadPack => ({ index: new DescTable(NO_BYTES, 0), validEnd: 0, size, baseBytes: 0, records: 0, ino: -1 });
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return none();
    }
    try {
      const st = fstatSync(fd);
      const size = st.size;
      const ino = st.ino;
      if (size < HEADER) return none(size);
      const head = this.pread(fd, 0, HEADER);
      if (head.readUInt32LE(0) !== MAGIC || head.readUInt32LE(4) !== VERSION) return none(size);
      const count = head.readUInt32LE(8);
      const baseBytes = head.readUInt32LE(12);
      if (baseBytes < HEADER + count * DESC || size < baseBytes) return none(size);
      if (size === baseBytes) {
        const table = this.pread(fd, HEADER, count * DESC);
        return { index: parseDescs(table, count, 0, HEADER), validEnd: size, size, baseBytes, records: 0, ino };
      }
      if (size >= baseBytes + RECORD_HEADER + TRAILER) {
        const trailer = this.pread(fd, size - TRAILER, TRAILER);
        const at = trailer.readUInt32LE(4);
        const payload = trailer.readUInt32LE(8);
        if (trailer.readUInt32LE(0) === TRAILER_MAGIC && at >= baseBytes && at + RECORD_HEADER + payload + TRAILER === size) {
          const rec = this.pread(fd, at, RECORD_HEADER + payload);
          const index = parseRecord(rec, 0, at, payload);
          if (index && rec.readUInt32LE(12) === trailer.readUInt32LE(12)) return { index, validEnd: size, size, baseBytes, records: rec.readUInt32LE(12), ino };
        }
      }
    } finally {
      closeSync(fd);
    }
    // Damaged tail (a torn append): scan from the start; the last whole record serves.
    return this.scan(file);
  }

  /** Reads the whole file and walks base and records in order. */
  private scan(file: string): ReadPack {
    let buf: Buffer;
    let ino: number;
    try {
      const fd = openSync(file, 'r');
      try {
        ino = fstatSync(fd).ino;
        buf = readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      return { index: new DescTable(NO_BYTES, 0), validEnd: 0, size: 0, baseBytes: 0, records: 0, ino: -1 };
    }
    this.wholeReads++;
    this.bytesRead += buf.byteLength;
    const size = buf.byteLength;
    const none: ReadPack = { index: new DescTable(NO_BYTES, 0), validEnd: 0, size, baseBytes: 0, records: 0, ino };
    if (size < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return none;
    const count = buf.readUInt32LE(8);
    const baseBytes = buf.readUInt32LE(12);
    if (baseBytes < HEADER + count * DESC || size < baseBytes) return none;
    let index = parseDescs(buf, count, HEADER, HEADER);
    let end = baseBytes;
    let records = 0;
    while (end + RECORD_HEADER + TRAILER <= size) {
      const payload = buf.readUInt32LE(end + 4);
      const recEnd = end + RECORD_HEADER + payload + TRAILER;
      if (recEnd > size) break;
      const next = parseRecord(buf, end, end, payload);
      const trailer = recEnd - TRAILER;
      if (!next || buf.readUInt32LE(trailer) !== TRAILER_MAGIC || buf.readUInt32LE(trailer + 4) !== end || buf.readUInt32LE(trailer + 8) !== payload || buf.readUInt32LE(trailer + 12) !== buf.readUInt32LE(end + 12)) break;
      index = next;
      records = buf.readUInt32LE(end + 12);
      end = recEnd;
    }
    return { index, validEnd: end, size, baseBytes, records, ino, whole: buf };
  }

  private pread(fd: number, position: number, length: number, into?: Uint8Array): Buffer {
    const buf = into ? Buffer.from(into.buffer, into.byteOffset, into.byteLength) : Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, position + done);
      if (n === 0) throw new Error('short read');
      done += n;
    }
    this.bytesRead += length;
    return buf;
  }

  /**
   * Rows [from, d.length) of an entry (for StoredSeries): the newest piece first, then older
   * ones through `prev`. Rows within the newest piece are read with one
   * positioned read; older rows need the whole file (read once per pack).
   * Null when the chain leaves the valid part of the file.
   */
  values(file: string, read: ReadPack, d: Desc, from: number): Float32Array | null {
    from = Math.max(0, Math.min(from, d.length));
    const out = new Float32Array(d.length - from);
    if (!out.length) return out;
    if (!read.whole && from >= d.keep) {
      if (d.piece + (d.length - d.keep) * 4 > read.validEnd) return null;
      let fd: number;
      try {
        fd = openSync(file, 'r');
      } catch {
        return null;
      }
      try {
        if (fstatSync(fd).ino !== read.ino) return null;
        this.pread(fd, d.piece + (from - d.keep) * 4, out.byteLength, new Uint8Array(out.buffer));
      } catch {
        return null;
      } finally {
        closeSync(fd);
      }
      return out;
    }
    if (!read.whole) {
      const scanned = this.scan(file);
      // The file changed since its index was read: that index's offsets may not hold any more.
      if (scanned.ino !== read.ino || scanned.validEnd < read.validEnd || !scanned.whole) return null;
      read.whole = scanned.whole;
    }
    const buf = read.whole;
    const bytes = new Uint8Array(out.buffer);
    let hi = d.length;
    let cur: Desc | null = d;
    for (let hops = 0; hi > from; hops++) {
      if (!cur || hops > COMPACT_RECORDS + 1) return null;
      const lo = Math.max(from, cur.keep);
      if (lo < hi) {
        const at = cur.piece + (lo - cur.keep) * 4;
        if (cur.length < hi || at + (hi - lo) * 4 > read.validEnd) return null;
        bytes.set(buf.subarray(at, at + (hi - lo) * 4), (lo - from) * 4);
      }
      hi = lo;
      if (hi > from) cur = cur.prev && cur.prev + DESC <= read.validEnd ? descAt(buf, cur.prev) : null;
    }
    return out;
  }

  /**
   * Appends one record (a snapshot of the index plus the changed values);
   * false when the file should be rewritten instead, 'replaced' when another
   * process replaced it since it was read.
   */
  private append(file: string, read: ReadPack, changes: Map<string, Change>): boolean | 'replaced' {
    const index = indexOf(read);
    // The snapshot: the index's entries in their order, then new entries (no merged key set: a routine changes every entry).
    // forEach, not for-of over entries: no [key, value] array per entry (a routine's 24,000 showed in allocation profiles).
    let count = index.size;
    let values = 0;
    changes.forEach((c, key) => {
      values += c.values.length;
      // An extension of this index's entry is in it (no lookup).
      if (c.fromTable !== index && !index.has(key)) count++;
    });
    const payload = count * DESC + values * 4;
    const bytes = RECORD_HEADER + payload + TRAILER;
    if (read.size - read.baseBytes + bytes > read.baseBytes * COMPACT_SHARE || read.records + 1 > COMPACT_RECORDS) return false;
    const at = read.size;
    const seq = read.records + 1;
    // Every byte is written below (header, descriptors, values, trailer; checksum and the header's 4 spare bytes by writeChecksum).
    const buf = Buffer.allocUnsafe(bytes);
    buf.writeUInt32LE(RECORD_MAGIC, 0);
    buf.writeUInt32LE(payload, 4);
    buf.writeUInt32LE(count, 8);
    buf.writeUInt32LE(seq, 12);
    const view = viewOf(buf);
    // Values go in through one float32 view of the record (4-byte aligned when the buffer is): no byte view per entry.
    const floats = buf.byteOffset % 4 === 0 ? new Float32Array(buf.buffer, buf.byteOffset, (bytes - TRAILER) >> 2) : null;
    let descOffset = RECORD_HEADER;
    let offset = RECORD_HEADER + count * DESC;
    const put = (key: string, c: Change): void => {
      writeDesc(buf, view, descOffset, key, c.start, c.length, c.keep, at + offset, c.fromTable ? c.fromTable.ref(c.fromAt) : 0, c.inputHash);
      if (floats) floats.set(c.values, offset >> 2);
      else buf.set(bytesOf(c.values), offset);
      offset += c.values.byteLength;
      descOffset += DESC;
    };
    index.offsets.forEach((old, key) => {
      const c = changes.get(key);
      if (c) put(key, c);
      else {
        index.buf.copy(buf, descOffset, old, old + DESC);
        descOffset += DESC;
      }
    });
    if (count > index.size) {
      changes.forEach((c, key) => {
        if (!index.has(key)) put(key, c);
      });
    }
    writeChecksum(buf, 0, payload);
    buf.writeUInt32LE(TRAILER_MAGIC, bytes - TRAILER);
    buf.writeUInt32LE(at, bytes - TRAILER + 4);
    buf.writeUInt32LE(payload, bytes - TRAILER + 8);
    buf.writeUInt32LE(seq, bytes - TRAILER + 12);
    let fd: number;
    try {
      fd = openSync(file, 'a');
    } catch {
      return false;
    }
    try {
      // Someone else appended or rewrote since we read: rewrite (ours is then the whole truth we know).
      const st = fstatSync(fd);
      if (st.ino !== read.ino) return 'replaced';
      if (st.size !== read.size) return false;
      writeSync(fd, buf);
    } finally {
      closeSync(fd);
    }
    // The entries now on disk are the ones written: later changes extend them.
    Object.assign(read, { index: undefined, table: { buf, count, at: RECORD_HEADER, fileAt: at + RECORD_HEADER }, size: read.size + bytes, validEnd: read.size + bytes, records: seq });
    if (read.whole) read.whole = Buffer.concat([read.whole.subarray(0, at), buf]);
    return true;
  }

  /** Replaces the file with a new base holding every entry whole (entries whose older rows cannot be read are dropped). */
  private rewrite(file: string, read: ReadPack, changes: Map<string, Change>): void {
    const whole = new Map<string, { start: number; inputHash: Buffer; values: Float32Array }>();
    const index = indexOf(read);
    for (const [key, at] of index.offsets) {
      if (changes.has(key)) continue;
      const d = index.desc(at);
      const v = this.values(file, read, d, 0);
      if (v) whole.set(key, { start: d.start, inputHash: Buffer.from(hashOfDesc(d)), values: v });
    }
    for (const [key, c] of changes) {
      if (!c.keep) {
        whole.set(key, c);
        continue;
      }
      const base = baseOf(c);
      const head = base && this.values(file, read, base, 0);
      if (!head) continue;
      const v = new Float32Array(c.length);
      v.set(head.subarray(0, c.keep));
      v.set(c.values, c.keep);
      whole.set(key, { start: c.start, inputHash: c.inputHash, values: v });
    }
    const written = writePack(file, whole);
    const { size, ino } = written;
    Object.assign(read, { index: written.index, table: undefined, size, validEnd: size, baseBytes: size, records: 0, ino, whole: undefined });
  }
}

/** An entry as the file holds it (a class, not an object of closures: a routine looks up 300 x 170 of them). */
class StoredSeries implements CachedSeries {
  readonly start: number;
  readonly length: number;

  constructor(
    private readonly cache: FeatureDiskCache,
    private readonly file: string,
    private readonly pack: ReadPack,
    private readonly table: DescTable,
    private readonly at: number,
  ) {
    this.start = table.startAt(at);
    this.length = table.lengthAt(at);
  }

  get inputHash(): Buffer {
    return hashAt(this.table.buf, this.at);
  }

  hasInputs(hash: Buffer): boolean {
    if (hash.length !== 32) return false;
    // Byte by byte: Buffer.compare with offsets validates its four arguments in JS on every call (a routine makes 51,000).
    const buf = this.table.buf;
    const at = this.at + 48;
    for (let i = 0; i < 32; i++) if (buf[at + i] !== hash[i]) return false;
    return true;
  }

  read(from = 0): Float32Array | null {
    return this.cache.values(this.file, this.pack, this.table.desc(this.at), from);
  }
}

/** The index of what was read or last written. */
function indexOf(read: ReadPack): DescTable {
  if (!read.index) {
    const t = read.table!;
    read.index = parseDescs(t.buf, t.count, t.at, t.fileAt);
    read.table = undefined;
  }
  return read.index;
}

/**
 * Descriptors are read and written through a DataView (little-endian) and
 * typed-array copies: Buffer's readUInt32LE / writeUInt32LE / write / copy
 * check their arguments on every call, and a routine reads and writes
 * 145 x 164 descriptors (they showed as a third of an append in profiles).
 */
function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function bytesOf(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** The 20 key bytes of each expression key (a latin1 string of a sha1). */
const keyBytes = new Map<string, Buffer>();

function descAt(buf: Buffer, at: number, view: DataView = viewOf(buf), ref = at): Desc {
  return {
    start: view.getInt32(at + 24, true),
    length: view.getUint32(at + 28, true),
    keep: view.getUint32(at + 32, true),
    piece: view.getUint32(at + 36, true),
    prev: view.getUint32(at + 40, true),
    ref,
    buf,
    at,
  };
}

function writeDesc(buf: Buffer, view: DataView, at: number, key: string, start: number, length: number, keep: number, piece: number, prev: number, inputHash: Buffer): void {
  let k = keyBytes.get(key);
  if (!k) keyBytes.set(key, (k = Buffer.from(key, 'latin1')));
  buf.set(k, at);
  view.setUint32(at + 20, 0, true);
  view.setInt32(at + 24, start, true);
  view.setUint32(at + 28, length, true);
  view.setUint32(at + 32, keep, true);
  view.setUint32(at + 36, piece, true);
  view.setUint32(at + 40, prev, true);
  view.setUint32(at + 44, 0, true);
  buf.set(inputHash.length === 32 ? inputHash : inputHash.subarray(0, 32), at + 48);
}

/** `count` descriptors at `at` in `buf`; the first one is at file offset `fileAt` (refs are file offsets). */
function parseDescs(buf: Buffer, count: number, at: number, fileAt: number): DescTable {
  const table = new DescTable(buf, fileAt - at);
  const view = viewOf(buf);
  for (let i = 0; i < count; i++) {
    const o = at + i * DESC;
    // keep > length: not a descriptor this code wrote; the entry is left out.
    if (view.getUint32(o + 32, true) > view.getUint32(o + 28, true)) continue;
    table.offsets.set(buf.toString('latin1', o, o + 20), o);
  }
  return table;
}

/** The index of the record at `at` of `buf` (file offset `fileAt`), or null when it is not whole. */
function parseRecord(buf: Buffer, at: number, fileAt: number, payload: number): DescTable | null {
  if (at + RECORD_HEADER + payload > buf.byteLength || buf.readUInt32LE(at) !== RECORD_MAGIC || buf.readUInt32LE(at + 4) !== payload) return null;
  const count = buf.readUInt32LE(at + 8);
  if (count * DESC > payload) return null;
  if (!checksumMatches(buf, at, payload)) return null;
  return parseDescs(buf, count, at + RECORD_HEADER, fileAt + RECORD_HEADER);
}

/**
 * sha1 over a record's first 16 bytes and its payload. One `crypto.hash`
 * call beats a Hash object, and needs the two parts as one message: the
 * first 16 bytes are copied over the record header's last 16 (checksum and
 * spare bytes, just before the payload), hashed from there with the payload,
 * and the header's bytes put back; no copy of the payload.
 */
function checksum(buf: Buffer, at: number, payload: number): Buffer {
  if (!oneShot) {
    return createHash('sha1')
      .update(buf.subarray(at, at + 16))
      .update(buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + payload))
      .digest();
  }
  const gap = at + RECORD_HEADER - 16;
  const saved = Buffer.from(buf.subarray(gap, gap + 16));
  buf.copyWithin(gap, at, at + 16);
  try {
    return oneShot('sha1', buf.subarray(gap, at + RECORD_HEADER + payload), 'buffer');
  } finally {
    saved.copy(buf, gap);
  }
}

/** Sets a record's checksum (and its header's 4 spare bytes to zero). */
function writeChecksum(buf: Buffer, at: number, payload: number): void {
  const sum = checksum(buf, at, payload);
  sum.copy(buf, at + 16);
  buf.fill(0, at + 36, at + RECORD_HEADER);
}

/** Whether a record's stored checksum is that of its bytes. */
function checksumMatches(buf: Buffer, at: number, payload: number): boolean {
  return checksum(buf, at, payload).equals(buf.subarray(at + 16, at + 36));
}

let writes = 0;
let scratch = Buffer.alloc(0);

function writePack(file: string, entries: Map<string, { start: number; inputHash: Buffer; values: Float32Array }>): { size: number; index: DescTable; ino: number } {
  let total = 0;
  for (const e of entries.values()) total += e.values.length;
  const table = HEADER + entries.size * DESC;
  // One scratch buffer, grown as needed, for every write: fresh megabyte
  // buffers cost a page fault per 4 KiB each time.
  const size = table + total * 4;
  if (scratch.byteLength < size) scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.byteLength));
  const buf = scratch.subarray(0, size);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(entries.size, 8);
  buf.writeUInt32LE(size, 12);
  // The index keeps its descriptors' bytes: a copy of the table, as the scratch buffer is reused.
  const tableCopy = Buffer.allocUnsafe(table);
  const index = new DescTable(tableCopy, 0);
  const view = viewOf(buf);
  let i = 0;
  let offset = table;
  for (const [key, e] of entries) {
    const at = HEADER + i++ * DESC;
    writeDesc(buf, view, at, key, e.start, e.values.length, 0, offset, 0, e.inputHash);
    index.offsets.set(key, at);
    buf.set(bytesOf(e.values), offset);
    offset += e.values.byteLength;
  }
  buf.copy(tableCopy, 0, 0, table);
  mkdirSync(path.dirname(file), { recursive: true });
  // Unique per process, thread and write: a manager's training thread may update the same instrument.
  const tmp = `${file}.tmp-${process.pid}-${threadId}-${++writes}`;
  writeFileSync(tmp, buf);
  const ino = statSync(tmp).ino;
  renameSync(tmp, file);
  return { size, index, ino };
}

/**
 * The input hash of an entry: sha256 over the named fields in name order,
 * each as its name (UTF-8) and the sha256 of its first `length` rows
 * (`fieldDigest`, which callers may cache: an instrument's field sets share
 * fields). One message, hashed in one call.
 */
export function inputHash(fields: Map<string, Float32Array>, names: string[], length: number, fieldDigest: (name: string, length: number) => Buffer | null = (n, l) => digestOfField(fields, n, l)): Buffer {
  // The message is built in one reused buffer (names' bytes are kept per name): a routine hashes thousands of them.
  let at = 0;
  // Compiled expressions list their fields sorted already: no copy to sort then.
  const sorted = isSorted(names) ? names : [...names].sort();
  // Indexed (no iterator result per name while the code is cold).
  for (let i = 0; i < sorted.length; i++) {
    const n = sorted[i]!;
    let b = nameBytes.get(n);
    if (!b) nameBytes.set(n, (b = Buffer.from(n, 'utf8')));
    const d = fieldDigest(n, length);
    const need = at + b.length + (d ? d.length : 0);
    if (need > message.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * message.length));
      message.copy(grown, 0, 0, at);
      message = grown;
    }
    message.set(b, at);
    at += b.length;
    if (d) {
      message.set(d, at);
      at += d.length;
    }
  }
  return sha256(message.subarray(0, at));
}

function isSorted(names: readonly string[]): boolean {
  for (let i = 1; i < names.length; i++) if (names[i - 1]! > names[i]!) return false;
  return true;
}

const nameBytes = new Map<string, Buffer>();
let message = Buffer.allocUnsafe(256);

/** sha256 of a field's first `length` rows (null when the instrument lacks the field). */
export function digestOfField(fields: Map<string, Float32Array>, name: string, length: number): Buffer | null {
  const v = fields.get(name);
  if (!v) return null;
  return sha256(new Uint8Array(v.buffer, v.byteOffset, Math.min(length, v.length) * 4));
}

/**
 * digestOfField at `length` and at the field's whole length, hashing its
 * bytes once (the first digest is a copy of the hash state on the way): a
 * routine checks the cached rows (its entries' length) and then stores the
 * grown entries (the new length). Null when the instrument lacks the field.
 */
export function digestsOfFieldPrefix(fields: Map<string, Float32Array>, name: string, length: number): { prefix: Buffer; whole: Buffer } | null {
  const v = fields.get(name);
  if (!v) return null;
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.length * 4);
  const at = Math.min(length, v.length) * 4;
  const h = createHash('sha256').update(bytes.subarray(0, at));
  const prefix = h.copy().digest();
  return { prefix, whole: h.update(bytes.subarray(at)).digest() };
}

/**
 * `crypto.hash` (Node >= 20.12) hashes in one call; `createHash` builds a
 * Hash stream object first, which cost more than hashing a field's few KiB
 * (with the CPU's SHA instructions, ~1.8 GB/s here): 45-55 ms of a 1-day
 * routine over 300 instruments went to thousands of such objects.
 */
const oneShot = ((): ((algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer) | undefined => {
  const hash = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash;
  try {
    // A release that lacks it or returns text falls back to createHash.
    return typeof hash === 'function' && Buffer.isBuffer(hash('sha256', new Uint8Array(0), 'buffer')) ? hash : undefined;
  } catch {
    return undefined;
  }
})();

function sha256(data: Uint8Array): Buffer {
  return oneShot ? oneShot('sha256', data, 'buffer') : createHash('sha256').update(data).digest();
}
