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

  it('a plugin imports only the core entry point, its own files and other plugins\' entry points', () => {
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
          // another plugin's public entry (e.g. users builds on backtest's exchange and strategies)
          if (path.dirname(path.dirname(target)) === pluginsDir && path.basename(target) === 'index.js') continue;
          bad.push(`${path.relative(ROOT, f)} -> ${i}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  /**
   * One construction path: a component class is instantiated only by its
   * plugin's component factory (create/restore), never by other code, so
   * every instance has had its options validated and its deps injected.
   */
  it('components are constructed only in their component factories', () => {
    const FACTORIES: Record<string, string[]> = {
      'plugins/models/src/gbdt/gbdt-component.ts': ['GBDTModel'],
      'plugins/models/src/gbdt/gbdt-model.ts': ['GBDTModel'], // fromJSON, the component's restore()
      'plugins/models/src/linear/linear-component.ts': ['LinearModel'],
      'plugins/models/src/linear/linear-model.ts': ['LinearModel'], // fromJSON, the component's restore()
      'plugins/data-qlib/src/processors/components.ts': PROCESSORS,
      'plugins/data-qlib/index.ts': ['QlibDataProvider', 'ExprHandler', 'DatasetH'],
      'plugins/rolling/index.ts': ['RollingGen', 'MultiHorizonGen', 'RollingStrategy'],
      'plugins/ensemble/index.ts': ['AverageEnsemble'],
      'plugins/trainers/index.ts': ['TrainerR', 'DelayTrainerR', 'TrainerRM', 'DelayTrainerRM'],
    };
    const classes = [...new Set(Object.values(FACTORIES).flat())];
    const re = new RegExp(`new (${classes.join('|')})\\(`, 'g');
    const bad: string[] = [];
    for (const dir of ['core', 'plugins']) {
      for (const f of files(path.join(ROOT, dir))) {
        const rel = path.relative(ROOT, f).split(path.sep).join('/');
        for (const m of readFileSync(f, 'utf8').matchAll(re)) if (!FACTORIES[rel]?.includes(m[1]!)) bad.push(`${rel}: new ${m[1]}(`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('a component reads only the services it declared (ctx.deps; no ctx.get/ctx.has, no container lookups in plugins)', () => {
    const bad: string[] = [];
    for (const f of files(path.join(ROOT, 'plugins'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bctx\.(get|has)\(|\.get\(TOKENS\.|container\.resolve/g)) bad.push(`${path.relative(ROOT, f)}: ${m[0]}`);
    }
    expect(bad).toEqual([]);
  });

  it('a component builds other components only through ctx.resolve (no private kernel, no standalone helper inside a plugin)', () => {
    // The library helpers and the one-off `data features` export build through standaloneComponents on purpose (and close it).
    const STANDALONE_OK = new Set(['plugins/models/src/standalone.ts', 'plugins/data-qlib/src/processors/standalone.ts', 'plugins/data-qlib/src/cli/data-commands.ts']);
    const bad: string[] = [];
    for (const f of files(path.join(ROOT, 'plugins'))) {
      const rel = path.relative(ROOT, f).split(path.sep).join('/');
      if (rel === 'plugins/index.ts') continue; // qonline's own entry re-exports the engine
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/new Kernel\(|\bkernel\.(resolve|resolveSync|restoreModel)\(|\bregistry\.lookup\(|\.def\.create\(/g)) bad.push(`${rel}: ${m[0]}`);
      if (!STANDALONE_OK.has(rel)) for (const m of text.matchAll(/standaloneComponents\(/g)) bad.push(`${rel}: ${m[0]}`);
    }
    expect(bad).toEqual([]);
  });

  /**
   * Worker threads are entry points of their own: a training thread builds
   * its components through the kernel (an opened pipeline, one child scope
   * per task); compute threads (*.worker.ts) build none at all.
   */
  it('worker-thread entry points build components only through the kernel', () => {
    const bad: string[] = [];
    const workers = files(path.join(ROOT, 'plugins')).filter((f) => f.endsWith('.worker.ts'));
    expect(workers.length).toBeGreaterThan(0);
    const componentFile = (target: string): boolean => {
      const ts = target.replace(/\.js$/, '.ts');
      try {
        return /defineComponent\(|definePlugin\(/.test(readFileSync(ts, 'utf8'));
      } catch {
        return false;
      }
    };
    for (const f of workers) {
      const rel = path.relative(ROOT, f);
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/standaloneComponents\(|new Kernel\(|\.resolve\(\s*'|createModel\(|restoreModel\(/g)) bad.push(`${rel}: ${m[0]}`);
      // Nor may it reach a component definition (and so a factory) through its imports, one level down.
      for (const i of imports(f)) {
        const target = path.resolve(path.dirname(f), i);
        if (componentFile(target)) bad.push(`${rel} -> ${i} (defines components)`);
      }
    }
    // The training thread: the thread side only runs tasks in scopes of a context it is given ...
    const taskThread = readFileSync(path.join(ROOT, 'core', 'engine', 'task-thread.ts'), 'utf8');
    for (const m of taskThread.matchAll(/new Kernel\(|standaloneComponents\(|\.resolve\(\s*'|\brunPoolTask\(/g)) bad.push(`core/engine/task-thread.ts: ${m[0]}`);
    if (!/runPoolTaskInScope\(/.test(taskThread)) bad.push('core/engine/task-thread.ts: tasks must run through runPoolTaskInScope');
    // ... and every place that serves as a training thread opens that context through the kernel's pipeline, one scope per task.
    for (const f of files(path.join(ROOT, 'core'))) {
      const rel = path.relative(ROOT, f);
      const text = readFileSync(f, 'utf8');
      if (!/serveTaskThread\(/.test(text) || rel === path.join('core', 'engine', 'task-thread.ts')) continue;
      if (!/openPipeline\(/.test(text) || !/scopes: p\.kernel/.test(text)) bad.push(`${rel}: a training thread must open its pipeline through the kernel and give it as the task scopes`);
    }
    expect(bad).toEqual([]);
  });

  it('recorder params are read through their type, not by string key', () => {
    const bad: string[] = [];
    for (const dir of ['core', 'plugins']) {
      for (const f of files(path.join(ROOT, dir))) {
        for (const m of readFileSync(f, 'utf8').matchAll(/params\[['"][a-z_]+['"]\]/g)) bad.push(`${path.relative(ROOT, f)}: ${m[0]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

const PROCESSORS = [
  'RobustZScoreNorm',
  'ZScoreNorm',
  'MinMaxNorm',
  'Fillna',
  'DropnaProcessor',
  'DropnaLabel',
  'DropnaFeature',
  'CSRankNorm',
  'CSZScoreNorm',
  'CSZFillna',
  'ProcessInf',
  'FilterCol',
  'DropCol',
  'TanhProcess',
];
