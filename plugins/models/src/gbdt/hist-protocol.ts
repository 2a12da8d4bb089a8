/**
 * Shared-memory protocol between the trainer and its histogram workers. No
 * imports: the worker bundles it.
 *
 * One node job (node-job.ts: build up to two histograms, subtract one from
 * its parent, search the best split of up to two leaves) is cut into chunks
 * of feature words; a chunk does the whole job for its words and features,
 * so no thread waits for another inside a job and nothing is merged but the
 * chunks' best splits. The trainer publishes the job (parameters, then a
 * chunk counter tagged with the job number, then the job number) and takes
 * chunks itself like any worker. A worker joins by raising `active` and then
 * claiming chunks by compare-and-swap on the tagged counter, so a worker that
 * wakes late (the machine is busy) finds the job's chunks gone and never
 * touches a newer job's parameters; the trainer waits only for workers that
 * hold a chunk (`active` back to 0), never for one that has not started.
 *
 * Workers outlive a fit: each fit sends them its buffers (a new control
 * block), they serve its jobs until `exit`, then wait for the next fit's.
 */
export const HIST_PROTOCOL_VERSION = 5;

/** Slots of the Int32 control block. */
export const CTL = {
  /** Job number; workers sleep on it. */
  job: 0,
  /** (job & 0x7fff) << 16 | chunks << 8 | next chunk: one word, so a claim checks job, bound and position at once. */
  counter: 1,
  /** Workers inside the current job. */
  active: 2,
  /** 1: the fit is over; workers leave this control block. */
  exit: 3,
  failed: 4,
  /** 1: the tree's words are listed in the shared word list; 0: all words 0..numWords-1. */
  useList: 5,
  /** Up to two histogram builds: rows order[start, end) into the slot at offset `slot` (-1: none). */
  build0Start: 6,
  build0End: 7,
  build0Slot: 8,
  build1Start: 9,
  build1End: 10,
  build1Slot: 11,
  /** Histogram at offset subParent -= histogram at subChild (subParent -1: none). */
  subParent: 12,
  subChild: 13,
  /** Up to two split searches in the slots at these offsets (-1: none); their sums are in the float parameters. */
  search0Slot: 14,
  search1Slot: 15,
  /** 0: a node job (chunks of words); 1: a partition (chunks of rows, see node-job.ts). */
  kind: 16,
  /** Partition: rows order[start, end) on the column at PARAM.partColOffset, value bins <= bin left, the NaN bin nanBin left when nanLeft. */
  partStart: 17,
  partEnd: 18,
  partChunkRows: 19,
  partBin: 20,
  partNanBin: 21,
  partNanLeft: 22,
  /** chunkWord + c: first index into the tree's words of chunk c (chunks + 1 entries). */
  chunkWord: 32,
} as const;

/** At most this many chunks per job (they share a byte of the counter). */
export const MAX_CHUNKS = 255;

/** chunkFeature + c: first index into the tree's features of chunk c (chunks + 1 entries). */
export const CHUNK_FEATURE = CTL.chunkWord + MAX_CHUNKS + 1;
/** partLeft + c: rows chunk c of a partition sent left. */
export const PART_LEFT = CHUNK_FEATURE + MAX_CHUNKS + 1;
/** Int32 slots of the control block. */
export const CONTROL_SIZE = PART_LEFT + MAX_CHUNKS;

/** Slots of the Float64 parameter block. */
export const PARAM = {
  /** Real gradient per gradient quantum (this round's quantisation; 1 for exact histograms). */
  gradScale: 0,
  /** search0's leaf sums in scan units: gradient, hessian, rows. */
  search0G: 1,
  search0H: 2,
  search0C: 3,
  search1G: 4,
  search1H: 5,
  search1C: 6,
  /** A partition's column in the column-major bins (feature x rows: may pass 2^31). */
  partColOffset: 7,
} as const;
export const PARAM_SIZE = 8;

/** Doubles per chunk and search in the result block: score, gain, feature, bin, nanLeft, leftG, leftH, leftCount. */
export const RESULT_STRIDE = 8;
export const RESULT_SIZE = MAX_CHUNKS * 2 * RESULT_STRIDE;

/**
 * Binning a fit's rows (bin-rows.ts), sent before its HistAttach: chunks of
 * `chunkRows` rows claimed by Atomics.add on control[0]; control[1] counts the
 * threads inside (raised before claiming); chunk c's has-missing flags go to
 * hasNaN[c * cols, (c + 1) * cols).
 */
export interface BinRowsMessage {
  protocol: number;
  kind: 'binRows';
  control: SharedArrayBuffer;
  chunks: number;
  chunkRows: number;
  features: SharedArrayBuffer;
  rows: number;
  cols: number;
  stride: number;
  table: SharedArrayBuffer;
  numBins: Int32Array;
  colMajor: SharedArrayBuffer;
  rowMajor: SharedArrayBuffer;
  hasNaN: SharedArrayBuffer;
}

/** A Linux thread: its id and start time (clock ticks after boot; tells a reused id apart). */
export interface OsThread {
  tid: number;
  start: string;
}

/** A worker's first message: its protocol and OS thread (null where /proc/thread-self is missing). */
export interface WorkerReady {
  ready: true;
  protocol: number;
  thread: OsThread | null;
}

/** What a fit sends its workers. */
export interface HistAttach {
  protocol: number;
  kind: 'fit';
  control: SharedArrayBuffer;
  params: SharedArrayBuffer;
  results: SharedArrayBuffer;
  bins: SharedArrayBuffer;
  wordsPerRow: number;
  order: SharedArrayBuffer;
  grad: SharedArrayBuffer;
  hess: SharedArrayBuffer;
  packed: SharedArrayBuffer | null;
  pow2S: number;
  hist: SharedArrayBuffer;
  colBins: SharedArrayBuffer;
  scratch: SharedArrayBuffer;
  words: SharedArrayBuffer;
  features: SharedArrayBuffer;
  numBins: Int32Array;
  rules: { lambdaL1: number; lambdaL2: number; minDataInLeaf: number; minSumHessianInLeaf: number; minGainToSplit: number };
}

/** The counter word that opens job `job` with `chunks` chunks. */
export function openCounter(job: number, chunks: number): number {
  return ((job & 0x7fff) << 16) | (chunks << 8);
}

/** Claims the next chunk of job `job`, or returns -1 when the job has none left (or is over). */
export function claimChunk(ctl: Int32Array, job: number): number {
  const tag = (job & 0x7fff) << 16;
  for (;;) {
    const c = Atomics.load(ctl, CTL.counter);
    if ((c & 0x7fff0000) !== tag) return -1;
    const next = c & 0xff;
    if (next >= ((c >>> 8) & 0xff)) return -1;
    if (Atomics.compareExchange(ctl, CTL.counter, c, c + 1) === c) return next;
  }
}
