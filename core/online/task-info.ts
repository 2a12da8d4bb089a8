import type { RecorderInfo } from '../contracts/store.js';
import type { Segment, TaskDef } from '../contracts/task.js';

/** The test segment of a task (`[start, end|null]`). */
export function testSegmentOf(task: TaskDef): Segment {
  const seg = task.dataset?.kwargs?.segments?.['test'];
  if (!seg) throw new Error('task has no test segment');
  return [seg[0], seg[1] ?? null];
}

/** Recorder params written at creation: what later steps need without loading the task. */
export interface RecorderParams {
  model_class: string;
  test_start: string;
  test_end: string | null;
  phase?: 'fitted' | 'finished';
  [k: string]: unknown;
}

export function recorderParams(task: TaskDef): RecorderParams {
  const [s, e] = testSegmentOf(task);
  return { model_class: task.model.class, test_start: s, test_end: e };
}

export function recorderTest(rec: RecorderInfo): { start: string; end: string | null } {
  const p = rec.params as Partial<RecorderParams>;
  return { start: String(p.test_start), end: (p.test_end as string | null | undefined) ?? null };
}
