import { mkdtempSync, rmSync, readdirSync, readFileSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** A fresh temp folder; remove it with `cleanup()`. */
export function tempDir(prefix = 'qonline-storage-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeText(path: string, text: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/**
 * The bytes Qlib expects for a feature file, built with DataView independently
 * of the code under test: little-endian float32 start index, then the values.
 */
export function qlibBinBytes(start: number, values: number[]): Uint8Array {
  const buf = new ArrayBuffer(4 * (values.length + 1));
  const view = new DataView(buf);
  view.setFloat32(0, start, true);
  values.forEach((v, i) => view.setFloat32(4 * (i + 1), v, true));
  return new Uint8Array(buf);
}

/** Decodes a `.bin` file with DataView (independent of the reader under test). */
export function decodeQlibBin(bytes: Uint8Array): { start: number; values: number[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: number[] = [];
  for (let off = 4; off < bytes.byteLength; off += 4) values.push(view.getFloat32(off, true));
  return { start: view.getFloat32(0, true), values };
}

/** Every file under `dir` (relative path -> bytes as hex), to prove a folder did not change. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p).toString('hex'));
    }
  };
  walk(dir);
  return out;
}

/** Same-value comparison that treats NaN as equal to NaN. */
export function sameFloat(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}
