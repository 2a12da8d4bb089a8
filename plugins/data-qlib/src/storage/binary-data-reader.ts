import { Calendar, type InstrumentSpans } from '../../../../core/index.js';
import { readCalendarSync } from './calendar-file.js';
import { readInstrumentsSync } from './instruments-file.js';
import { readFeatureSync, type FeatureSeries } from './feature-file.js';
import { normalizeField } from './paths.js';

/**
 * A synchronous, caching view of one Qlib data dir at one frequency: the
 * calendar and each market are parsed once, each feature file is read once.
 * Callers must treat returned arrays as read-only (they are shared).
 * Call `clear()` after the data dir changed (e.g. after an import).
 */
export class BinaryDataReader {
  readonly uri: string;
  readonly freq: string;
  private calendarCache: Calendar | undefined;
  private readonly marketCache = new Map<string, InstrumentSpans>();
  private readonly featureCache = new Map<string, FeatureSeries | null>();

  constructor(uri: string, freq = 'day') {
    this.uri = uri;
    this.freq = freq;
  }

  calendar(): Calendar {
    if (this.calendarCache === undefined) this.calendarCache = new Calendar(readCalendarSync(this.uri, this.freq), this.freq);
    return this.calendarCache;
  }

  instruments(market: string): InstrumentSpans {
    const key = market.toLowerCase();
    let spans = this.marketCache.get(key);
    if (spans === undefined) {
      spans = readInstrumentsSync(this.uri, market);
      this.marketCache.set(key, spans);
    }
    return spans;
  }

  /** One field of one instrument (`close` or `$close`); null when not stored. */
  feature(code: string, field: string): FeatureSeries | null {
    const key = `${code.toLowerCase()}\u0000${normalizeField(field)}`;
    let series = this.featureCache.get(key);
    if (series === undefined) {
      series = readFeatureSync(this.uri, code, field, this.freq);
      this.featureCache.set(key, series);
    }
    return series;
  }

  /**
   * The field aligned to calendar indices [from, to] (inclusive) as a new
   * array, NaN outside the stored range. Handy for frames over a date range.
   */
  featureRange(code: string, field: string, from: number, to: number): Float32Array {
    const out = new Float32Array(Math.max(0, to - from + 1)).fill(NaN);
    const s = this.feature(code, field);
    if (s === null) return out;
    const lo = Math.max(from, s.start);
    const hi = Math.min(to, s.start + s.values.length - 1);
    if (hi >= lo) out.set(s.values.subarray(lo - s.start, hi - s.start + 1), lo - from);
    return out;
  }

  clear(): void {
    this.calendarCache = undefined;
    this.marketCache.clear();
    this.featureCache.clear();
  }
}
