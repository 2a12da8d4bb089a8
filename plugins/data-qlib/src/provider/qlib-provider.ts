import {
  Calendar,
  inFeatureCacheShare,
  QonlineError,
  type FeatureCacheShare,
  type DataProvider,
  type FeatureFrame,
  type FeatureRequest,
  type FeatureRowBlocks,
  type InstrumentSpans,
} from '../../../../core/index.js';
import {
  evaluateAll,
  evaluateSegments,
  fieldsOf,
  formatExpression,
  parseExpressionWith,
  qlibLeftExtent,
  qlibRightExtent,
  qlibStartDependent,
  windowExtent,
  type ExprMode,
  type ExprNode,
} from '../expr/index.js';
import { computeDataVersion, readCalendar, readFeatureSync, readInstruments } from '../storage/index.js';
import { defaultFeatureThreads, FeatureWorkerPool } from '../parallel/feature-workers.js';
import type { FeatureJob, FeatureJobResult } from '../parallel/feature-protocol.js';
import { assembleFrame, RowBlockAssembler, type InstrumentColumns, type InstrumentRows } from './assemble-frame.js';
import { ArrayLruCache } from './lru-cache.js';
import { digestOfField, digestsOfFieldPrefix, FeatureDiskCache, inputHash, type CachePack } from './feature-disk-cache.js';
import { mergeSeries, type InstrumentSeries } from './instrument-series.js';

/** `featureRows` results of at most this many values (16 MiB) are kept for an identical request, the last few of them. */
const ROWS_MEMO_VALUES = 4 << 20;
const ROWS_MEMO_ENTRIES = 4;

interface Compiled {
  text: string;
  /** Short id of the canonical text (textId), set on first use. */
  id?: number;
  fields: string[];
  /** The rows it reads before and after each row (see `extentOf`), set on first use. */
  extent?: { back: number; forward: number };
}

/**
 * One instrument's series with what the caches gave (`out`: each
 * expression's rows [lo, s.length)) and what is left to evaluate (`full`).
 */
interface Pending {
  s: InstrumentSeries;
  /** First series row wanted: a request that starts late (a routine's new days) needs no earlier rows. */
  lo: number;
  out: Float32Array[];
  full: number[];
  hashOf(names: string[], length: number): Buffer;
  /** The instrument's disk cache entries to write (once, after the new values are in); absent when not this provider's to write. */
  pack?: CachePack;
  /**
   * Cached entries to extend to the series' length (extendAll), as parallel
   * arrays (no object per entry, alive from prepare to extendAll: a routine
   * has 300 x 170): expression index, the cached entry's rows, and the wanted
   * cached rows before the recomputed tail (null: none, as for a routine's new days).
   */
  growK: number[];
  growLength: number[];
  growHead: (Float32Array | null)[];
}

/** Tails of cached entries up to this many values per instrument (256 KiB) wait for close(); whole entries and more values are written at once. */
const DEFERRED_VALUES_PER_PACK = 65_536;

export interface QlibProviderOptions {
  /** Stable identity (no machine paths) used in caches and tasks. */
  id: string;
  uri: string;
  /** Feature cache budget in MiB. */
  cacheMiB?: number;
  /** Folder of the on-disk feature cache (none when absent). */
  cacheDir?: string;
  /**
   * Worker threads evaluating instruments in parallel: 1 evaluates on the
   * calling thread; N >= 2 uses up to N workers; 0 or absent: automatic,
   * min(4, available cores) for large requests and 1 for small ones. Needs
   * the built worker (dist/data-worker.js); without it, one thread.
   */
  threads?: number;
  /**
   * Expression semantics: `default` (docs/expressions.md) or `qlib` (Qlib's
   * behaviour where the default differs; values that depend on where Qlib
   * starts loading are computed from the request's start minus Qlib's extent).
   */
  expressions?: ExprMode;
  /**
   * Internal: the instruments whose disk cache entries this provider writes
   * (a training thread of a batch whose threads compute the same features:
   * `featureCacheShare()`); the others are computed and kept in memory only.
   * Absent: every computed entry is written.
   */
  diskWriteShare?: FeatureCacheShare | null;
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
  private readonly diskWriteShare: FeatureCacheShare | null;
  private readonly threads?: number;
  private pool?: FeatureWorkerPool;
  /** Threads that evaluated the last `features` request (1 = the calling thread). */
  lastThreads = 1;

  /** Expression semantics (part of every feature cache key). */
  readonly mode: ExprMode;

