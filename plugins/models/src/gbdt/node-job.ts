/**
 * The work of one tree node, cut by feature words: build the new leaves'
 * histograms, subtract the smaller child from its parent, search each leaf's
 * best split. A chunk does all of it for its share of the words and of the
 * features they hold, so the trainer and the workers run the same code and
 * the model does not depend on the split (each bin is summed by one thread in
 * row order; the chunks' best splits are reduced in chunk order). Loaded by
 * the worker threads too: imports only the kernels.
 */
import { buildExactHistogram, buildPackedHistogram, EXACT_WORD_STRIDE, PACKED_WORD_STRIDE, subtractHistogram } from './hist-kernel.js';
import { CHUNK_FEATURE, CTL, PARAM, PART_LEFT, RESULT_STRIDE } from './hist-protocol.js';
import { findBestSplit, SplitCandidate, SplitScratch, type HistogramFormat, type SplitRules } from './split-finder.js';

/** One thread's view of a fit's buffers and the job parameters (shared with the workers, or private on one thread). */
export interface NodeContext {
  ctl: Int32Array;
  params: Float64Array;
  results: Float64Array;
  bins: Uint32Array;
  wordsPerRow: number;
  order: Int32Array;
  grad: Float64Array;
  hess: Float64Array;
  packed: Float64Array | null;
  hist: Float64Array;
  /** Column-major bins (rows bytes per feature) and a row buffer as long as `order`, for partitions. */
  colBins: Uint8Array;
  rowScratch: Int32Array;
  /** The tree's words (when CTL.useList) and features, in ascending order. */
  words: Int32Array;
  features: Int32Array;
  numBins: Int32Array;
  rules: SplitRules;
  format: HistogramFormat;
  scratch: SplitScratch;
  candidate: SplitCandidate;
}

export function nodeContext(
  buffers: Omit<NodeContext, 'format' | 'scratch' | 'candidate'>,
  pow2S: number,
): NodeContext {
  return {
    ...buffers,
    format: { packed: buffers.packed !== null, pow2S, gradScale: 1 },
    scratch: new SplitScratch(),
    candidate: new SplitCandidate(),
  };
}

/** Does chunk `chunk` of the job described in c.ctl / c.params. */
export function runChunk(c: NodeContext, chunk: number): void {
  if (c.ctl[CTL.kind] === 1) partitionChunk(c, chunk);
  else nodeChunk(c, chunk);
}

function nodeChunk(c: NodeContext, chunk: number): void {
  const { ctl, hist } = c;
  const w0 = ctl[CTL.chunkWord + chunk]!;
  const w1 = ctl[CTL.chunkWord + chunk + 1]!;
  const list = ctl[CTL.useList] === 1 ? c.words : null;
  build(c, ctl[CTL.build0Start]!, ctl[CTL.build0End]!, ctl[CTL.build0Slot]!, list, w0, w1);
  build(c, ctl[CTL.build1Start]!, ctl[CTL.build1End]!, ctl[CTL.build1Slot]!, list, w0, w1);
  const parent = ctl[CTL.subParent]!;
  if (parent >= 0) subtractHistogram(hist, parent, ctl[CTL.subChild]!, list, w0, w1, c.packed ? PACKED_WORD_STRIDE : EXACT_WORD_STRIDE);
  c.format.gradScale = c.params[PARAM.gradScale]!;
  search(c, chunk, 0, ctl[CTL.search0Slot]!, PARAM.search0G);
  search(c, chunk, 1, ctl[CTL.search1Slot]!, PARAM.search1G);
}

function build(c: NodeContext, start: number, end: number, slot: number, list: Int32Array | null, w0: number, w1: number): void {
  if (slot < 0) return;
  if (c.packed) buildPackedHistogram(c.bins, c.wordsPerRow, c.order, start, end, c.packed, c.hist, slot, list, w0, w1);
  else buildExactHistogram(c.bins, c.wordsPerRow, c.order, start, end, c.grad, c.hess, c.hist, slot, list, w0, w1);
}

