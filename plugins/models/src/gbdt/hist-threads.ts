import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { locateBuiltWorker, wholeSharedBuffer } from '../worker-script.js';
import { autoThreads, machineLoad, QonlineError, type Logger, type MachineLoad } from '../../../../core/index.js';
import { finishPartition, nodeContext, reduceSearch, runChunk, type NodeContext } from './node-job.js';
import { CHUNK_FEATURE, claimChunk, CONTROL_SIZE, CTL, HIST_PROTOCOL_VERSION, MAX_CHUNKS, openCounter, PARAM, PARAM_SIZE, RESULT_SIZE, type BinRowsMessage, type HistAttach, type OsThread, type WorkerReady } from './hist-protocol.js';
import { binRowRange, type BinRowsTask } from './bin-rows.js';
import type { ParallelBinRows } from './bin-mapper.js';
import type { SplitCandidate, SplitRules } from './split-finder.js';

/**
 * Training cells (rows x features) each automatic thread must have: below
 * that the per-node hand-off (waking the workers, reducing their splits) and
 * the serial part of a fit (binning, partitioning) leave too little to share.
 */
export const MIN_CELLS_PER_THREAD = 4_000_000;

/**
 * Requested threads capped at the cores this process may use; 0 is the
 * automatic choice: one per core other processes leave idle, no more than
 * MIN_CELLS_PER_THREAD each pays for, and 1 on a busy machine (a second
 * thread then only takes its time from the other jobs, and waits for it).
 */
export function usableThreads(requested: number, cells: number, load: MachineLoad = machineLoad()): number {
  const cores = Math.max(1, availableParallelism());
  if (requested === 0) return autoThreads(cells, MIN_CELLS_PER_THREAD, cores, load);
  return Math.max(1, Math.min(requested, cores));
}

/**
 * Below this much work a node's job runs on the calling thread alone (waking
 * a worker costs more), counted in bin additions: 4 per row and word built,
 * 1024 per word searched (4 features x 256 bins). A split search alone (158
 * features: about 160 us on one thread) pays for the wake-up, so nearly every
 * node job is shared; counting only the rows built left three jobs in four
 * (small children) to the trainer alone, 10% of a fit on one thread.
 */
const PARALLEL_MIN_WORK = 64 * 1024;
const SEARCH_WORK_PER_WORD = 1024;
const BUILD_WORK_PER_ROW_WORD = 4;
/** Below this many rows a partition runs on the calling thread alone. */
const PARALLEL_MIN_ROWS = 16 * 1024;
/**
 * Word chunks per thread: one contiguous run of feature words each. Finer
 * chunks would balance a slowed thread better, but every chunk re-reads its
 * rows' cache lines and order: 8 chunks on one thread cost 20% more CPU
 * than 1 (110k rows x 158 features). A thread that has not woken up when the
 * trainer is done with its own chunk leaves its chunk to the trainer.
 */
const CHUNKS_PER_THREAD = 1;
/** Idle workers are ended after this long without a fit (a daemon does not hold threads between routines). */
const IDLE_RELEASE_MS = 60_000;

/** One node's work for NodeRunner.run: offsets are histogram slot offsets (doubles), -1 for none. */
export class NodeJob {
  build0Start = 0;
  build0End = 0;
  build0Slot = -1;
  build1Start = 0;
  build1End = 0;
  build1Slot = -1;
  subParent = -1;
  subChild = -1;
  search0Slot = -1;
  search0G = 0;
  search0H = 0;
  search0C = 0;
  search1Slot = -1;
  search1G = 0;
  search1H = 0;
  search1C = 0;

  clear(): void {
    this.build0Slot = this.build1Slot = this.subParent = this.search0Slot = this.search1Slot = -1;
  }
}

export interface TrainingBuffers {
  bins: Uint32Array;
  wordsPerRow: number;
  order: Int32Array;
  grad: Float64Array;
  hess: Float64Array;
  packed: Float64Array | null;
  pow2S: number;
  hist: Float64Array;
  colBins: Uint8Array;
  scratch: Int32Array;
  cols: number;
  numBins: Int32Array;
  rules: SplitRules;
}

/**
 * Runs node jobs (node-job.ts) over a fit's buffers, on the calling thread
 * or with workers. The split found does not depend on which.
 */
export class NodeRunner {
  private chunks = 1;
  private numWords = 0;
  private job = 0;

  private constructor(
    private readonly ctx: NodeContext,
    private readonly team: WorkerTeam | null,
  ) {}

