/** Shared-memory protocol between the trainer and its histogram workers (no imports: the worker bundles it). */
export const HIST_PROTOCOL_VERSION = 1;

/** Slots of a worker's Int32 control block. */
export const CTL = {
  state: 0,
  start: 1,
  end: 2,
  slotOffset: 3,
  w0: 4,
  w1: 5,
  /** 1: the words are listed in the shared word list; 0: all words w0..w1. */
  useList: 6,
  size: 8,
} as const;

export const STATE = { idle: 0, go: 1, done: 2, exit: 3, failed: 4 } as const;

export interface HistWorkerData {
  protocol: number;
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