  constructor(options: QlibProviderOptions) {
    this.id = options.id;
    this.mode = options.expressions ?? 'default';
    if (this.mode !== 'default' && this.mode !== 'qlib') {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `expressions must be default or qlib, found ${String(this.mode)}`);
    }
    this.uri = options.uri;
    if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 0)) {
      throw new QonlineError('QONLINE_CONFIG_INVALID', `threads must be a whole number >= 0 (0 = automatic), found ${options.threads}`);
    }
    this.threads = options.threads;
    this.cache = new ArrayLruCache((options.cacheMiB ?? 1024) * 1024 * 1024);
    if (options.cacheDir) this.disk = new FeatureDiskCache(options.cacheDir);
    this.diskWriteShare = options.diskWriteShare ?? null;
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
    this.flushCache();
    this.cal = undefined;
    this.ver = undefined;
    this.instrumentsCache.clear();
    this.raw.clear();
    this.cache.clear();
    this.slots.clear();
    this.packs.clear();
    this.inputHashes.clear();
    this.rowsMemo.clear();
  }

  private compile(expr: string): Compiled {
    let c = this.compiled.get(expr);
    if (!c) {
      // The node the evaluator and `extentOf` use (parsed once per expression: planning formats every sub-expression).
      const node = this.node(expr);
      const names = fieldsOf(node);
      // Expressions reading the same fields share one array: input hashes are kept by field set (hashOf).
      const key = names.join(',');
      let fields = this.fieldSets.get(key);
      if (!fields) this.fieldSets.set(key, (fields = names));
      c = { text: formatExpression(node), fields };
      this.compiled.set(expr, c);
    }
    return c;
  }

  /** One array per distinct set of raw fields (sorted names) among the compiled expressions. */
  private readonly fieldSets = new Map<string, string[]>();

  private async series(code: string, fields: string[]): Promise<InstrumentSeries | null> {
    const s = this.raw.get(code);
    if (s === null) return null;
    const missing = fields.filter((f) => !s?.fields.has(f));
    if (!missing.length && s) return s;
    // Synchronous reads: a field file is a few KiB, and an async read's four
    // thread-pool round trips (open, stat, read, close) cost more than the read.
    const loaded = missing.map((f) => [f, readFeatureSync(this.uri, code, f)] as const);
    const next = mergeSeries(s, loaded);
    this.raw.set(code, next);
    return next;
  }

  /**
   * Full-series values of several expressions for one instrument: cached ones
   * are reused, the rest evaluated together so shared sub-expressions are
   * computed once (Alpha158 repeats many).
   */
  async evaluateMany(code: string, exprs: string[], fromRow = 0): Promise<{ start: number; values: Float32Array[] } | null> {
    const compiled = exprs.map((e) => this.compile(e));
    const p = await this.prepare(code, exprs, compiled, fromRow);
    if (!p) return null;
    this.extendAll([{ code, p }], exprs, compiled);
    this.evaluateFull(code, p, exprs, compiled);
    return { start: p.s.start + p.lo, values: p.out };
  }

  /** Evaluates the expressions `p.full` lists over the whole series and stores them. */
  private evaluateFull(code: string, p: Pending, exprs: string[], compiled: Compiled[]): void {
    if (!p.full.length) return;
    const values = evaluateAll(
      p.full.map((k) => this.node(exprs[k]!)),
      { length: p.s.length, field: fieldOf(p.s, code) },
      { mode: this.mode },
    );
    this.store(code, p, compiled, values);
  }

  /**
   * Loads the series and takes what the memory and disk caches hold for
   * rows from calendar row `fromRow` on; `full` lists the expressions left
   * to evaluate.
   */
  private async prepare(code: string, exprs: string[], compiled: Compiled[], fromRow = 0): Promise<Pending | null> {
    let fields = this.fieldsOfExprs.get(exprs);
    if (!fields) this.fieldsOfExprs.set(exprs, (fields = [...new Set(compiled.flatMap((c) => c.fields))]));
    const s = await this.series(code, fields);
    if (!s) return null;
    const lo = Math.min(s.length, Math.max(0, fromRow - s.start));
    const out: Float32Array[] = new Array(exprs.length);
    const missing: number[] = [];
    const slots = this.slotsOf(code);
    compiled.forEach((c, k) => {
      const id = this.textId(c);
      // No key yet: nothing of this instrument and expression was ever kept (no lookup).
      const key = slots.keys[id];
      const v = key === undefined ? undefined : this.cache.get(key);
      const vFrom = v ? (slots.from[id] ?? 0) : 0;
      if (v && vFrom <= lo && vFrom + v.length === s.length) out[k] = vFrom === lo ? v : v.subarray(lo - vFrom);
      else missing.push(k);
    });
    // Input hashes per instrument, kept across requests (a routine's requests share fields): the raw rows do not change until refresh().
    let memo = this.inputHashes.get(code);
    if (!memo || memo.series !== s) this.inputHashes.set(code, (memo = { series: s, digests: new Map(), hashes: new Map() }));
    const { digests, hashes } = memo;
    const fieldDigest = (name: string, length: number): Buffer | null => {
      const key = `${name}|${length}`;
      let d = digests.get(key);
      if (d !== undefined) return d;
      if (length < s.length) {
        // The cached rows' digest: the grown entries will want the whole series' digest next, from the same pass.
        const both = digestsOfFieldPrefix(s.fields, name, length);
        d = both?.prefix ?? null;
        digests.set(`${name}|${s.length}`, both?.whole ?? null);
      } else d = digestOfField(s.fields, name, length);
      digests.set(key, d);
      return d;
    };
    // By the field-set array itself (compile() interns them): no key string per expression and instrument.
    // The last answer is kept: neighbouring expressions mostly read the same fields (Alpha158's $close runs).
    let lastNames: string[] | null = null;
    let lastLength = -1;
    let lastHash: Buffer | undefined;
    const hashOf = (names: string[], length: number): Buffer => {
      if (names === lastNames && length === lastLength) return lastHash!;
      let byNames = hashes.get(length);
      if (!byNames) hashes.set(length, (byNames = new Map()));
      let h = byNames.get(names);
      if (!h) byNames.set(names, (h = inputHash(s.fields, names, length, fieldDigest)));
      lastNames = names;
      lastLength = length;
      lastHash = h;
      return h;
    };
    const full: number[] = [];
    // One pack per instrument for the provider's life: its index is read once and kept current by its own writes.
    let pack = missing.length ? this.packs.get(code) : undefined;
    if (missing.length && !pack && this.disk) this.packs.set(code, (pack = this.disk.open(code)));
    const growK: number[] = [];
    const growLength: number[] = [];
    const growHead: (Float32Array | null)[] = [];
    // Indexed: for-of allocates an iterator result per step until the code is optimised (a routine runs this 24,000 times, mostly cold).
    for (let m = 0; m < missing.length; m++) {
      const k = missing[m]!;
      const c = compiled[k]!;
      const hit = pack?.get(this.keyOf(c.text));
      if (hit && hit.start === s.start && hit.length <= s.length && hit.hasInputs(hashOf(c.fields, hit.length))) {
        if (hit.length === s.length) {
          // Only the wanted rows are read from the file.
          const v = hit.read(lo);
          if (v) {
            out[k] = v;
            this.remember(code, c, v, lo);
          } else full.push(k);
          continue;
        }
        const { forward, back } = this.extentOf(c, exprs[k]!);
        const from = Math.max(0, hit.length - forward);
        // The cached rows the request wants before the recomputed tail (none for a routine's new days).
        if (!Number.isFinite(back)) full.push(k);
        else if (lo >= from) {
          growK.push(k);
          growLength.push(hit.length);
          growHead.push(null);
        } else {
          const head = hit.read(lo);
          if (head) {
            growK.push(k);
            growLength.push(hit.length);
            growHead.push(head.subarray(0, from - lo));
          } else full.push(k);
        }
      } else full.push(k);
    }
    // Entries outside this thread's share are written by the thread whose share they are.
    const writes = pack && inFeatureCacheShare(code, this.diskWriteShare) ? pack : undefined;
    // Nothing to compute: the pack's changes (none, or earlier requests' tails) may be written now.
    if (!full.length && !growK.length) this.flushLater(writes);
    return { s, lo, out, full, hashOf, pack: writes, growK, growLength, growHead };
  }

  /** Keeps an expression's rows [from, length) in the memory cache. */
  private remember(code: string, c: Compiled, values: Float32Array, from: number): void {
    const slots = this.slotsOf(code);
    const id = this.textId(c);
    slots.from[id] = from;
    this.cache.set((slots.keys[id] ??= `${code}|${id}`), values);
  }

  /** Keeps freshly evaluated values (one per `p.full` entry) in `p.out` and the caches. */
  private store(code: string, p: Pending, compiled: Compiled[], values: Float32Array[]): void {
    this.evaluations += p.full.length;
    this.rowsEvaluated += p.full.length * p.s.length;
    p.full.forEach((k, j) => {
      const c = compiled[k]!;
      p.out[k] = p.lo ? values[j]!.subarray(p.lo) : values[j]!;
      this.remember(code, c, values[j]!, 0);
      p.pack?.put(this.keyOf(c.text), { start: p.s.start, inputHash: p.hashOf(c.fields, p.s.length), values: values[j]! });
    });
    this.flushLater(p.pack);
  }

  /**
   * Writes a pack's changes now when they hold whole entries (history) or
   * many values, and keeps tails of cached entries (a routine's new days)
   * for `flushCache`: the requests
   * of one routine (one per dataset) then append one record per instrument,
   * not one each. A crash before the flush only loses cache entries (they
   * are computed again), never serves stale values: entries carry their
   * input hashes. True when the pack still holds changes in memory (kept
   * for flushCache, served by its `get` until then).
   */
  private flushLater(pack: CachePack | undefined): boolean {
    if (!pack) return false;
    const { values, whole } = pack.pending();
    if (whole || values > DEFERRED_VALUES_PER_PACK) {
      pack.flush();
      this.unflushed.delete(pack);
      return false;
    }
    if (values) this.unflushed.add(pack);
    return values > 0;
  }

  /** Writes the disk cache changes kept by `flushLater` (close() and refresh() do). */
  flushCache(): void {
    const packs = [...this.unflushed];
    this.unflushed.clear();
    let failure: unknown;
    for (const pack of packs) {
      try {
        pack.flush();
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure) throw failure;
  }

  /**
   * `evaluateMany` for every code, on worker threads when the request is
   * large enough (see QlibProviderOptions.threads). Instruments whose raw
   * series this thread has not loaded (and no disk cache needs hashing) are
   * read by the workers themselves; the others go with the rows this thread
   * holds. Either way the workers see the same rows and evaluate the same
   * expressions together, so results equal the single-threaded ones.
   */
  private async evaluateCodes(
    codes: string[],
    exprs: string[],
    calendarLength: number,
    onValues?: (index: number, r: { start: number; values: Float32Array[] }) => void,
    fromRow = 0,
  ): Promise<({ start: number; values: Float32Array[] } | null)[]> {
    const results: ({ start: number; values: Float32Array[] } | null)[] = new Array(codes.length).fill(null);
    const ready = (i: number): void => {
      const r = results[i];
      if (r && onValues) onValues(i, r);
    };
    const wanted = this.threads ?? 0;
    this.lastThreads = 1;
    const compiled = exprs.map((e) => this.compile(e));
    if (wanted === 1 || codes.length < 2 || exprs.length === 0) {
      // Every instrument's cached entries first: their new rows are then computed together (extendAll).
      const prepared: { i: number; code: string; p: Pending }[] = [];
      for (let i = 0; i < codes.length; i++) {
        const p = await this.prepare(codes[i]!, exprs, compiled, fromRow);
        if (p) prepared.push({ i, code: codes[i]!, p });
      }
      this.extendAll(prepared, exprs, compiled);
      for (const { i, code, p } of prepared) {
        this.evaluateFull(code, p, exprs, compiled);
        results[i] = { start: p.s.start + p.lo, values: p.out };
        ready(i);
      }
      return results;
    }
    const fields = [...new Set(compiled.flatMap((c) => c.fields))].sort();
    const jobs: FeatureJob[] = [];
    const owners: { index: number; pending: Pending | null }[] = [];
    let work = 0;
    const prepared: { i: number; code: string; p: Pending }[] = [];
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i]!;
      if (this.raw.get(code) === undefined && !this.disk) {
        jobs.push({ code, exprs, read: fields, have: null, mode: this.mode });
        owners.push({ index: i, pending: null });
        work += exprs.length * calendarLength;
        continue;
      }
      const p = await this.prepare(code, exprs, compiled, fromRow);
      if (p) prepared.push({ i, code, p });
    }
    this.extendAll(prepared, exprs, compiled);
    for (const { i, code, p } of prepared) {
      results[i] = { start: p.s.start + p.lo, values: p.out };
      if (!p.full.length) {
        ready(i);
        continue;
      }
      const need = [...new Set(p.full.flatMap((k) => compiled[k]!.fields))];
      jobs.push({ code, mode: this.mode, exprs: p.full.map((k) => exprs[k]!), read: [], have: { start: p.s.start, length: p.s.length, fields: need.map((f) => [f, p.s.fields.get(f)!]) } });
      owners.push({ index: i, pending: p });
      work += p.full.length * p.s.length;
    }
    const threads = wanted === 0 ? defaultFeatureThreads(work) : wanted;
    const redo: number[] = [];
    const onResult = (j: number, r: FeatureJobResult): void => {
      const { index, pending } = owners[j]!;
      const code = codes[index]!;
      let p = pending;
      if (!p) {
        const s = mergeSeries(this.raw.get(code) ?? undefined, r.loaded);
        this.raw.set(code, s);
        if (!s) return;
        if (s.start !== r.start || s.length !== r.length) {
          // Another request loaded more fields meanwhile: evaluate over the wider series here.
          redo.push(index);
          return;
        }
        const lo = Math.min(s.length, Math.max(0, fromRow - s.start));
        p = { s, lo, out: new Array(exprs.length), full: exprs.map((_, k) => k), hashOf: () => Buffer.alloc(0), growK: [], growLength: [], growHead: [] };
        results[index] = { start: s.start + lo, values: p.out };
      }
      this.store(code, p, compiled, r.values!);
      ready(index);
    };
    if (threads > 1 && jobs.length > 1) {
      this.pool ??= new FeatureWorkerPool(this.uri);
      if (await this.pool.run(jobs, threads, onResult)) {
        this.lastThreads = Math.min(threads, jobs.length);
        for (const i of redo) {
          results[i] = await this.evaluateMany(codes[i]!, exprs, fromRow);
          ready(i);
        }
        return results;
      }
    }
    // One thread (small request, or no built worker script).
    for (let j = 0; j < jobs.length; j++) {
      const { index, pending } = owners[j]!;
      if (!pending) {
        results[index] = await this.evaluateMany(codes[index]!, exprs, fromRow);
        ready(index);
        continue;
      }
      const values = evaluateAll(
        pending.full.map((k) => this.node(exprs[k]!)),
        { length: pending.s.length, field: fieldOf(pending.s, codes[index]!) },
        { mode: this.mode },
      );
      this.store(codes[index]!, pending, compiled, values);
      ready(index);
    }
    return results;
  }

  /** Cache key of an expression's canonical text: the semantics are part of it. */
  private keyOf(text: string): string {
    return this.mode === 'default' ? text : `${this.mode}:${text}`;
  }

  /**
   * evaluateCodes for a request over calendar rows [a, b]. With Qlib
   * semantics, expressions whose value depends on where loading started are
   * evaluated here over the rows Qlib would load (from `a` minus Qlib's left
   * extent, or the instrument's first row, to `b` plus its right extent),
   * NaN outside them, and cached per load window (memory only); the others
   * go through evaluateCodes.
   */
  private async evaluateAt(
    a: number,
    b: number,
    codes: string[],
    exprs: string[],
    calendarLength: number,
    onValues?: (index: number, r: { start: number; values: Float32Array[] }) => void,
  ): Promise<({ start: number; values: Float32Array[] } | null)[]> {
    const dependent = this.mode === 'qlib' ? exprs.map((e) => qlibStartDependent(this.node(e))) : exprs.map(() => false);
    // Rows before the request's start are not needed: only its rows are read from caches and kept.
    if (!dependent.some(Boolean)) return this.evaluateCodes(codes, exprs, calendarLength, onValues, a);
    const plainIdx = exprs.map((_, k) => k).filter((k) => !dependent[k]);
    const sdIdx = exprs.map((_, k) => k).filter((k) => dependent[k]);
    const plain = plainIdx.length ? await this.evaluateCodes(codes, plainIdx.map((k) => exprs[k]!), calendarLength) : codes.map(() => null);
    const fields = [...new Set(sdIdx.flatMap((k) => this.compile(exprs[k]!).fields))];
    const results: ({ start: number; values: Float32Array[] } | null)[] = new Array(codes.length).fill(null);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i]!;
      const s = await this.series(code, fields);
      if (!s) continue;
      const values: Float32Array[] = new Array(exprs.length);
      let p = plain[i];
      // Loading the other fields may have widened the series: evaluate the plain ones again over it.
      if (plainIdx.length && (!p || p.start !== s.start || (p.values[0]?.length ?? 0) !== s.length)) {
        p = await this.evaluateMany(code, plainIdx.map((k) => exprs[k]!));
      }
      plainIdx.forEach((k, j) => {
        values[k] = p!.values[j]!;
      });
      // Group by load window so shared sub-expressions are computed once.
      const groups = new Map<string, number[]>();
      for (const k of sdIdx) {
        const node = this.node(exprs[k]!);
        const loadStart = Math.max(s.start, a - qlibLeftExtent(node));
        const loadEnd = b + qlibRightExtent(node);
        const window = `${loadStart}-${loadEnd}`;
        const hit = this.cache.get(`${code}|qlib@${window}:${this.key(code, this.compile(exprs[k]!))}`);
        if (hit && hit.length === s.length) values[k] = hit;
        else groups.set(window, [...(groups.get(window) ?? []), k]);
      }
      for (const [window, ks] of groups) {
        const [loadStart, loadEnd] = window.split('-').map(Number) as [number, number];
        const offset = loadStart - s.start;
        const field = fieldOf(s, code);
        const n = Math.max(0, Math.min(s.length, loadEnd - s.start + 1) - offset);
        const computed = n
          ? evaluateAll(
              ks.map((k) => this.node(exprs[k]!)),
              { length: n, field: (name) => field(name).subarray(offset, offset + n) },
              { mode: this.mode },
            )
          : ks.map(() => new Float32Array(0));
        this.evaluations += ks.length;
        this.rowsEvaluated += ks.length * n;
        ks.forEach((k, j) => {
          const out = new Float32Array(s.length).fill(NaN);
          out.set(computed[j]!, Math.min(offset, s.length));
          values[k] = out;
          this.cache.set(`${code}|qlib@${window}:${this.key(code, this.compile(exprs[k]!))}`, out);
        });
      }
      results[i] = { start: s.start, values };
      onValues?.(i, results[i]!);
    }
    return results;
  }

  /** Stops the feature worker threads (idle ones also stop by themselves). */
  async close(): Promise<void> {
    try {
      this.flushCache();
    } finally {
      await this.pool?.close();
    }
  }

  /**
   * The rows an expression reads before and after each row, kept on its
   * compiled form (one per expression text): no lookup per instrument.
   */
  private extentOf(c: Compiled, expr: string): { back: number; forward: number } {
    return (c.extent ??= windowExtent(this.node(expr)));
  }

  /**
   * Extends cached values to the series' length by evaluating only the
   * tails: the rows whose window reaches new data, plus the widest window of
   * history among them. Each needs a bounded window (see `extentOf`).
   * Expressions are evaluated in groups of equal slice start, each over its
   * own window of history: a 5-day mean does not pay for the 60-day window of
   * another (a routine's day costs ~2.5x fewer rows); groups a row or so
   * apart are merged (mergeNearGroups). The groups of all instruments that
   * have the same rows and expressions (a routine's new day: all of them)
   * are one program run over their slices laid end to end
   * (evaluateSegments), whose values equal one run per instrument. The new
   * rows then go into `p.out` and the pack, and into the memory cache
   * unless the pack keeps them in memory until flushCache (a routine's tails).
   */
  private extendAll(work: { code: string; p: Pending }[], exprs: string[], compiled: Compiled[]): void {
    // Batches in order of creation, found by their rows and then their expressions (compared: no key string per instrument).
    const batches: Batch[] = [];
    const batchesOfRows = new Map<number, Batch[]>();
    const froms: Int32Array[] = new Array(work.length);
    const tails: Float32Array[][] = new Array(work.length);
    for (let w = 0; w < work.length; w++) {
      const { p } = work[w]!;
      const { growK, growLength } = p;
      if (!growK.length) continue;
      const length = p.s.length;
      const f = (froms[w] = new Int32Array(growK.length));
      tails[w] = new Array(growK.length);
      const groups = new Map<number, number[]>();
      growK.forEach((k, j) => {
        const { back, forward } = this.extentOf(compiled[k]!, exprs[k]!);
        const from = Math.max(0, growLength[j]! - forward);
        f[j] = from;
        const sliceStart = Math.max(0, from - back);
        const g = groups.get(sliceStart);
        if (g) g.push(j);
        else groups.set(sliceStart, [j]);
      });
      for (const [sliceStart, members] of mergeNearGroups(groups, length)) {
        const rows = length - sliceStart;
        let same = batchesOfRows.get(rows);
        if (!same) batchesOfRows.set(rows, (same = []));
        let batch: Batch | undefined;
        for (let b = 0; b < same.length && !batch; b++) if (sameExpressions(same[b]!.ks, growK, members)) batch = same[b];
        if (!batch) {
          batch = { rows, ks: members.map((j) => growK[j]!), parts: [] };
          same.push(batch);
          batches.push(batch);
        }
        batch.parts.push({ w, sliceStart, members });
        this.rowsEvaluated += members.length * rows;
      }
      this.evaluations += growK.length;
    }
    for (const { rows, ks, parts } of batches) {
      const concatenated = new Map<string, Float32Array>();
      const field = (name: string): Float32Array => {
        let v = concatenated.get(name);
        if (!v) {
          if (parts.length === 1) v = fieldOf(work[parts[0]!.w]!.p.s, work[parts[0]!.w]!.code)(name).subarray(parts[0]!.sliceStart);
          else {
            v = new Float32Array(parts.length * rows);
            for (let i = 0; i < parts.length; i++) {
              const { w, sliceStart } = parts[i]!;
              v.set(fieldOf(work[w]!.p.s, work[w]!.code)(name).subarray(sliceStart, sliceStart + rows), i * rows);
            }
          }
          concatenated.set(name, v);
        }
        return v;
      };
      const results = evaluateSegments(
        ks.map((k) => this.node(exprs[k]!)),
        { length: parts.length * rows, field },
        parts.length,
        { mode: this.mode },
      );
      parts.forEach(({ w, sliceStart, members }, i) => {
        members.forEach((j, m) => {
          tails[w]![j] = results[m]!.subarray(i * rows + froms[w]![j]! - sliceStart, (i + 1) * rows);
        });
      });
    }
    for (let w = 0; w < work.length; w++) {
      const { code, p } = work[w]!;
      const { s, lo, out, pack, growK, growHead } = p;
      growK.forEach((k, j) => {
        const c = compiled[k]!;
        const tail = tails[w]![j]!;
        const from = froms[w]![j]!;
        let v: Float32Array;
        if (lo >= from) v = lo === from ? tail : tail.subarray(lo - from);
        else {
          v = new Float32Array(s.length - lo);
          v.set(growHead[j]!);
          v.set(tail, from - lo);
        }
        out[k] = v;
        pack?.put(this.keyOf(c.text), { start: s.start, inputHash: p.hashOf(c.fields, s.length), values: tail, keep: from, length: s.length });
      });
      // Extended entries are written with the evaluated ones when some follow (store writes both).
      const held = growK.length > 0 && !p.full.length && this.flushLater(pack);
      // Tails the pack holds in memory until flushCache serve a later request of this process from there (pack.get):
      // a memory-cache copy would cost a set per entry and be read rarely (a routine's 1-day tails: ~4% of them).
      if (!held) for (let j = 0; j < growK.length; j++) this.remember(code, compiled[growK[j]!]!, out[growK[j]!]!, lo);
    }
  }

  private readonly nodes = new Map<string, ExprNode>();
  /** The disk cache's pack of each instrument met so far. */
  private readonly packs = new Map<string, CachePack>();
  /** Packs holding small changes to write at close() (see flushLater). */
  private readonly unflushed = new Set<CachePack>();
  /** The raw fields a request's expressions read (by the request's expression list). */
  private readonly fieldsOfExprs = new WeakMap<string[], string[]>();
  /** The last few small `featureRows` results, by request (copies). */
  private readonly rowsMemo = new Map<string, FeatureRowBlocks>();
  /** Per instrument: digests of its raw fields and input hashes of field sets, by length (valid while its series is). */
  private readonly inputHashes = new Map<string, { series: InstrumentSeries; digests: Map<string, Buffer | null>; hashes: Map<number, Map<string[], Buffer>> }>();
  /**
   * Per instrument and expression id: the memory-cache key (the same string
   * each time: no concatenation and hashing per lookup) and the first series
   * row the cached array holds (a late request caches only its rows).
   */
  private readonly slots = new Map<string, { keys: string[]; from: number[] }>();

  private slotsOf(code: string): { keys: string[]; from: number[] } {
    let s = this.slots.get(code);
    if (!s) this.slots.set(code, (s = { keys: [], from: [] }));
    return s;
  }

  private textId(c: Compiled): number {
    if (c.id !== undefined) return c.id;
    let id = this.textIds.get(c.text);
    if (id === undefined) this.textIds.set(c.text, (id = this.textIds.size));
    c.id = id;
    return id;
  }
  /** A short id per canonical expression text: memory-cache keys stay short (hashing 300 x 159 long keys per request showed in profiles). */
  private readonly textIds = new Map<string, number>();

  /** The memory-cache key of an instrument's expression. */
  private key(code: string, c: Compiled): string {
    const id = this.textId(c);
    return (this.slotsOf(code).keys[id] ??= `${code}|${id}`);
  }
  private node(expr: string): ExprNode {
    let n = this.nodes.get(expr);
    if (!n) {
      n = parseExpressionWith(expr, { mode: this.mode });
      this.nodes.set(expr, n);
    }
    return n;
  }

  async features(request: FeatureRequest): Promise<FeatureFrame> {
    const r = await this.evaluateRequest(request);
    if (!r) return emptyFrame([...request.fields]);
    return assembleFrame(r.dates, r.a, r.b, [...request.fields], r.parts);
  }

  /**
   * `features` as row-major blocks of `widths` consecutive fields. The rows
   * are laid out first from each instrument's raw series (its calendar
   * range decides its rows), then each instrument's rows are written as
   * soon as its values exist: right after it is evaluated, while its series
   * are still in cache, or as a worker thread delivers it, in parallel with
   * the evaluation of the others.
   */
  async featureRows(request: FeatureRequest, widths: readonly number[]): Promise<FeatureRowBlocks> {
    if (!widths.every((w) => Number.isInteger(w) && w >= 0) || widths.reduce((x, y) => x + y, 0) !== request.fields.length) {
      throw new QonlineError('QONLINE_DATA_INVALID', `featureRows: widths [${widths.join(', ')}] must be whole numbers summing to the ${request.fields.length} fields`);
    }
    // Models of one routine often share a dataset (GBDT and ridge on Alpha158): a small frame asked again is a copy.
    const memoKey = JSON.stringify([request.instruments, request.fields, request.start, request.end, request.freq ?? null, widths]);
    const memo = this.rowsMemo.get(memoKey);
    if (memo) return copyRowBlocks(memo);
    const result = await this.assembleRows(request, widths);
    let values = 0;
    for (const b of result.blocks) values += b.length;
    if (values <= ROWS_MEMO_VALUES) {
      if (this.rowsMemo.size >= ROWS_MEMO_ENTRIES) this.rowsMemo.delete(this.rowsMemo.keys().next().value!);
      this.rowsMemo.set(memoKey, copyRowBlocks(result));
    }
    return result;
  }

  private async assembleRows(request: FeatureRequest, widths: readonly number[]): Promise<FeatureRowBlocks> {
    const columns = [...request.fields];
    const plan = await this.planRequest(request);
    if (!plan) return { ...emptyFrame(columns), widths: [...widths], blocks: widths.map(() => new Float32Array(0)) };
    if (!columns.length) return new RowBlockAssembler(plan.cal.dates, plan.a, plan.b, columns, widths, []).result();
    const fields = [...new Set(columns.flatMap((e) => this.compile(e).fields))];
    const parts: InstrumentRows[] = [];
    const partOf = new Int32Array(plan.codes.length).fill(-1);
    for (let i = 0; i < plan.codes.length; i++) {
      const code = plan.codes[i]!;
      const s = await this.series(code, fields);
      const rows = s && this.rowsOf(plan, code, s.start, s.length);
      if (!rows) continue;
      partOf[i] = parts.length;
      parts.push(rows);
    }
    const asm = new RowBlockAssembler(plan.cal.dates, plan.a, plan.b, columns, widths, parts);
    await this.evaluateAt(plan.a, plan.b, plan.codes, columns, plan.cal.length, (i, r) => {
      if (partOf[i]! >= 0) asm.write(partOf[i]!, r.start, r.values);
    });
    return asm.result();
  }

  /** A request's calendar rows [a, b] and instruments (sorted; with the market's spans); null when it has none. */
  private async planRequest(request: FeatureRequest): Promise<{ cal: Calendar; a: number; b: number; codes: string[]; spans: InstrumentSpans | null } | null> {
    const cal = await this.calendar(request.freq);
    const a = cal.lowerBound(request.start);
    const b = request.end === null ? cal.length - 1 : cal.upperBound(request.end);
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
    if (b < a || !codes.length) return null;
    return { cal, a, b, codes, spans };
  }

  /**
   * The rows an instrument whose series covers calendar [start, start +
   * length) contributes: its range cut to [a, b] and, for a market, masked
   * to its membership spans (after computing). Null when none.
   */
  private rowsOf(plan: { cal: Calendar; a: number; b: number; spans: InstrumentSpans | null }, code: string, start: number, length: number): InstrumentRows | null {
    const from = Math.max(plan.a, start);
    const to = Math.min(plan.b, start + length - 1);
    if (to < from) return null;
    let mask: Uint8Array | null = null;
    if (plan.spans) {
      mask = new Uint8Array(to - from + 1);
      for (const sp of plan.spans.get(code) ?? []) {
        const s0 = Math.max(from, plan.cal.lowerBound(sp.start));
        const s1 = Math.min(to, plan.cal.upperBound(sp.end));
        for (let t = s0; t <= s1; t++) mask[t - from] = 1;
      }
    }
    return { code, from, to, mask };
  }

  /** Evaluates a request's fields for its instruments: each instrument's columns and the calendar rows [a, b] it contributes; null when no rows. */
  private async evaluateRequest(request: FeatureRequest): Promise<{ dates: readonly string[]; a: number; b: number; parts: InstrumentColumns[] } | null> {
    const plan = await this.planRequest(request);
    if (!plan) return null;
    const columns = [...request.fields];
    const evaluated = await this.evaluateAt(plan.a, plan.b, plan.codes, columns, plan.cal.length);
    const parts: InstrumentColumns[] = [];
    plan.codes.forEach((code, i) => {
      const r = evaluated[i];
      if (!r || !columns.length) return;
      const rows = this.rowsOf(plan, code, r.start, r.values[0]?.length ?? 0);
      if (rows) parts.push({ ...rows, start: r.start, cols: r.values });
    });
    return { dates: plan.cal.dates, a: plan.a, b: plan.b, parts };
  }
}

