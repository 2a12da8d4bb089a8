import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
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

/**
 * Largest config file accepted. Real pipelines are a few kilobytes; the limit
 * refuses generated or hostile files clearly instead of parsing for minutes.
 */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;
/** Most alias expansions a config may use (a YAML "billion laughs" stops here). */
export const MAX_ALIAS_COUNT = 1000;

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
    // A few kilobytes: read at once (an asynchronous read costs a thread-pool round trip of a CLI call's start).
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new QonlineError('QONLINE_USAGE', `cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseConfigText(text, abs, env);
}

export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `the config is ${(bytes / 1024 / 1024).toFixed(1)} MiB; the limit is ${MAX_CONFIG_BYTES / 1024 / 1024} MiB`, {
      location: { file, line: 1, column: 1, path: '' },
      hint: 'a pipeline config is a few kilobytes; generate long lists of features in a plugin instead',
    });
  }
  const fast = parseJsonConfig(text);
  if (fast) {
    // The YAML document (for error positions) is built only when a position is asked for.
    let located: ((pointer: string, preferKey?: boolean) => SourceLocation) | undefined;
    const locate = (pointer: string, preferKey = false): SourceLocation => {
      located ??= parseYaml(text, file).locate;
      return located(pointer, preferKey);
    };
    const substituted = substituteEnv(fast, [], env, locate) as Record<string, unknown>;
    return { file, dir: path.dirname(file), value: substituted, locate };
  }
  const { doc, locate } = parseYaml(text, file);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
  } catch (e) {
    // The alias checks above cover what the library refuses; anything else is still a YAML problem, not an internal error.
    throw yamlError(firstLine((e as Error).message), file, undefined, undefined);
  }
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', 'the config must be a YAML mapping (key: value pairs) at the top level', {
      location: { file, line: 1, column: 1, path: '' },
    });
  }
  const substituted = substituteEnv(value, [], env, locate) as Record<string, unknown>;
  return { file, dir: path.dirname(file), value: substituted, locate };
}

function yamlError(message: string, file: string, lineCounter: LineCounter | undefined, offset: number | undefined): QonlineError {
  const pos = offset === undefined || !lineCounter ? { line: 1, col: 1 } : lineCounter.linePos(offset);
  return new QonlineError('QONLINE_CONFIG_PARSE', `invalid YAML: ${message}`, {
    location: { file, line: pos.line, column: pos.col },
    details: [`${file}:${pos.line}:${pos.col}: ${message}`],
  });
}

/**
 * A config written as JSON (a generated one) read by `JSON.parse`: the YAML
 * library's parse of a 6 KB file cost ~12 ms of a CLI call. YAML 1.2 reads
 * JSON as the same value, except where the YAML path refuses the text: a
 * repeated key, a key naming an object property, an implicit key over 1024
 * characters or not on its colon's line, tabs. Such a text, or anything
 * `JSON.parse` refuses or that is not an object, returns null and goes the
 * YAML way, which reports it as before.
 */
function parseJsonConfig(text: string): Record<string, unknown> | null {
  if (!/^\s*\{/.test(text) || text.includes('\t')) return null;
  let keys = 0;
  let refused = false;
  let value: unknown;
  try {
    value = JSON.parse(text, function (this: unknown, key: string, v: unknown) {
      if (!Array.isArray(this) && key !== '') {
        keys++;
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') refused = true;
      }
      return v;
    });
  } catch {
    return null;
  }
  if (refused || !value || typeof value !== 'object' || Array.isArray(value)) return null;
  // JSON.parse keeps the last of repeated keys: the text must hold exactly as many keys as the value.
  return keys === jsonKeyCount(text) ? (value as Record<string, unknown>) : null;
}

/** Object keys in a valid JSON text (strings followed by a colon); -1 for a key YAML would not read as JSON does. */
function jsonKeyCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x22 /* " */) continue;
    const start = i;
    i++;
    while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c /* backslash */ ? 2 : 1;
    let j = i + 1;
    while (text[j] === ' ' || text[j] === '\r' || text[j] === '\n') j++;
    if (text[j] !== ':') continue;
    if (i - start > 1000 || text.slice(i + 1, j).includes('\n')) return -1;
    n++;
  }
  return n;
}

/** The YAML document of a config text, checked (syntax, repeated keys, aliases), and positions in it. */
function parseYaml(text: string, file: string): { doc: Document; locate: (pointer: string, preferKey?: boolean) => SourceLocation } {
  const lineCounter = new LineCounter();
  const parseError = (message: string, offset: number | undefined): QonlineError => yamlError(message, file, lineCounter, offset);
  let doc: Document;
  try {
    // The library's own uniqueKeys check compares each key with every earlier one (quadratic); duplicates are found below in one pass.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (e) {
    if (e instanceof RangeError) throw parseError('the document is nested too deeply', undefined);
    throw e;
  }
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
  checkStructure(doc, parseError);
  return { doc, locate: (pointer: string, preferKey = false): SourceLocation => locateIn(doc, lineCounter, file, pointer, preferKey) };
}

/**
 * One pass over the node tree (iterative, so deep nesting cannot overflow the
 * stack): duplicate keys in a mapping, aliases without an anchor, and alias
 * expansion beyond MAX_ALIAS_COUNT (each alias counts the nodes it copies).
 */
function checkStructure(doc: Document, fail: (message: string, offset: number | undefined) => QonlineError): void {
  const size = new Map<Node, number>();
  const nodeSize = (n: Node): number => {
    // Size of the expanded subtree, memoised; aliases resolve to their anchor's size.
    const stack: { n: Node; done: boolean }[] = [{ n, done: false }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (size.has(top.n)) {
        stack.pop();
        continue;
      }
      const kids: Node[] = [];
      if (isAlias(top.n)) {
        const target = top.n.resolve(doc) as Node | undefined;
        if (target) kids.push(target);
      } else if (isMap(top.n)) {
        for (const p of top.n.items) if (p.value) kids.push(p.value as Node);
      } else if (isSeq(top.n)) {
        for (const it of top.n.items) kids.push(it as Node);
      }
      if (!top.done) {
        top.done = true;
        for (const k of kids) if (k && !size.has(k)) stack.push({ n: k, done: false });
        continue;
      }
      let total = 1;
      for (const k of kids) total = Math.min(Number.MAX_SAFE_INTEGER, total + (size.get(k) ?? 1));
      size.set(top.n, total);
      stack.pop();
    }
    return size.get(n) ?? 1;
  };
  let expanded = 0;
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const n = stack.pop();
    if (!n) continue;
    if (isAlias(n)) {
      const target = n.resolve(doc) as Node | undefined;
      if (!target) throw fail(`alias *${n.source} has no anchor &${n.source} before it`, n.range?.[0]);
      expanded += nodeSize(target);
      if (expanded > MAX_ALIAS_COUNT * 100) throw fail(`aliases expand to more than ${MAX_ALIAS_COUNT * 100} nodes (an alias bomb?)`, n.range?.[0]);
    } else if (isMap(n)) {
      const seen = new Set<string>();
      for (const p of n.items) {
        const key = isScalar(p.key) ? String(p.key.value) : String(p.key);
        if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
          throw fail(`the key ${JSON.stringify(key)} is not allowed (it names a JavaScript object property)`, (p.key as Node | null)?.range?.[0]);
        }
        if (seen.has(key)) throw fail(`map keys must be unique: ${JSON.stringify(key)} appears twice`, (p.key as Node | null)?.range?.[0]);
        seen.add(key);
        stack.push(p.value);
      }
    } else if (isSeq(n)) {
      for (const it of n.items) stack.push(it);
    }
  }
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
