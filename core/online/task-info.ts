import type { RecorderInfo, RecorderParams } from '../contracts/store.js';
import type { Segment, TaskDef } from '../contracts/task.js';

/** The test segment of a task (`[start, end|null]`). */
export function testSegmentOf(task: TaskDef): Segment {
  const seg = task.dataset?.kwargs?.segments?.['test'];
  if (!seg) throw new Error('task has no test segment');
  return [seg[0], seg[1] ?? null];
}

export type { RecorderParams } from '../contracts/store.js';

export function recorderParams(task: TaskDef): RecorderParams & { model_class: string; test_start: string; test_end: string | null } {
  const [s, e] = testSegmentOf(task);
  return { model_class: task.model.class, test_start: s, test_end: e };
}

export function recorderTest(rec: RecorderInfo): { start: string; end: string | null } {
  return { start: String(rec.params.test_start), end: rec.params.test_end ?? null };
}
