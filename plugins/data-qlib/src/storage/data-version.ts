import { promises as fsp } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { calendarsDir, featuresDir, instrumentsDir } from './paths.js';

async function listOrEmpty(dir: string): Promise<string[]> {
  try {
    return (await fsp.readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * A fingerprint of a data dir that changes whenever its data changes: the
 * calendar and instrument files by content, feature files by name, size and
 * modification time (stat only, so it stays cheap for thousands of files).
 */
export async function computeDataVersion(uri: string): Promise<string> {
  const h = createHash('sha256');
  for (const sub of [calendarsDir(uri), instrumentsDir(uri)]) {
    for (const name of await listOrEmpty(sub)) {
      h.update(`${sub === calendarsDir(uri) ? 'c' : 'i'}/${name}\n`);
      h.update(await fsp.readFile(join(sub, name)));
    }
  }
  const feat = featuresDir(uri);
  for (const code of await listOrEmpty(feat)) {
    const dir = join(feat, code);
    const files = await listOrEmpty(dir).catch(() => [] as string[]);
    const stats = await Promise.all(files.map((f) => fsp.stat(join(dir, f))));
    for (let i = 0; i < files.length; i++) {
      h.update(`f/${code}/${files[i]}:${stats[i]!.size}:${stats[i]!.mtimeMs}\n`);
    }
  }
  return h.digest('hex').slice(0, 16);
}