/**
 * Merges each group of tail expressions (by slice start) into the next
 * longer one when that one's rows exceed its own by at most a quarter (at
 * least 1): Alpha158's windows come in pairs a row apart (Mean($close, 5)
 * reads 5 rows, Mean($close/Ref($close, 1), 5) 6), and each group is one
 * evaluation whose fixed cost and repeated sub-expressions ($close/Ref($close,
 * 1) in every window) outweigh a row more of a 20-row tail: 11 groups per
 * instrument become 6 for a routine's Alpha158 day, 2% more rows. Values do
 * not depend on where a slice starts as long as it holds the window.
 */
function mergeNearGroups(groups: Map<number, number[]>, length: number): Map<number, number[]> {
  const starts = [...groups.keys()].sort((x, y) => y - x);
  const merged = new Map<number, number[]>();
  let carried: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const members = carried.length ? carried.concat(groups.get(start)!) : groups.get(start)!;
    const rows = length - start;
    const next = starts[i + 1];
    if (next !== undefined && length - next - rows <= Math.max(1, rows >> 2)) {
      carried = members;
      continue;
    }
    merged.set(start, members);
    carried = [];
  }
  return merged;
}

/** One evaluateSegments run of extendAll: expressions `ks` over `rows` rows of each part (an instrument's group of tails). */
interface Batch {
  rows: number;
  ks: number[];
  parts: { w: number; sliceStart: number; members: number[] }[];
}

