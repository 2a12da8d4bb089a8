/**
 * Fault injection for crash tests: with QONLINE_TEST_KILL_ON_STDERR=TEXT the
 * process SIGKILLs itself right after writing a stderr chunk containing TEXT
 * (`TEXT#N`: at its Nth occurrence). Writes to a pipe or file are synchronous
 * on Linux, so the line is out before the kill, and the kill point is exact
 * (a test watching stderr from outside would race the process).
 */
export function installStderrKillSwitch(env: NodeJS.ProcessEnv = process.env): void {
  const spec = env['QONLINE_TEST_KILL_ON_STDERR'];
  if (!spec) return;
  const m = /^(.*)#(\d+)$/s.exec(spec);
  const text = m ? m[1]! : spec;
  let left = m ? Number(m[2]) : 1;
  const stream = process.stderr;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    const ok = write(chunk, ...rest);
    if (String(chunk).includes(text) && --left === 0) process.kill(process.pid, 'SIGKILL');
    return ok;
  }) as typeof stream.write;
}
