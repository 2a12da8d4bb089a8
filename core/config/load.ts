import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { QonlineError, type SourceLocation } from '../errors/index.js';

export interface LoadedConfig {
  /** Absolute path of the YAML file. */
  file: string;
  dir: string;
  /** Plain JSON after `${ENV}` substitution. */
  value: Record<string, unknown>;
  /** Source position of a JSON pointer (or of its nearest existing parent). */
  locate(pointer: string, preferKey?: boolean): SourceLocation;
}

const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function pointerToSegments(pointer: string): string[] {
  if (!pointer || pointer === '/') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function segmentsToPointer(segments: (string | number)[]): string {
  return segments.length ? '/' + segments.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/') : '';
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw new QonlineError('QONLINE_USAGE', `cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfigText(text, abs, env);
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const posOf = (err: (typeof doc.errors)[number]): { line: number; col: number } => err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
    const details = doc.errors.map((err) => {
      const pos = posOf(err);
      return `${file}:${pos.line}:${pos.col}: ${firstLine(err.message)}`;
    });
    const pos = posOf(doc.errors[0]!);
    throw new QonlineError('QONLINE_CONFIG_PARSE', `invalid YAML: ${firstLine(doc.errors[0]!.message)}`, {
      location: { file, line: pos?.line, column: pos?.col },
      details,
    });
  }
  const locate = (pointer: string, preferKey = false): SourceLocation => locateIn(doc, lineCounter, file, pointer, preferKey);
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', 'the config must be a YAML mapping (key: value pairs) at the top level', {
      location: { file, line: 1, column: 1, path: '' },
    });
  }
  const substituted = substituteEnv(value, [], env, locate) as Record<string, unknown>;
  return { file, dir: path.dirname(file), value: substituted, locate };
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}

function locateIn(doc: Document, lc: LineCounter, file: string, pointer: string, preferKey: boolean): SourceLocation {
  const segs = pointerToSegments(pointer);
  let node: unknown = doc.contents;
  let best: Node | null = (doc.contents as Node) ?? null;
  let keyNode: Node | null = null;
  for (const seg of segs) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === seg);
      if (!pair) break;
      keyNode = (pair.key as Node) ?? null;
      node = pair.value;
      best = (pair.value as Node) ?? keyNode;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      keyNode = null;
      node = item;
      best = item as Node;
    } else break;
  }
  // Point at the key of a mapping entry when the value is a block (more readable).
  const target = best && keyNode && (preferKey || isMap(best) || isSeq(best)) ? keyNode : best;
  const offset = target?.range?.[0];
  if (offset === undefined) return { file, path: pointer };
  const pos = lc.linePos(offset);
  return { file, line: pos.line, column: pos.col, path: pointer };
}

function substituteEnv(
  value: unknown,
  at: (string | number)[],
  env: NodeJS.ProcessEnv,
  locate: (p: string) => SourceLocation,
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(ENV_RE, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new QonlineError('QONLINE_CONFIG_ENV', `environment variable ${name} is not set (write \${${name}:-default} for a default)`, {
        location: locate(segmentsToPointer(at)),
      });
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...at, i], env, locate));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, [...at, k], env, locate);
    return out;
  }
  return value;
}

/** Deep-freezes a config so factories cannot mutate shared options. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}
