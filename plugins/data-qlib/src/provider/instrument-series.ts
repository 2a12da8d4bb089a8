import type { FeatureSeries } from '../storage/index.js';

/** One instrument's raw rows: every calendar day from its first to its last stored day. */
export interface InstrumentSeries {
  start: number;
  length: number;
  fields: Map<string, Float32Array>;
}

/**
 * Adds freshly read fields to an instrument's series. The result spans the
 * union of every field's stored range (NaN where a field has no row); fields
 * already loaded are realigned to it. Null when neither the existing series
 * nor the new fields hold a row. The provider and its worker threads both
 * build series with this, so both see exactly the same rows.
 */
export function mergeSeries(existing: InstrumentSeries | undefined, loaded: ReadonlyArray<readonly [string, FeatureSeries | null]>): InstrumentSeries | null {
  const had = existing !== undefined && existing.length > 0;
  let start = had ? existing.start : Infinity;
  let end = had ? existing.start + existing.length : -Infinity;
  for (const [, v] of loaded) {
    if (v && v.values.length) {
      start = Math.min(start, v.start);
      end = Math.max(end, v.start + v.values.length);
    }
  }
  if (!Number.isFinite(start)) return null;
  const length = end - start;
  const realign = (v: Float32Array, vStart: number): Float32Array => {
    if (vStart === start && v.length === length) return v;
    const out = new Float32Array(length).fill(NaN);
    out.set(v.subarray(Math.max(0, start - vStart), Math.max(0, Math.min(v.length, end - vStart))), Math.max(0, vStart - start));
    return out;
  };
  const next: InstrumentSeries = { start, length, fields: new Map() };
  if (existing) for (const [f, v] of existing.fields) next.fields.set(f, realign(v, existing.start));
  for (const [f, v] of loaded) next.fields.set(f, v ? realign(v.values, v.start) : new Float32Array(length).fill(NaN));
  return next;
}
