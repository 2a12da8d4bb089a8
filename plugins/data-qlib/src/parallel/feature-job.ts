import { QonlineError } from '../../../../core/index.js';
import { evaluateAll, parseExpressionWith, type ExprNode } from '../expr/index.js';
import { mergeSeries, type InstrumentSeries } from '../provider/instrument-series.js';
import { readFeatureSync, type FeatureSeries } from '../storage/index.js';
import type { FeatureJob, FeatureJobResult } from './feature-protocol.js';

/**
 * What a feature worker does for one instrument: read the missing fields,
 * build the series exactly as the provider would (mergeSeries), and evaluate
 * the expressions together with evaluateAll (its results are views of one
 * buffer: one transfer per instrument, not one per expression). `nodes`
 * caches parsed expressions across jobs.
 */
export function runFeatureJob(uri: string, freq: string, job: FeatureJob, nodes: Map<string, ExprNode>): FeatureJobResult {
  const loaded = job.read.map((f) => [f, readFeatureSync(uri, job.code, f, freq)] as [string, FeatureSeries | null]);
  const have: InstrumentSeries | undefined = job.have ? { start: job.have.start, length: job.have.length, fields: new Map(job.have.fields) } : undefined;
  const s = loaded.length ? mergeSeries(have, loaded) : (have ?? null);
  if (!s) return { code: job.code, loaded, start: 0, length: 0, values: null };
  const field = (name: string): Float32Array => {
    const arr = s.fields.get(name);
    if (!arr) throw new QonlineError('QONLINE_DATA_INVALID', `field $${name} was not loaded for ${job.code}`);
    return arr;
  };
  const mode = job.mode ?? 'default';
  const parsed = job.exprs.map((e) => {
    const key = `${mode}|${e}`;
    let n = nodes.get(key);
    if (!n) nodes.set(key, (n = parseExpressionWith(e, { mode })));
    return n;
  });
  return { code: job.code, loaded, start: s.start, length: s.length, values: evaluateAll(parsed, { length: s.length, field }, { mode }) };
}

/** The distinct ArrayBuffers of a batch of results (each transferred once). */
export function transferablesOf(results: readonly FeatureJobResult[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const r of results) {
    for (const v of r.values ?? []) out.add(v.buffer as ArrayBuffer);
    for (const [, s] of r.loaded) if (s) out.add(s.values.buffer as ArrayBuffer);
  }
  return [...out];
}
