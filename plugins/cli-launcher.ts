#!/usr/bin/env node
/**
 * The `qonline` command: dist/cli.cjs (the bin, built as CommonJS by
 * tsup.config.ts) and dist/cli.js (the same as an ES module). The CLI itself is one CommonJS bundle,
 * dist/cli-main.cjs (built from plugins/cli.ts), compiled here with a V8 code
 * cache: Node 20 keeps no compiled code between processes for ES modules, and
 * compiling qonline's code again in every process was ~0.1 s of CPU of a daily
 * routine. The cache is written when a command exits with code 0 and no
 * usable cache was there, one file per command (`run --step routine` has its
 * own), so it holds the functions that command compiled, lazily compiled ones
 * included. A cache is used only if it names this exact bundle (the build's
 * hash on the bundle's first line) and its bytes match their checksum; V8
 * checks its own version and flags. Anything else is ignored and rewritten.
 * QONLINE_CODE_CACHE=0 turns it off; QONLINE_CODE_CACHE_DIR moves it (default:
 * dist/code-cache/, or the user's cache folder when dist/ is read-only).
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { isMainThread, threadId } from 'node:worker_threads';

const MAGIC = 'qonline-code-cache-1';

/**
 * V8 optimises a function once it has run for a while (its interrupt budget, in bytecode executed). A
 * CLI process is short: at V8's default budget a daily routine had Turbofan compile (on a second core)
 * dozens of kernels and provider functions it then barely used, some several times after deopts, for
 * more CPU than the optimised code saved. A budget 16x larger optimises only what stays hot (long loops
 * still tier up, a few ms later): measured ~14% less CPU for a 1-day routine, ~20% for 5 and 20 days,
 * ~11% for first_train (4x and 32x gave less).
 * Tiers give the same results (the same IEEE operations). Set before the bundle is compiled, so the
 * code cache (whose check covers V8's flags) is written and read under the same flags. A budget given
 * to node itself (`node --interrupt-budget=N`) wins. Only on V8 11 (Node 20), where it was measured:
 * other V8s tier differently (and one without the flag would print an error on every call).
 */
const INTERRUPT_BUDGET = 16 * 67584; // V8 11's default budget is 67584
if (process.versions.v8.startsWith('11.') && !process.execArgv.some((a) => a.startsWith('--interrupt-budget'))) {
  v8.setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
const dist = path.dirname(fileURLToPath(import.meta.url));
const bundleFile = path.join(dist, 'cli-main.cjs');
const bytes = readFileSync(bundleFile);
// The build writes the bundle in ASCII (tsup.config.ts): latin1 decodes it to the same text as UTF-8, ~15 times faster.
const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
// The build writes `// qonline-build <sha256 of the rest>` as the bundle's first line.
const buildHash = /^\/\/ qonline-build ([0-9a-f]{64})\n/.exec(source.slice(0, 100))?.[1];
const enabled = process.env['QONLINE_CODE_CACHE'] !== '0' && buildHash !== undefined;
const cacheFile = path.join(cacheDir(), `${cacheName(process.argv.slice(2))}.bin`);

/**
 * dist/code-cache/, or where dist/ cannot be written (a system-wide install) the user's cache folder, one
 * subfolder per build so that installs of different versions do not keep replacing each other's caches.
 */
function cacheDir(): string {
  const chosen = process.env['QONLINE_CODE_CACHE_DIR'];
  if (chosen) return chosen;
  try {
    accessSync(dist, constants.W_OK);
    return path.join(dist, 'code-cache');
  } catch {
    const userCache = process.env['XDG_CACHE_HOME'] || path.join(homedir(), '.cache');
    return path.join(userCache, 'qonline', 'code-cache', (buildHash ?? 'none').slice(0, 16));
  }
}

/** One cache per command: what `validate` compiles is not what a routine compiles. */
function cacheName(argv: string[]): string {
  const command = argv[0] ?? 'help';
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(command)) return 'other';
  if (command !== 'run') return command;
  const i = argv.indexOf('--step');
  const step = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--step='))?.slice('--step='.length);
  return step !== undefined && /^[A-Za-z0-9_-]{1,40}$/.test(step) ? `run-${step}` : 'run';
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The V8 data of a cache written for this bundle, or undefined (missing, another build, damaged). */
function readCache(): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const eol = file.indexOf(10);
  if (eol < 0 || eol > 300) return undefined;
  const [magic, build, node, sum] = file.subarray(0, eol).toString('latin1').split(' ');
  const data = file.subarray(eol + 1);
  if (magic !== MAGIC || build !== buildHash || node !== `${process.version}-${process.arch}` || sum !== sha256(data)) return undefined;
  return data;
}

/** Written to a file of its own, then renamed: a reader never sees half a cache, concurrent writers each a whole one. */
function writeCache(script: vm.Script): void {
  const tmp = `${cacheFile}.${process.pid}-${threadId}.tmp`;
  try {
    const data = script.createCachedData();
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(tmp, Buffer.concat([Buffer.from(`${MAGIC} ${buildHash} ${process.version}-${process.arch} ${sha256(data)}\n`, 'latin1'), data]));
    renameSync(tmp, cacheFile);
  } catch {
    // A cache is an optimisation: a read-only install or a full disk only costs the next call its compile.
    rmSync(tmp, { force: true });
  }
}

const cachedData = enabled ? readCache() : undefined;
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundleFile,
  cachedData,
});
// Plugins are ES modules: the bundle imports them through this module (core/kernel/plugin-loader.ts),
// as code deserialized from a cache has no import() of its own in Node 20.
(globalThis as Record<symbol, unknown>)[Symbol.for('qonline.import-module')] = (url: string) => import(url);
if (enabled && isMainThread && (cachedData === undefined || script.cachedDataRejected)) {
  process.once('exit', (code) => {
    if (code === 0) writeCache(script);
  });
}
const cjsModule = { exports: {} };
const wrapper = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
wrapper.call(cjsModule.exports, cjsModule.exports, createRequire(bundleFile), cjsModule, bundleFile, dist);
