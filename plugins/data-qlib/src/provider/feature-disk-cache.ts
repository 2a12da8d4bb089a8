import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

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
 * File layout: 'QOFC' magic, u32 version, i32 start, u32 length,
 * 32-byte sha256 of the inputs, then `length` little-endian float32 values.
 */
const MAGIC = 0x4346_4f51; // 'QOFC'
const VERSION = 1;
const HEADER = 16 + 32;

export interface CachedSeries {
  start: number;
  length: number;
  inputHash: Buffer;
  values: Float32Array;
}

export class FeatureDiskCache {
  constructor(private readonly dir: string) {}

  private file(code: string, exprText: string): string {
    const h = createHash('sha1').update(exprText).digest('hex');
    return path.join(this.dir, code.toLowerCase(), `${h}.f32`);
  }

  read(code: string, exprText: string): CachedSeries | null {
    let buf: Buffer;
    try {
      buf = readFileSync(this.file(code, exprText));
    } catch {
      return null;
    }
    if (buf.byteLength < HEADER || buf.readUInt32LE(0) !== MAGIC || buf.readUInt32LE(4) !== VERSION) return null;
    const start = buf.readInt32LE(8);
    const length = buf.readUInt32LE(12);
    if (buf.byteLength !== HEADER + length * 4) return null;
    const values = new Float32Array(length);
    new Uint8Array(values.buffer).set(buf.subarray(HEADER));
    return { start, length, inputHash: Buffer.from(buf.subarray(16, 48)), values };
  }

  write(code: string, exprText: string, entry: { start: number; inputHash: Buffer; values: Float32Array }): void {
    const file = this.file(code, exprText);
    mkdirSync(path.dirname(file), { recursive: true });
    const buf = Buffer.alloc(HEADER + entry.values.length * 4);
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeUInt32LE(VERSION, 4);
    buf.writeInt32LE(entry.start, 8);
    buf.writeUInt32LE(entry.values.length, 12);
    entry.inputHash.copy(buf, 16, 0, 32);
    Buffer.from(entry.values.buffer, entry.values.byteOffset, entry.values.byteLength).copy(buf, HEADER);
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, buf);
    renameSync(tmp, file);
  }
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