/** Whether a batch's expressions are those of an instrument's group (`members`, indices into its `growK`), in order. */
function sameExpressions(ks: number[], growK: number[], members: number[]): boolean {
  if (ks.length !== members.length) return false;
  for (let m = 0; m < ks.length; m++) if (ks[m] !== growK[members[m]!]) return false;
  return true;
}

/** Frames handed out are the caller's (processors work in place): the memo keeps and gives copies. */
function copyRowBlocks(f: FeatureRowBlocks): FeatureRowBlocks {
  return { ...f, dates: [...f.dates], instruments: [...f.instruments], rowDate: f.rowDate.slice(), rowInst: f.rowInst.slice(), columns: [...f.columns], widths: [...f.widths], blocks: f.blocks.map((b) => b.slice()) };
}

function fieldOf(s: InstrumentSeries, code: string): (name: string) => Float32Array {
  return (name) => {
    const arr = s.fields.get(name);
    if (!arr) throw new QonlineError('QONLINE_DATA_INVALID', `field $${name} was not loaded for ${code}`);
    return arr;
  };
}

function emptyFrame(columns: string[]): FeatureFrame {
  return { rows: 0, dates: [], instruments: [], rowDate: new Int32Array(0), rowInst: new Int32Array(0), columns, data: columns.map(() => new Float32Array(0)) };
}
