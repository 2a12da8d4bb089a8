import {
  Calendar,
  QonlineError,
  type DataProvider,
  type FeatureFrame,
  type FeatureRequest,
  type InstrumentSpans,
} from '../../../../core/index.js';
import { compileExpression, evaluateAll, parseExpression, windowExtent, type ExprNode, type SeriesInput } from '../expr/index.js';
import { computeDataVersion, readCalendar, readFeature, readInstruments } from '../storage/index.js';
import { ArrayLruCache } from './lru-cache.js';
import { FeatureDiskCache, inputHash } from './feature-disk-cache.js';

/** One instrument's raw rows: every calendar day from its first to its last stored day. */
interface InstrumentSeries {
  start: number;
  length: number;
  fields: Map<string, Float32Array>;
}

interface Compiled {
  text: string;
  fields: string[];
  evaluate(input: SeriesInput): Float32Array;
}

export interface QlibProviderOptions {
  /** Stable identity (no machine paths) used in caches and tasks. */
  id: string;
  uri: string;
  /** Feature cache budget in MiB. */
  cacheMiB?: number;
  /** Folder of the on-disk feature cache (none when absent). */
  cacheDir?: string;
}

/**
 * Market data in Qlib's binary layout. Expressions are evaluated over each
 * instrument's whole series (so windows at the query start see earlier rows,
 * and EMA / expanding windows do not depend on the query start) and cached by
 * (data version, expression, instrument).
 */
export class QlibDataProvider implements DataProvider {
  readonly id: string;
  readonly uri: string;
  private cal?: Calendar;
  private ver?: string;
  private readonly instrumentsCache = new Map<string, InstrumentSpans>();
  private readonly raw = new Map<string, InstrumentSeries | null>();
  private readonly compiled = new Map<string, Compiled>();
  private readonly cache: ArrayLruCache<Float32Array>;
  /** Counts expression evaluations (tests check incremental work). */
  evaluations = 0;
  /** Rows evaluated by expressions (full or incremental), for tests and benchmarks. */
  rowsEvaluated = 0;
  private readonly disk?: FeatureDiskCache;

  constructor(options: QlibProviderOptions) {
    this.id = options.id;
    this.uri = options.uri;
    this.cache = new ArrayLruCache((options.cacheMiB ?? 1024) * 1024 * 1024);
    if (options.cacheDir) this.disk = new FeatureDiskCache(options.cacheDir);
  }

  async calendar(freq = 'day'): Promise<Calendar> {
    if (freq !== 'day') throw new QonlineError('QONLINE_DATA_INVALID', `frequency ${freq} is not supported (only day)`);
    if (!this.cal) this.cal = new Calendar(await readCalendar(this.uri, freq), freq);
    return this.cal;
  }

  async instruments(market: string): Promise<InstrumentSpans> {
    let spans = this.instrumentsCache.get(market);
    if (!spans) {
      spans = await readInstruments(this.uri, market);
      this.instrumentsCache.set(market, spans);
    }
    return spans;
  }

  async version(): Promise<string> {
    if (!this.ver) this.ver = await computeDataVersion(this.uri);
    return this.ver;
  }

  /** Forgets cached calendar, instruments and features (after the data changed on disk). */
  refresh(): void {
    this.cal = undefined;
    this.ver = undefined;
    this.instrumentsCache.clear();
    this.raw.clear();
    this.cache.clear();
  }

  private compile(expr: string): Compiled {
    let c = this.compiled.get(expr);
    if (!c) {
      c = compileExpression(expr);
      this.compiled.set(expr, c);
    }
    return c;
  }

  private async series(code: string, fields: string[]): Promise<InstrumentSeries | null> {
    let s = this.raw.get(code);
    if (s === undefined) {
      s = { start: 0, length: 0, fields: new Map() };
      this.raw.set(code, s);
    }
    if (s === null) return null;
    const missing = fields.filter((f) => !s!.fields.has(f));
    if (missing.length) {
      const loaded = await Promise.all(missing.map(async (f) => [f, await readFeature(this.uri, code, f)] as const));
      // The series spans the union of every field's stored range.
      let start = s.length ? s.start : Infinity;
      let end = s.length ? s.start + s.length : -Infinity;
      for (const [, v] of loaded) {
        if (v && v.values.length) {
          start = Math.min(start, v.start);
          end = Math.max(end, v.start + v.values.length);
        }
      }
      if (!Number.isFinite(start)) {
        if (!s.length) {
          this.raw.set(code, null);
          return null;
        }
        start = s.start;
        end = s.start + s.length;
      }
      const length = end - start;
      const realign = (v: Float32Array, vStart: number): Float32Array => {
        if (vStart === start && v.length === length) return v;
        const out = new Float32Array(length).fill(NaN);
        out.set(v.subarray(Math.max(0, start - vStart), Math.max(0, Math.min(v.length, end - vStart))), Math.max(0, vStart - start));
        return out;
      };
      const next: InstrumentSeries = { start, length, fields: new Map() };
      for (const [f, v] of s.fields) next.fields.set(f, realign(v, s.start));
      for (const [f, v] of loaded) next.fields.set(f, v ? realign(v.values, v.start) : new Float32Array(length).fill(NaN));
      this.raw.set(code, next);
      s = next;
    }
    return s;
  }