  /** Threads that share the jobs (the calling one included). */
  get threads(): number {
    return 1 + (this.team?.workers.length ?? 0);
  }

  /** On the calling thread alone. */
  static local(b: TrainingBuffers): NodeRunner {
    return new NodeRunner(contextOver(b, (bytes) => new ArrayBuffer(bytes)), null);
  }

  /**
   * With a team of workers (acquireWorkers; the buffers must be whole
   * SharedArrayBuffers), kept for the next fit by close(); on this thread alone
   * without one.
   */
  static threaded(team: WorkerTeam | null, b: TrainingBuffers): NodeRunner {
    if (!team) return NodeRunner.local(b);
    const ctx = contextOver(b, (bytes) => new SharedArrayBuffer(bytes));
    const shared = (a: ArrayBufferView) => wholeSharedBuffer(a, 'histogram workers');
    const attach: HistAttach = {
      protocol: HIST_PROTOCOL_VERSION,
      kind: 'fit',
      control: shared(ctx.ctl),
      params: shared(ctx.params),
      results: shared(ctx.results),
      bins: shared(b.bins),
      wordsPerRow: b.wordsPerRow,
      order: shared(b.order),
      grad: shared(b.grad),
      hess: shared(b.hess),
      packed: b.packed ? shared(b.packed) : null,
      pow2S: b.pow2S,
      hist: shared(b.hist),
      colBins: shared(b.colBins),
      scratch: shared(b.scratch),
      words: shared(ctx.words),
      features: shared(ctx.features),
      numBins: b.numBins,
      rules: {
        lambdaL1: b.rules.lambdaL1,
        lambdaL2: b.rules.lambdaL2,
        minDataInLeaf: b.rules.minDataInLeaf,
        minSumHessianInLeaf: b.rules.minSumHessianInLeaf,
        minGainToSplit: b.rules.minGainToSplit,
      },
    };
    // No need to wait: a worker reads this fit's control block only after it has the message.
    for (const w of team.workers) w.postMessage(attach);
    return new NodeRunner(ctx, team);
  }

  /** The tree's features and their words (null: all words 0..numWords-1), both ascending; sets the chunks. */
  setTree(features: Int32Array, numFeatures: number, words: Int32Array | null, numWords: number): void {
    const { ctl } = this.ctx;
    this.ctx.features.set(features.subarray(0, numFeatures));
    if (words) this.ctx.words.set(words.subarray(0, numWords));
    ctl[CTL.useList] = words ? 1 : 0;
    const chunks = Math.max(1, Math.min(numWords, this.threads * CHUNKS_PER_THREAD, MAX_CHUNKS));
    // Chunk c takes words [c * numWords / chunks, ...) and the features in them (both lists ascend).
    let fi = 0;
    for (let c = 0; c <= chunks; c++) {
      const j = Math.floor((c * numWords) / chunks);
      ctl[CTL.chunkWord + c] = j;
      const firstWord = c === chunks ? Infinity : words ? words[j]! : j;
      while (fi < numFeatures && features[fi]! >> 2 < firstWord) fi++;
      ctl[CHUNK_FEATURE + c] = fi;
    }
    this.chunks = chunks;
    this.numWords = numWords;
  }

  /** Runs a job; the searches' best splits are then read with result(). */
  run(job: NodeJob, gradScale: number): void {
    const { ctl, params } = this.ctx;
    ctl[CTL.build0Start] = job.build0Start;
    ctl[CTL.build0End] = job.build0End;
    ctl[CTL.build0Slot] = job.build0Slot;
    ctl[CTL.build1Start] = job.build1Start;
    ctl[CTL.build1End] = job.build1End;
    ctl[CTL.build1Slot] = job.build1Slot;
    ctl[CTL.subParent] = job.subParent;
    ctl[CTL.subChild] = job.subChild;
    ctl[CTL.search0Slot] = job.search0Slot;
    ctl[CTL.search1Slot] = job.search1Slot;
    params[PARAM.gradScale] = gradScale;
    params[PARAM.search0G] = job.search0G;
    params[PARAM.search0H] = job.search0H;
    params[PARAM.search0C] = job.search0C;
    params[PARAM.search1G] = job.search1G;
    params[PARAM.search1H] = job.search1H;
    params[PARAM.search1C] = job.search1C;
    const rows = (job.build0Slot >= 0 ? job.build0End - job.build0Start : 0) + (job.build1Slot >= 0 ? job.build1End - job.build1Start : 0);
    const searched = (job.search0Slot >= 0 ? 1 : 0) + (job.search1Slot >= 0 ? 1 : 0);
    const work = (rows * BUILD_WORK_PER_ROW_WORD + searched * SEARCH_WORK_PER_WORD) * this.numWords;
    ctl[CTL.kind] = 0;
    this.dispatch(this.chunks, this.team !== null && work >= PARALLEL_MIN_WORK);
  }

