import { QonlineError, type Segment, type TaskDef } from '../../../core/index.js';

/** Where a task keeps its segments, for error messages. */
export const SEGMENTS_PATH = '/dataset/kwargs/segments';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The task's segments (a fresh object; the segments themselves are checked
 * by TimeAdjuster when aligned). `required` keys must be present.
 */
export function readSegments(task: TaskDef, required: readonly string[], who: string): Record<string, Segment> {
  const segments = (task as { dataset?: { kwargs?: { segments?: unknown } } }).dataset?.kwargs?.segments;
  if (!isRecord(segments)) {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `${who}: the task has no segments object at ${SEGMENTS_PATH}`, {
      location: { path: SEGMENTS_PATH },
    });
  }
  for (const key of required) {
    if (!(key in segments)) {
      throw new QonlineError(
        'QONLINE_CONFIG_INVALID',
        `${who}: the task has no "${key}" segment at ${SEGMENTS_PATH} (found: ${Object.keys(segments).join(', ') || 'none'})`,
        { location: { path: `${SEGMENTS_PATH}/${key}` } },
      );
    }
  }
  return { ...(segments as Record<string, Segment>) };
}

/** Replaces the task's segments (the task must already be a private copy). */
export function writeSegments(task: TaskDef, segments: Record<string, Segment>): void {
  const copy: Record<string, Segment> = {};
  for (const [k, seg] of Object.entries(segments)) copy[k] = [seg[0], seg[1]];
  task.dataset.kwargs.segments = copy;
}

/**
 * The handler's kwargs object, or null when the handler is not given inline
 * (e.g. a reference to a stored handler), in which case there is nothing to adjust.
 */
export function handlerKwargs(task: TaskDef): Record<string, unknown> | null {
  const handler: unknown = task.dataset?.kwargs?.handler;
  if (!isRecord(handler)) return null;
  const kwargs = handler['kwargs'];
  return isRecord(kwargs) ? kwargs : null;
}

/**
 * Makes the processors' fit window the train segment. Only keys the template
 * already has are written: handlers that take no fit window must not get one.
 * An open train end fits up to `latestDate`, the last date it currently covers.
 */
export function fitWindowFollowsTrain(kwargs: Record<string, unknown>, train: Segment, latestDate: string): void {
  if ('fit_start_time' in kwargs) kwargs['fit_start_time'] = train[0];
  if ('fit_end_time' in kwargs) kwargs['fit_end_time'] = train[1] ?? latestDate;
}

export function checkKey(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new QonlineError('QONLINE_CONFIG_INVALID', `${what} must be a non-empty string, found ${JSON.stringify(value)}`);
  }
  return value;
}
