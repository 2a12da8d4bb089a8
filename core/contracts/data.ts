import type { Calendar } from '../calendar/calendar.js';

/** A membership span of an instrument in a market, inclusive dates `YYYY-MM-DD`. */
export interface InstrumentSpan {
  start: string;
  end: string;
}

export type InstrumentSpans = Map<string, InstrumentSpan[]>;

/**
 * A date-major columnar frame: rows sorted by (date, instrument).
 * `rowDate`/`rowInst` index into `dates`/`instruments`.
 */
export interface FeatureFrame {
  rows: number;
  dates: string[];
  instruments: string[];
  rowDate: Int32Array;
  rowInst: Int32Array;
  columns: string[];
  /** One Float32Array per column, each `rows` long. */
  data: Float32Array[];
}

/**
 * The rows of a FeatureFrame with its columns in row-major blocks: block g
 * holds `widths[g]` consecutive request fields, the value of row r and
 * column c of the block at `blocks[g][r * widths[g] + c]`. Handlers want
 * this layout (features and labels); a provider that assembles it directly
 * spares them a transposition of the whole frame.
 */
export interface FeatureRowBlocks {
  rows: number;
  dates: string[];
  instruments: string[];
  rowDate: Int32Array;
  rowInst: Int32Array;
  columns: string[];
  widths: number[];
  blocks: Float32Array[];
}

export interface FeatureRequest {
  /** A market name (rows masked to membership spans) or an explicit list (not masked). */
  instruments: string | string[];
  /** Expressions, e.g. `Ref($close, 1)/$close - 1`. */
  fields: string[];
  start: string;
  /** Inclusive; `null` means up to the latest calendar date. */
  end: string | null;
  freq?: string;
}

/** Market data: calendar, instruments and expression evaluation. */
export interface DataProvider {
  /** Stable identity used in task hashes and caches (no machine paths). */
  readonly id: string;
  calendar(freq?: string): Promise<Calendar>;
  instruments(market: string, freq?: string): Promise<InstrumentSpans>;
  features(request: FeatureRequest): Promise<FeatureFrame>;
  /**
   * Optional: the same rows as `features`, as row-major blocks of `widths`
   * consecutive fields (the widths sum to the number of fields). Handlers
   * use it when present and transpose `features` otherwise.
   */
  featureRows?(request: FeatureRequest, widths: readonly number[]): Promise<FeatureRowBlocks>;
  /** Changes whenever the stored data changes (cache keys). */
  version(): Promise<string>;
}