  /** The full-series values of `expr` for `code` (cached). */
  async evaluateSeries(code: string, expr: string): Promise<{ start: number; values: Float32Array } | null> {
    const c = this.compile(expr);
    const s = await this.series(code, c.fields);
    if (!s) return null;
    const key = `${code}|${c.text}`;
    let v = this.cache.get(key);
    if (!v || v.length !== s.length) {
      const input: SeriesInput = {
        length: s.length,
        field: (name: string) => {
          const arr = s.fields.get(name);
          if (!arr) throw new QonlineError('QONLINE_DATA_INVALID', `field $${name} was not loaded for ${code}`);
          return arr;
        },
      };
      v = c.evaluate(input);
      this.evaluations++;
      this.cache.set(key, v);
    }
    return { start: s.start, values: v };
  }

  /**
   * Full-series values of several expressions for one instrument: cached ones
   * are reused, the rest evaluated together so shared sub-expressions are
   * computed once (Alpha158 repeats many).
   */
  async evaluateMany(code: string, exprs: string[]): Promise<{ start: number; values: Float32Array[] } | null> {
    const compiled = exprs.map((e) => this.compile(e));
    const fields = [...new Set(compiled.flatMap((c) => c.fields))];
    const s = await this.series(code, fields);
    if (!s) return null;
    const out: Float32Array[] = new Array(exprs.length);
    const missing: number[] = [];
    compiled.forEach((c, k) => {
      const v = this.cache.get(`${code}|${c.text}`);
      if (v && v.length === s.length) out[k] = v;
      else missing.push(k);
    });
    if (missing.length) {
      const field = (name: string): Float32Array => {
        const arr = s.fields.get(name);
        if (!arr) throw new QonlineError('QONLINE_DATA_INVALID', `field $${name} was not loaded for ${code}`);
        return arr;
      };
      const full: number[] = [];
      const hashes = new Map<string, Buffer>();
      const hashOf = (names: string[], length: number): Buffer => {
        const key = `${names.join(',')}|${length}`;
        let h = hashes.get(key);
        if (!h) hashes.set(key, (h = inputHash(s.fields, names, length)));
        return h;
      };
      for (const k of missing) {
        const c = compiled[k]!;
        const hit = this.disk?.read(code, c.text);
        if (hit && hit.start === s.start && hit.length <= s.length && hit.inputHash.equals(hashOf(c.fields, hit.length))) {
          if (hit.length === s.length) {
            out[k] = hit.values;
          } else {
            const extended = this.extend(hit.values, exprs[k]!, s.length, field, c.fields);
            if (!extended) {
              full.push(k);
              continue;
            }
            out[k] = extended;
            this.disk!.write(code, c.text, { start: s.start, inputHash: hashOf(c.fields, s.length), values: extended });
          }
          this.cache.set(`${code}|${c.text}`, out[k]!);
        } else full.push(k);
      }
      if (full.length) {
        const values = evaluateAll(
          full.map((k) => this.node(exprs[k]!)),
          { length: s.length, field },
        );
        this.evaluations += full.length;
        this.rowsEvaluated += full.length * s.length;
        full.forEach((k, j) => {
          const c = compiled[k]!;
          out[k] = values[j]!;
          this.cache.set(`${code}|${c.text}`, values[j]!);
          this.disk?.write(code, c.text, { start: s.start, inputHash: hashOf(c.fields, s.length), values: values[j]! });
        });
      }
    }
    return { start: s.start, values: out };
  }

