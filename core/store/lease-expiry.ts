/**
 * How the task pool words the error of an attempt whose lease ran out
 * (`reapExpired`); the worker reads it back to tell a takeover from a retry.
 * Not part of the plugin API (core/store/index.ts does not export it).
 */
export const LEASE_RAN_OUT = 'the lease of worker ';

/** The task's previous attempt of this phase ended because its holder's lease ran out: whoever fetches it now takes it over. */
export function takenOver(task: { attempts: number; lastError: string | null }): boolean {
  return task.attempts > 1 && (task.lastError?.startsWith(LEASE_RAN_OUT) ?? false);
}