  /**
   * Stable partition of rows order[start, start + count) on the column at
   * `colOffset` of the column-major bins: value bins <= bin go left, the NaN
   * bin `nanBin` left when nanLeft. Returns the rows sent left.
   */
  partition(start: number, count: number, colOffset: number, bin: number, nanBin: number, nanLeft: boolean): number {
    const { ctl } = this.ctx;
    const parallel = this.team !== null && count >= PARALLEL_MIN_ROWS;
    const chunks = parallel ? this.threads : 1;
    ctl[CTL.kind] = 1;
    ctl[CTL.partStart] = start;
    ctl[CTL.partEnd] = start + count;
    ctl[CTL.partChunkRows] = Math.ceil(count / chunks);
    this.ctx.params[PARAM.partColOffset] = colOffset;
    ctl[CTL.partBin] = bin;
    ctl[CTL.partNanBin] = nanBin;
    ctl[CTL.partNanLeft] = nanLeft ? 1 : 0;
    this.dispatch(chunks, parallel);
    return finishPartition(this.ctx, chunks);
  }

  /** Does the published job's chunks: here alone, or shared with the workers. */
  private dispatch(chunks: number, parallel: boolean): void {
    const { ctl } = this.ctx;
    if (!parallel || !this.team) {
      for (let c = 0; c < chunks; c++) runChunk(this.ctx, c);
      return;
    }
    this.job = (this.job + 1) & 0x7fff;
    const job = this.job;
    // No worker is active here (the previous job ended with active = 0): the parameters were safe to change.
    Atomics.store(ctl, CTL.counter, openCounter(job, chunks));
    Atomics.store(ctl, CTL.job, job);
    Atomics.notify(ctl, CTL.job);
    for (let c = claimChunk(ctl, job); c >= 0; c = claimChunk(ctl, job)) runChunk(this.ctx, c);
    // Every chunk is claimed; wait only for workers still doing one (after each idle 50 ms: are they all alive?).
    for (let spin = 0; Atomics.load(ctl, CTL.active) !== 0; spin++) {
      if (spin > 1000) {
        const active = Atomics.load(ctl, CTL.active);
        if (active !== 0 && Atomics.wait(ctl, CTL.active, active, 50) === 'timed-out') failIfWorkerDied(this.team, 'histogram');
      }
    }
    if (Atomics.load(ctl, CTL.failed) === 1) {
      throw new QonlineError('QONLINE_INTERNAL', `GBDT: a histogram worker failed: ${this.team.failures.join('; ') || 'unknown error'}`);
    }
  }

  /** The best split of the last job's search `which` (feature -1: none). */
  result(which: 0 | 1, out: SplitCandidate): void {
    reduceSearch(this.ctx.results, this.chunks, which, out);
  }

  /** Ends the fit: the workers leave its buffers and wait for the next fit (or end after a while idle). */
  close(): void {
    if (!this.team) return;
    const { ctl } = this.ctx;
    Atomics.store(ctl, CTL.exit, 1);
    Atomics.store(ctl, CTL.job, (this.job + 1) & 0x7fff);
    Atomics.notify(ctl, CTL.job);
    releaseWorkers(this.team, Atomics.load(ctl, CTL.failed) === 1);
  }
}

function contextOver(b: TrainingBuffers, alloc: (bytes: number) => ArrayBufferLike): NodeContext {
  return nodeContext(
    {
      ctl: new Int32Array(alloc(CONTROL_SIZE * 4)),
      params: new Float64Array(alloc(PARAM_SIZE * 8)),
      results: new Float64Array(alloc(RESULT_SIZE * 8)),
      bins: b.bins,
      wordsPerRow: b.wordsPerRow,
      order: b.order,
      grad: b.grad,
      hess: b.hess,
      packed: b.packed,
      hist: b.hist,
      colBins: b.colBins,
      rowScratch: b.scratch,
      words: new Int32Array(alloc(Math.max(1, b.wordsPerRow) * 4)),
      features: new Int32Array(alloc(Math.max(1, b.cols) * 4)),
      numBins: b.numBins,
      rules: b.rules,
    },
    b.pow2S,
  );
}

