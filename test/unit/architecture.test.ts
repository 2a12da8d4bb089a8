import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT_RE)].map((m) => m[1] ?? m[2]!).filter((s) => s.startsWith('.'));
}

describe('architecture rules', () => {
  it('core/ never imports from plugins/', () => {
    const bad: string[] = [];
    for (const f of files(path.join(ROOT, 'core'))) {
      for (const i of imports(f)) {
        const target = path.resolve(path.dirname(f), i);
        if (target.startsWith(path.join(ROOT, 'plugins'))) bad.push(`${path.relative(ROOT, f)} -> ${i}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('a plugin imports only the core entry point and its own files', () => {
    const bad: string[] = [];
    const pluginsDir = path.join(ROOT, 'plugins');
    const coreEntry = path.join(ROOT, 'core', 'index.js');
    for (const name of readdirSync(pluginsDir)) {
      const dir = path.join(pluginsDir, name);
      if (!statSync(dir).isDirectory()) continue;
      for (const f of files(dir)) {
        for (const i of imports(f)) {
          const target = path.resolve(path.dirname(f), i);
          if (target === coreEntry || target.startsWith(dir + path.sep)) continue;
          bad.push(`${path.relative(ROOT, f)} -> ${i}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
