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

  it('core holds no SQL dialect: no quoted database name anywhere, no branch on the dialect, no database-specific SQL in the store', () => {
    const bad: string[] = [];
    // A quoted database name (a type, a comparison, a default) anywhere in core.
    const quotedName = /['"`](?:sqlite3?|postgres(?:ql)?|pg|mysql|mariadb)['"`]/i;
    const dialectBranch = /dialect(?:\.name)?\s*[!=]==?|[!=]==?\s*[\w.]*dialect\b/;
    for (const f of files(path.join(ROOT, 'core'))) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (quotedName.test(line) || dialectBranch.test(line)) bad.push(`${path.relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    // The shared store and task pool: not even a database's name or its own SQL (comments included).
    const specific = /sqlite|postgres|\bpg_|julianday|skip\s+locked|for\s+update|autoincrement|without\s+rowid|generated\s+by\s+default|extract\s*\(\s*epoch|hashtext/i;
    for (const f of files(path.join(ROOT, 'core', 'store'))) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (specific.test(line)) bad.push(`${path.relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(bad).toEqual([]);
  });

  it('the online domain reaches the task pool and store only through their contracts', () => {
    const bad: string[] = [];
    for (const f of files(path.join(ROOT, 'core', 'online'))) {
      for (const i of imports(f)) {
        const target = path.resolve(path.dirname(f), i);
        if (target.startsWith(path.join(ROOT, 'core', 'store') + path.sep)) bad.push(`${path.relative(ROOT, f)} -> ${i}`);
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