/** Rows per binning chunk: enough chunks for a late thread to leave its share to the other. */
const BIN_CHUNK_ROWS = 8192;

/**
 * Bins rows on the calling thread and the team's workers (chunks of rows
 * claimed in turn; each bin is computed the same way wherever it is). The
 * values are copied to shared memory unless they already are.
 */
export function binRowsOn(team: WorkerTeam): ParallelBinRows {
  return (task: BinRowsTask) => {
    const { rows, cols } = task;
    const chunks = Math.ceil(rows / BIN_CHUNK_ROWS);
    const hasNaN = new Uint8Array(cols);
    if (chunks < 2) {
      binRowRange(task, 0, rows, hasNaN);
      return hasNaN;
    }
    const shared = (a: ArrayBufferView) => wholeSharedBuffer(a, 'binning workers');
    let features = task.features;
    if (!(features.buffer instanceof SharedArrayBuffer) || features.byteOffset !== 0) {
      features = new Float32Array(new SharedArrayBuffer(rows * cols * 4));
      features.set(task.features.subarray(0, rows * cols));
    }
    const ctl = new Int32Array(new SharedArrayBuffer(16));
    const flags = new Uint8Array(new SharedArrayBuffer(chunks * cols));
    const message: BinRowsMessage = {
      protocol: HIST_PROTOCOL_VERSION,
      kind: 'binRows',
      control: ctl.buffer as SharedArrayBuffer,
      chunks,
      chunkRows: BIN_CHUNK_ROWS,
      features: shared(features),
      rows,
      cols,
      stride: task.stride,
      table: shared(task.table),
      numBins: task.numBins,
      colMajor: shared(task.colMajor),
      rowMajor: shared(task.rowMajor),
      hasNaN: flags.buffer as SharedArrayBuffer,
    };
    for (const w of team.workers) w.postMessage(message);
    const local: BinRowsTask = { ...task, features };
    for (let c = Atomics.add(ctl, 0, 1); c < chunks; c = Atomics.add(ctl, 0, 1)) {
      const r0 = c * BIN_CHUNK_ROWS;
      binRowRange(local, r0, Math.min(rows, r0 + BIN_CHUNK_ROWS), flags.subarray(c * cols, (c + 1) * cols));
    }
    // Every chunk is claimed; wait only for workers still binning one (a late one finds none and touches nothing).
    for (let spin = 0; Atomics.load(ctl, 1) !== 0; spin++) {
      const active = Atomics.load(ctl, 1);
      if (spin > 1000 && active !== 0 && Atomics.wait(ctl, 1, active, 50) === 'timed-out') failIfWorkerDied(team, 'binning');
    }
    if (Atomics.load(ctl, 2) === 1) throw new QonlineError('QONLINE_INTERNAL', `GBDT: a binning worker failed: ${team.failures.join('; ') || 'unknown error'}`);
    for (let c = 0; c < chunks; c++) for (let f = 0; f < cols; f++) hasNaN[f] |= flags[c * cols + f]!;
    return hasNaN;
  };
}

export function locateWorkerScript(): URL | null {
  return locateBuiltWorker('gbdt-worker.js');
}

/** Started workers, kept between fits of this thread. */
export interface WorkerTeam {
  workers: Worker[];
  /** Each worker's OS thread (null: unknown, not Linux), to see synchronously that it is gone. */
  threads: Array<OsThread | null>;
  /** Each worker's exit code, resolved by its 'exit' event. */
  exits: Array<Promise<number>>;
  failures: string[];
  broken: boolean;
  /** Index of the worker found dead while the trainer waited for it (-1: none). */
  dead: number;
}

/**
 * A worker that dies hard while holding a chunk (process.exit or terminate()
 * inside it, its isolate out of memory) never lowers `active`, and its 'exit'
 * event cannot reach a trainer blocked waiting for it. Its OS thread, though,
 * is gone at once from /proc/self/task (the kernel reaps a thread when it
 * ends): an exact, synchronous check, run only after the wait has slept 50 ms
 * in vain, so it costs the normal path nothing and a merely descheduled
 * worker (a loaded machine) is never taken for dead. Without /proc (not
 * Linux) it cannot tell, and such a worker still hangs the fit.
 */
