/**
 * Histogram worker: for each fit it is sent (a HistAttach message), claims
 * chunks of the trainer's node jobs and does them over SharedArrayBuffers
 * (see hist-protocol.ts) until the fit ends, then waits for the next fit.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { binRowRange, type BinRowsTask } from './bin-rows.js';
import { claimChunk, CTL, HIST_PROTOCOL_VERSION, type BinRowsMessage, type HistAttach, type OsThread, type WorkerReady } from './hist-protocol.js';
import { nodeContext, runChunk, type NodeContext } from './node-job.js';

/**
 * Test failpoint: QONLINE_TEST_GBDT_WORKER_EXIT=N ends this worker's thread
 * (process.exit(3)) when it has claimed its Nth node-job chunk, chunk held.
 */
const FAILPOINT_EXIT_CODE = 3;
let exitAtChunk = Math.max(0, Number(process.env['QONLINE_TEST_GBDT_WORKER_EXIT'] ?? 0) | 0);

/** This thread as the trainer can find it in /proc/self/task (it checks a worker it waits for is still there). */
function osThread(): OsThread | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/')[2]);
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return Number.isInteger(tid) && start ? { tid, start } : null;
  } catch {
    return null;
  }
}

parentPort?.postMessage({ ready: true, protocol: HIST_PROTOCOL_VERSION, thread: osThread() } satisfies WorkerReady);
parentPort?.on('message', (d: HistAttach | BinRowsMessage) => {
  if (d?.protocol !== HIST_PROTOCOL_VERSION) return;
  if (d.kind === 'binRows') {
    binRows(d);
    return;
  }
  serve(
    nodeContext(
      {
        ctl: new Int32Array(d.control),
        params: new Float64Array(d.params),
        results: new Float64Array(d.results),
        bins: new Uint32Array(d.bins),
        wordsPerRow: d.wordsPerRow,
        order: new Int32Array(d.order),
        grad: new Float64Array(d.grad),
        hess: new Float64Array(d.hess),
        packed: d.packed ? new Float64Array(d.packed) : null,
        hist: new Float64Array(d.hist),
        colBins: new Uint8Array(d.colBins),
        rowScratch: new Int32Array(d.scratch),
        words: new Int32Array(d.words),
        features: new Int32Array(d.features),
        numBins: d.numBins,
        rules: d.rules,
      },
      d.pow2S,
    ),
  );
});

/** Serves one fit's jobs until it ends. */
function serve(c: NodeContext): void {
  const { ctl } = c;
  let seen = Atomics.load(ctl, CTL.job);
  for (;;) {
    // Checked before sleeping too: this fit may have ended before its message reached us.
    if (Atomics.load(ctl, CTL.exit) === 1) return;
    Atomics.wait(ctl, CTL.job, seen);
    if (Atomics.load(ctl, CTL.exit) === 1) return;
    const job = Atomics.load(ctl, CTL.job);
    if (job === seen) continue;
    seen = job;
    Atomics.add(ctl, CTL.active, 1);
    try {
      // Parameters are read only after a chunk is claimed: the job cannot change while we are active.
      for (let chunk = claimChunk(ctl, job); chunk >= 0; chunk = claimChunk(ctl, job)) {
        if (exitAtChunk > 0 && --exitAtChunk === 0) process.exit(FAILPOINT_EXIT_CODE);
        runChunk(c, chunk);
      }
    } catch (e) {
      Atomics.store(ctl, CTL.failed, 1);
      parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
    } finally {
      if (Atomics.sub(ctl, CTL.active, 1) === 1) Atomics.notify(ctl, CTL.active);
    }
  }
}

/** Bins chunks of rows until none is left. */
function binRows(d: BinRowsMessage): void {
  const ctl = new Int32Array(d.control);
  const task: BinRowsTask = {
    features: new Float32Array(d.features),
    rows: d.rows,
    cols: d.cols,
    stride: d.stride,
    table: new Float64Array(d.table),
    numBins: d.numBins,
    colMajor: new Uint8Array(d.colMajor),
    rowMajor: new Uint8Array(d.rowMajor),
  };
  const hasNaN = new Uint8Array(d.hasNaN);
  Atomics.add(ctl, 1, 1);
  try {
    for (let c = Atomics.add(ctl, 0, 1); c < d.chunks; c = Atomics.add(ctl, 0, 1)) {
      const r0 = c * d.chunkRows;
      binRowRange(task, r0, Math.min(d.rows, r0 + d.chunkRows), hasNaN.subarray(c * d.cols, (c + 1) * d.cols));
    }
  } catch (e) {
    Atomics.store(ctl, 2, 1);
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (Atomics.sub(ctl, 1, 1) === 1) Atomics.notify(ctl, 1);
  }
}