  /**
   * Extends cached values to `length` rows by evaluating only the tail: the
   * rows whose window reaches new data, plus the expression's history window.
   * Null when the expression has an unbounded window (EMA, expanding).
   */
  private extend(cached: Float32Array, expr: string, length: number, field: (n: string) => Float32Array, fields: string[]): Float32Array | null {
    const { back, forward } = windowExtent(this.node(expr));
    if (!Number.isFinite(back) || !Number.isFinite(forward)) return null;
    const from = Math.max(0, cached.length - forward);
    const sliceStart = Math.max(0, from - back);
    const sliced = new Map(fields.map((f) => [f, field(f).subarray(sliceStart, length)] as const));
    const [tail] = evaluateAll([this.node(expr)], { length: length - sliceStart, field: (n) => sliced.get(n) ?? field(n).subarray(sliceStart, length) });
    this.evaluations += 1;
    this.rowsEvaluated += length - sliceStart;
    const out = new Float32Array(length);
    out.set(cached.subarray(0, from));
    out.set(tail!.subarray(from - sliceStart), from);
    return out;
  }

  private readonly nodes = new Map<string, ExprNode>();
  private node(expr: string): ExprNode {
    let n = this.nodes.get(expr);
    if (!n) {
      n = parseExpression(expr);
      this.nodes.set(expr, n);
    }
    return n;
  }

  async features(request: FeatureRequest): Promise<FeatureFrame> {
    const cal = await this.calendar(request.freq);
    const a = cal.lowerBound(request.start);
    const b = request.end === null ? cal.length - 1 : cal.upperBound(request.end);
    const columns = [...request.fields];
    const market = typeof request.instruments === 'string' ? request.instruments : null;
    let codes: string[];
    let spans: InstrumentSpans | null = null;
    if (market !== null) {
      spans = await this.instruments(market);
      const startDate = cal.dates[a] ?? request.start;
      const endDate = cal.dates[b] ?? request.start;
      codes = [...spans.entries()].filter(([, ss]) => ss.some((sp) => sp.start <= endDate && sp.end >= startDate)).map(([c]) => c);
    } else {
      codes = [...new Set(request.instruments as string[])];
    }
    codes.sort();
    if (b < a || !codes.length) return emptyFrame(columns);
    // Per instrument: included calendar range and values per column.
    const perCode: { code: string; from: number; to: number; mask: Uint8Array | null; cols: Float32Array[]; start: number }[] = [];
    for (const code of codes) {
      const r = await this.evaluateMany(code, columns);
      if (!r) continue;
      const cols = r.values;
      const seriesStart = r.start;
      const seriesLen = cols[0]?.length ?? 0;
      if (!columns.length) continue;
      const from = Math.max(a, seriesStart);
      const to = Math.min(b, seriesStart + seriesLen - 1);
      if (to < from) continue;
      let mask: Uint8Array | null = null;
      if (spans) {
        // Markets keep only rows inside membership spans (after computing).
        mask = new Uint8Array(to - from + 1);
        for (const sp of spans.get(code) ?? []) {
          const s0 = Math.max(from, cal.lowerBound(sp.start));
          const s1 = Math.min(to, cal.upperBound(sp.end));
          for (let t = s0; t <= s1; t++) mask[t - from] = 1;
        }
      }
      perCode.push({ code, from, to, mask, cols, start: seriesStart });
    }
    // Date-major assembly: first each (instrument, date) row's output index,
    // then a column-by-column copy (sequential reads per column).
    const nCodes = perCode.length;
    const slot = new Int32Array((b - a + 1) * nCodes).fill(-1);
    let rows = 0;
    for (let t = a; t <= b; t++) {
      for (let k = 0; k < nCodes; k++) {
        const p = perCode[k]!;
        if (t < p.from || t > p.to || (p.mask && !p.mask[t - p.from])) continue;
        slot[(t - a) * nCodes + k] = rows++;
      }
    }
    const dates = cal.dates.slice(a, b + 1) as string[];
    const instruments = perCode.map((p) => p.code);
    const rowDate = new Int32Array(rows);
    const rowInst = new Int32Array(rows);
    const data = columns.map(() => new Float32Array(rows));
    for (let k = 0; k < nCodes; k++) {
      const p = perCode[k]!;
      const idx: number[] = [];
      const off: number[] = [];
      for (let t = p.from; t <= p.to; t++) {
        const r = slot[(t - a) * nCodes + k]!;
        if (r < 0) continue;
        idx.push(r);
        off.push(t - p.start);
        rowDate[r] = t - a;
        rowInst[r] = k;
      }
      const n = idx.length;
      for (let c = 0; c < columns.length; c++) {
        const src = p.cols[c]!;
        const dst = data[c]!;
        for (let j = 0; j < n; j++) dst[idx[j]!] = src[off[j]!]!;
      }
    }
    return { rows, dates, instruments, rowDate, rowInst, columns, data };
  }
}

function emptyFrame(columns: string[]): FeatureFrame {
  return { rows: 0, dates: [], instruments: [], rowDate: new Int32Array(0), rowInst: new Int32Array(0), columns, data: columns.map(() => new Float32Array(0)) };
}
