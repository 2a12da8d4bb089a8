export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry `tag` (plugin/component). */
  child(tag: string): Logger;
}

/** A long piece of work: `tick` moves it on, `done` finishes it. */
export interface ProgressTask {
  tick(n?: number, note?: string): void;
  setTotal(total: number): void;
  done(note?: string): void;
}

export interface Progress {
  start(label: string, total?: number): ProgressTask;
}

/** Operational time (leases, schedules). Market time is always passed in, never read here. */
export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
