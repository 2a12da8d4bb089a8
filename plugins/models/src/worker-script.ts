import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A worker entry built by tsup (`fileName`, e.g. `gbdt-worker.js`). Bundled,
 * it sits next to the bundle in dist/; run from source (vitest, tsx) it is
 * looked for in the nearest dist/ above this file, i.e. after `npx tsup`.
 * Null without one: the caller then works on its own thread.
 */
export function locateBuiltWorker(fileName: string): URL | null {
  const here = new URL(`./${fileName}`, import.meta.url);
  if (here.protocol === 'file:' && existsSync(fileURLToPath(here))) return here;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'dist', fileName);
    if (existsSync(candidate)) return pathToFileURL(candidate);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

/** The SharedArrayBuffer behind a view handed to workers: the whole buffer, since the workers index it from 0. */
export function wholeSharedBuffer(a: ArrayBufferView, who: string): SharedArrayBuffer {
  if (!(a.buffer instanceof SharedArrayBuffer) || a.byteOffset !== 0) throw new Error(`${who} need whole SharedArrayBuffers`);
  return a.buffer;
}