function failIfWorkerDied(team: WorkerTeam, role: string): void {
  for (let i = 0; i < team.threads.length; i++) {
    const t = team.threads[i];
    if (!t || !osThreadGone(t)) continue;
    team.broken = true;
    team.dead = i;
    throw new QonlineError('QONLINE_INTERNAL', `GBDT: ${role} worker ${i + 1} of ${team.workers.length} (OS thread ${t.tid}) ended while the fit waited for it`);
  }
}

function osThreadGone(t: OsThread): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/self/task/${t.tid}/stat`, 'latin1');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
  // Fields after the name: state is the 1st, start time the 20th; another start time is a new thread with a reused id.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' || fields[0] === 'X' || fields[19] !== t.start;
}

/**
 * The error a fit of `team` ends with: when it found a worker dead, the same
 * message with the worker's exit code (its 'exit' event, delivered now that
 * the trainer's thread is free; not waited for more than 2 s).
 */
export async function withWorkerExit(team: WorkerTeam, e: unknown): Promise<unknown> {
  if (team.dead < 0 || !(e instanceof QonlineError)) return e;
  const timeout = new Promise<null>((resolve) => setTimeout(resolve, 2000, null).unref());
  const code = await Promise.race([team.exits[team.dead]!, timeout]);
  return new QonlineError(e.code, `${e.message} (exit code ${code ?? 'unknown'}); its team is ended, the next fit starts new workers`);
}

/** The team waiting for the next fit (one: fits of one thread run one after another). */
let idleTeam: WorkerTeam | null = null;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
/** Workers started by this thread so far (tests check that consecutive fits share them). */
let started = 0;

export function histogramWorkersStarted(): number {
  return started;
}

/**
 * `count` workers for a fit: the idle team of the previous fit, or new ones;
 * null (train on one thread) when they cannot be started. Hand them to
 * NodeRunner.threaded, or back with releaseWorkers if the fit ends before.
 */
export async function acquireWorkers(count: number, logger?: Logger): Promise<WorkerTeam | null> {
  const idle = idleTeam;
  idleTeam = null;
  clearTimeout(idleTimer);
  if (idle && !idle.broken && idle.workers.length === count) return idle;
  if (idle) endTeam(idle);
  return startTeam(count, logger);
}

export function releaseWorkers(team: WorkerTeam, failed = false): void {
  if (failed || team.broken || idleTeam) {
    endTeam(team);
    return;
  }
  idleTeam = team;
  idleTimer = setTimeout(() => {
    if (idleTeam === team) idleTeam = null;
    endTeam(team);
  }, IDLE_RELEASE_MS);
  idleTimer.unref?.();
}

function endTeam(team: WorkerTeam): void {
  for (const w of team.workers) void w.terminate();
}

/** Ends the idle workers now (tests; a process exits without it: idle workers do not keep it alive). */
export function releaseIdleWorkers(): void {
  clearTimeout(idleTimer);
  if (idleTeam) endTeam(idleTeam);
  idleTeam = null;
}

async function startTeam(count: number, logger?: Logger): Promise<WorkerTeam | null> {
  const script = locateWorkerScript();
  if (!script || count < 1) {
    logger?.debug('GBDT: histogram worker script not found (run from source without dist/); training on one thread');
    return null;
  }
  const team: WorkerTeam = { workers: [], threads: [], exits: [], failures: [], broken: false, dead: -1 };
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const worker = new Worker(script);
        team.workers[i] = worker;
        team.threads[i] = null;
        team.exits[i] = new Promise((resolve) => worker.once('exit', resolve));
        started++;
        await new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.once('message', (m: WorkerReady) => {
            if (m?.ready && m.protocol === HIST_PROTOCOL_VERSION) {
              team.threads[i] = m.thread;
              resolve();
            } else reject(new Error(`worker speaks protocol ${m?.protocol}, trainer ${HIST_PROTOCOL_VERSION} (stale dist/? rebuild with npx tsup)`));
          });
        });
        worker.on('message', (m: { error?: string }) => {
          if (m?.error) team.failures.push(m.error);
        });
        worker.on('error', (e) => {
          team.broken = true;
          team.failures.push(e instanceof Error ? e.message : String(e));
        });
        worker.on('exit', () => {
          team.broken = true;
        });
        // An idle team must not keep the process alive.
        worker.unref();
      }),
    );
  } catch (e) {
    endTeam(team);
    logger?.warn(`GBDT: histogram workers failed to start (${e instanceof Error ? e.message : String(e)}); training on one thread`);
    return null;
  }
  return team;
}