function search(c: NodeContext, chunk: number, which: number, slot: number, sums: number): void {
  const out = c.results;
  const o = (chunk * 2 + which) * RESULT_STRIDE;
  if (slot < 0) return;
  const f0 = c.ctl[CHUNK_FEATURE + chunk]!;
  const f1 = c.ctl[CHUNK_FEATURE + chunk + 1]!;
  const cand = c.candidate;
  const p = c.params;
  findBestSplit(c.hist, slot, c.format, c.features, f0, f1, c.numBins, p[sums]!, p[sums + 1]!, p[sums + 2]!, c.rules, c.scratch, cand);
  out[o] = cand.score;
  out[o + 1] = cand.gain;
  out[o + 2] = cand.feature;
  out[o + 3] = cand.bin;
  out[o + 4] = cand.nanLeft ? 1 : 0;
  out[o + 5] = cand.leftG;
  out[o + 6] = cand.leftH;
  out[o + 7] = cand.leftCount;
}

/** The best split of search `which` over chunks 0..chunks-1: the first chunk with the strictly highest score (the serial scan's choice). */
export function reduceSearch(results: Float64Array, chunks: number, which: number, out: SplitCandidate): void {
  out.reset();
  for (let chunk = 0; chunk < chunks; chunk++) {
    const o = (chunk * 2 + which) * RESULT_STRIDE;
    if (results[o + 2]! < 0 || !(results[o]! > out.score)) continue;
    out.score = results[o]!;
    out.gain = results[o + 1]!;
    out.feature = results[o + 2]!;
    out.bin = results[o + 3]!;
    out.nanLeft = results[o + 4] === 1;
    out.leftG = results[o + 5]!;
    out.leftH = results[o + 6]!;
    out.leftCount = results[o + 7]!;
  }
}

/**
 * Partition chunk: its rows order[a, b) split stably, the left ones moved to
 * order[a, a + left), the right ones to rowScratch[a, a + right). finishPartition
 * then lays the chunks out as all left rows, then all right rows, each in
 * their original order: the same order whatever the chunks.
 */
function partitionChunk(c: NodeContext, chunk: number): void {
  const { ctl, order, rowScratch: scratch, colBins } = c;
  const a = ctl[CTL.partStart]! + chunk * ctl[CTL.partChunkRows]!;
  const b = Math.min(ctl[CTL.partEnd]!, a + ctl[CTL.partChunkRows]!);
  const col = c.params[PARAM.partColOffset]!;
  const t = ctl[CTL.partBin]!;
  const nanBin = ctl[CTL.partNanBin]!;
  const nanGoesLeft = ctl[CTL.partNanLeft]!;
  // Branch-free: write each row to both sides, advance one.
  let nl = 0;
  let nr = 0;
  for (let i = a; i < b; i++) {
    const r = order[i]!;
    const bin = colBins[col + r]!;
    const left = bin === nanBin ? nanGoesLeft : +(bin <= t);
    order[a + nl] = r;
    scratch[a + nr] = r;
    nl += left;
    nr += 1 - left;
  }
  ctl[PART_LEFT + chunk] = nl;
}

/** Joins the partition's chunks (all done): returns the rows sent left. */
export function finishPartition(c: NodeContext, chunks: number): number {
  const { ctl, order, rowScratch: scratch } = c;
  const start = ctl[CTL.partStart]!;
  const end = ctl[CTL.partEnd]!;
  const size = ctl[CTL.partChunkRows]!;
  // Left rows towards the start (each chunk's destination ends before the next chunk's rows), then the right rows.
  let dest = start;
  for (let k = 0; k < chunks; k++) {
    const a = start + k * size;
    const nl = ctl[PART_LEFT + k]!;
    if (dest !== a) order.copyWithin(dest, a, a + nl);
    dest += nl;
  }
  const left = dest - start;
  for (let k = 0; k < chunks; k++) {
    const a = start + k * size;
    const nr = Math.min(end, a + size) - a - ctl[PART_LEFT + k]!;
    order.set(scratch.subarray(a, a + nr), dest);
    dest += nr;
  }
  return left;
}
