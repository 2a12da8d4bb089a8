import { parentPort, workerData } from 'node:worker_threads';
import type { ExprNode } from '../expr/index.js';
import { runFeatureJob, transferablesOf } from './feature-job.js';
import { FEATURE_PROTOCOL_VERSION, type FeatureWorkerData, type FromFeatureWorker, type ToFeatureWorker } from './feature-protocol.js';

/**
 * Feature worker thread (tsup entry `data-worker`): evaluates batches of
 * instruments for QlibDataProvider and returns the arrays as transferables.
 */
const data = workerData as FeatureWorkerData;
const port = parentPort!;
const nodes = new Map<string, ExprNode>();

port.on('message', (msg: ToFeatureWorker) => {
  try {
    const results = msg.jobs.map((job) => runFeatureJob(data.uri, data.freq, job, nodes));
    const reply: FromFeatureWorker = { id: msg.id, results };
    port.postMessage(reply, transferablesOf(results));
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown; details?: unknown; hint?: unknown };
    const reply: FromFeatureWorker = {
      id: msg.id,
      error: {
        code: typeof err?.code === 'string' ? err.code : 'QONLINE_INTERNAL',
        message: typeof err?.message === 'string' ? err.message : String(e),
        details: Array.isArray(err?.details) ? (err.details as string[]) : undefined,
        hint: typeof err?.hint === 'string' ? err.hint : undefined,
      },
    };
    port.postMessage(reply);
  }
});

const ready: FromFeatureWorker = { ready: true, protocol: FEATURE_PROTOCOL_VERSION };
port.postMessage(ready);
