/**
 * Shared-memory protocol between the trainer and its histogram workers. No
 * imports: the worker bundles it.
 *
 * One histogram build is a job cut into chunks: of rows when histograms hold
 * packed integers (each thread sums its rows into a private histogram, the
 * trainer adds them up; integer sums do not depend on who summed what), of
 * feature words otherwise (float sums must not depend on the split). The trainer
 * publishes the job (parameters, then a chunk counter tagged with the job
 * number, then the job number) and takes chunks itself like any worker. A
 * worker joins by raising `active` and then claiming chunks by compare-and-swap
 * on the tagged counter, so a worker that wakes late (the machine is busy)
 * finds the job's chunks gone and never touches a newer job's parameters; the
 * trainer waits only for workers that hold a chunk (`active` back to 0), never
 * for one that has not started.
 */
export const HIST_PROTOCOL_VERSION = 3;

/** Slots of the Int32 control block. */
export const CTL = {
  /** Job number; workers sleep on it. */
  job: 0,
  /** (job & 0x7fff) << 16 | chunks << 8 | next chunk: one word, so a claim checks job, bound and position at once. */
  counter: 1,
  /** Workers inside the current job. */
  active: 2,
  exit: 3,
  start: 4,
  end: 5,
  slotOffset: 6,
  numWords: 7,
  chunkWords: 8,
  /** 1: words are listed in the shared word list; 0: all words 0..numWords-1. */
  useList: 9,
  failed: 10,
  /** 1: chunks are row ranges of `chunkRows` rows; 0: chunks are word ranges. */
  byRows: 11,
  chunkRows: 12,
  /** joined + i: the last job worker i took a row chunk of (its private histogram then holds a part). */
  joined: 16,
} as const;

/** Int32 slots of the control block for `workers` workers. */
export function controlSize(workers: number): number {
  return CTL.joined + workers;
}

export interface HistWorkerData {
  protocol: number;
  /** This worker's number (0-based), its slot in CTL.joined. */
  index: number;
  /** This worker's private histogram slot (row chunks). */
  ownHist: SharedArrayBuffer;
  control: SharedArrayBuffer;
  bins: SharedArrayBuffer;
  wordsPerRow: number;
  order: SharedArrayBuffer;
  grad: SharedArrayBuffer;
  hess: SharedArrayBuffer;
  packed: SharedArrayBuffer | null;
  hist: SharedArrayBuffer;
  words: SharedArrayBuffer;
}

/** At most this many chunks per job (they share a byte of the counter). */
export const MAX_CHUNKS = 255;

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
