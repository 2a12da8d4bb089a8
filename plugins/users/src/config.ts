import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { QonlineError, type ComponentSpec } from '../../../core/index.js';

/** Where a user's scores come from (SPEC's `model`). */
export type ScoreSource = { manager: string } | { recorder: string } | { file: string };

/** A user config (`users add --config USER.yaml`), stored with the user as plain JSON. */
export interface UserConfig {
  init_cash: number;
  /** A `tradingStrategy` spec, e.g. `{class: TopkDropoutStrategy, kwargs: {topk: 5, n_drop: 1}}`. */
  strategy: ComponentSpec;
  /** Qlib's exchange_kwargs (the backtest plugin's `Exchange` options). */
  exchange_kwargs: Record<string, unknown>;
  region: 'cn' | 'us';
  /** An instrument, a list (their mean change) or null. */
  benchmark: string | string[] | null;
  /** The `dataProvider` spec (default SyntheticMarket). */
  data: ComponentSpec;
  /** The `store` spec the CLI opens (default SQLiteStore in the home). */
  store?: ComponentSpec;
  model: ScoreSource;
}

export const USER_CONFIG_KEYS = ['$schema', 'version', 'init_cash', 'strategy', 'exchange_kwargs', 'region', 'benchmark', 'data', 'store', 'model'] as const;

/** A YAML mapping that looks like a user config: `init_cash`, `strategy` and `model`, no `manager`. */
export function looksLikeUserConfig(value: unknown): boolean {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return !('manager' in v) && 'init_cash' in v && 'strategy' in v && 'model' in v;
}

export interface LoadedUserConfig {
  file: string;
  config: UserConfig;
  /** The line of a JSON pointer (for component errors found later). */
  lineOf(pointer: string): number | undefined;
}

const ENV_RE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in string values, as pipeline configs; an unset variable without a default is an error at its path. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, fail: (pointer: string, msg: string) => never, pointer = ''): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(ENV_RE, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      return fail(pointer, `environment variable ${name} is not set (write \${${name}:-default} for a default)`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, fail, `${pointer}/${i}`));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, fail, `${pointer}/${k}`);
    return out;
  }
  return value;
}

const isSpec = (v: unknown): boolean =>
  typeof v === 'string' || (!!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, unknown>)['class'] === 'string');

/**
 * Reads and checks a user config against its schema (the component specs
 * are checked by their components when built). A `model: {file}` path is
 * made absolute (relative to the config's folder).
 */
export function readUserConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedUserConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new QonlineError('QONLINE_USAGE', `cannot read the user config ${file}: ${(e as Error).message}`);
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lc.linePos(e.pos[0]);
    throw new QonlineError('QONLINE_CONFIG_PARSE', e.message.split('\n')[0]!, { location: { file, line: pos.line, column: pos.col } });
  }
  const lineOf = (pointer: string): number | undefined => {
    const segs = pointer.split('/').filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
    for (let n = segs.length; n >= 0; n--) {
      const node = (n ? doc.getIn(segs.slice(0, n), true) : doc.contents) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lc.linePos(node.range[0]).line;
    }
    return undefined;
  };
  const fail = (pointer: string, msg: string): never => {
    throw new QonlineError('QONLINE_CONFIG_INVALID', msg, { location: { file, line: lineOf(pointer), path: pointer || '/' } });
  };
  const root = substituteEnv(doc.toJS(), env, (pointer, msg) => {
    throw new QonlineError('QONLINE_CONFIG_ENV', msg, { location: { file, line: lineOf(pointer), path: pointer || '/' } });
  });
  if (!root || typeof root !== 'object' || Array.isArray(root)) fail('', 'a user config is a mapping with init_cash, strategy and model');
  const v = root as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!(USER_CONFIG_KEYS as readonly string[]).includes(k)) fail(`/${k}`, `unknown property ${JSON.stringify(k)} (expected one of ${USER_CONFIG_KEYS.filter((x) => x !== '$schema').join(', ')})`);
  }
  if (v['version'] !== undefined && v['version'] !== 1) fail('/version', `expected 1, found ${JSON.stringify(v['version'])}`);
  const cash = v['init_cash'];
  if (typeof cash !== 'number' || !Number.isFinite(cash) || cash <= 0) fail('/init_cash', `expected a positive number (the initial cash), found ${JSON.stringify(cash)}`);
  if (!isSpec(v['strategy'])) fail('/strategy', 'expected a trading strategy {class, kwargs}, e.g. {class: TopkDropoutStrategy, kwargs: {topk: 5, n_drop: 1}}');
  const ek = v['exchange_kwargs'] ?? {};
  if (typeof ek !== 'object' || ek === null || Array.isArray(ek)) fail('/exchange_kwargs', 'expected a mapping (the exchange options)');
  const region = v['region'] ?? 'cn';
  if (region !== 'cn' && region !== 'us') fail('/region', `expected cn or us, found ${JSON.stringify(region)}`);
  const bench = 'benchmark' in v ? v['benchmark'] : null;
  if (bench !== null && typeof bench !== 'string' && !(Array.isArray(bench) && bench.length && bench.every((b) => typeof b === 'string'))) {
    fail('/benchmark', 'expected an instrument, a list of instruments or null');
  }
  const data = v['data'] ?? { class: 'SyntheticMarket' };
  if (!isSpec(data)) fail('/data', 'expected a data provider {class, kwargs}');
  if (v['store'] !== undefined && !isSpec(v['store'])) fail('/store', 'expected a store {class, kwargs}');
  const m = v['model'];
  let model: ScoreSource | undefined;
  if (m && typeof m === 'object' && !Array.isArray(m)) {
    const keys = Object.keys(m);
    const mv = m as Record<string, unknown>;
    if (keys.length === 1 && typeof mv[keys[0]!] === 'string' && mv[keys[0]!] !== '') {
      if (keys[0] === 'manager') model = { manager: mv['manager'] as string };
      else if (keys[0] === 'recorder') model = { recorder: mv['recorder'] as string };
      else if (keys[0] === 'file') model = { file: path.resolve(path.dirname(path.resolve(file)), mv['file'] as string) };
    }
  }
  if (!model) fail('/model', 'expected the score source: exactly one of {manager: NAME}, {recorder: ID}, {file: SCORES.csv}');
  const spec = (x: unknown): ComponentSpec => (typeof x === 'string' ? ({ class: x } as ComponentSpec) : (x as ComponentSpec));
  return {
    file: path.resolve(file),
    lineOf,
    config: {
      init_cash: cash as number,
      strategy: spec(v['strategy']),
      exchange_kwargs: ek as Record<string, unknown>,
      region: region as 'cn' | 'us',
      benchmark: bench as string | string[] | null,
      data: spec(data),
      ...(v['store'] !== undefined ? { store: spec(v['store']) } : {}),
      model: model!,
    },
  };
}
