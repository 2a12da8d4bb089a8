import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A temp name next to `path`, so the final rename stays on one file system. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * Writes `data` to a temp file beside `path`, then renames it over `path`:
 * readers see the old file or the new one, never a half-written one, even if
 * the process is killed. (Not fsynced: power-loss durability is not promised.)
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
