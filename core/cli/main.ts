import 'reflect-metadata';
import { formatLocation, isQonlineError, QonlineError } from '../errors/index.js';
import type { PluginManifest } from '../contracts/plugin.js';
import type { CliCommandContext } from '../contracts/cli.js';
import { formatFlags, parseArgs } from './args.js';
import { closestMatches } from '../kernel/did-you-mean.js';
import { COMMON_FLAGS, makeContext, type CliIo, type Command } from './context.js';
import { COMMANDS } from './commands/index.js';
import { Kernel } from '../kernel/kernel.js';
import { ensureHome, resolveHome } from '../engine/home.js';
import { openManager } from './open-manager.js';
import { openPipeline, prepareConfig } from '../engine/pipeline.js';
import { stepPipeline } from '../engine/run.js';
import { normalizeStep } from '../config/steps.js';

/** Runs the CLI; returns the exit code (0 ok, 1 runtime failure, 2 usage/config error). */
export async function main(argv: string[], builtins: { manifest: PluginManifest; source: string }[], io: CliIo = defaultIo()): Promise<number> {
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    const commands = allCommands(builtins);
    if (argv[0] === 'help' && argv.length > 1) {
      // `qonline help run`, `qonline help tasks`, `qonline help models list`.
      const topic = argv.slice(1).filter((a) => !a.startsWith('-'));
      const found = findCommand(topic, commands);
      if (found.command && found.rest.length === 0) {
        io.stdout(commandHelp(found.command) + '\n');
        return 0;
      }
      const group = groupOf(topic[0]!, commands);
      if (group.length && topic.length === 1) {
        io.stdout(groupHelp(topic[0]!, group) + '\n');
        return 0;
      }
      throw unknownCommand(topic, commands);
    }
    const { command, rest } = findCommand(argv, commands);
    if (!command) {
      if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
        io.stdout(globalHelp(commands) + '\n');
        return 0;
      }
      const group = groupOf(argv[0]!, commands);
      if (group.length) {
        // A command group: `qonline tasks`, `qonline tasks --help` print its commands; a wrong subcommand is a usage error.
        const sub = argv[1];
        if (sub === undefined || sub === '--help' || sub === '-h' || (sub.startsWith('-') && argv.slice(1).every((a) => a.startsWith('-')))) {
          io.stdout(groupHelp(argv[0]!, group) + '\n');
          return 0;
        }
        const near = closestMatches(sub, group.map((c) => c.name.split(' ')[1]!), 2);
        throw new QonlineError('QONLINE_USAGE', `unknown command ${JSON.stringify(`${argv[0]} ${sub}`)}${near.length ? `; did you mean ${near.map((n) => JSON.stringify(`${argv[0]} ${n}`)).join(' or ')}?` : ''}`, {
          hint: `\`qonline ${argv[0]} --help\` lists: ${group.map((c) => c.name).join(', ')}`,
        });
      }
      if (argv[0] === '--version') {
        io.stdout('qonline 0.1.0\n');
        return 0;
      }
      const near = closestMatches(argv[0]!, [...new Set(commands.map((c) => c.name.split(' ')[0]!))], 2);
      throw new QonlineError('QONLINE_USAGE', `unknown command ${JSON.stringify(argv.slice(0, 2).join(' '))}${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : ''}`, {
        hint: 'run `qonline --help` for the list of commands',
      });
    }
    const flags = { ...COMMON_FLAGS, ...command.flags };
    const args = parseArgs(rest, flags);
    if (args.flags['help']) {
      io.stdout(commandHelp(command) + '\n');
      return 0;
    }
    const ctx = makeContext(args, io, builtins, { longRunning: command.longRunning });
    const code = await command.run(ctx);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    return reportError(e, io, verbose, argv.includes('--json'));
  }
}

/** Core commands plus those the plugins contribute. */
function allCommands(builtins: { manifest: PluginManifest }[]): Command[] {
  const out: Command[] = [...COMMANDS];
  for (const { manifest } of builtins) {
    for (const c of manifest.commands ?? []) {
      out.push({
        name: c.name,
        usage: c.usage,
        summary: c.summary,
        flags: c.flags,
        longRunning: c.longRunning,
        run: async (ctx) => {
          const env = ctx.engine();
          let kernel: Kernel | undefined;
          const resolve: CliCommandContext['resolve'] = async (kind, spec, pointer) => {
            if (!kernel) {
              const home = resolveHome(env.home, env.env ?? process.env, undefined, undefined);
              ensureHome(home);
              kernel = new Kernel({ plugins: env.builtins, logger: env.logger, progress: env.progress, clock: env.clock, home });
              await kernel.start();
            }
            return kernel.resolve(kind, spec, pointer);
          };
          const openConfig: CliCommandContext['openConfig'] = async (file, options = {}) => {
            const p = await openPipeline(await prepareConfig(file, env), { lock: options.lock ?? false });
            return {
              pipeline: stepPipeline(p),
              steps: (p.pipeline.steps ?? []).map((s, i) => {
                const n = normalizeStep(s);
                return { spec: n.spec, pointer: `/steps/${i}` };
              }),
              resolve: (kind, spec, pointer) => p.kernel.resolve(kind, spec, pointer),
              close: () => p.close(),
            };
          };
          try {
            return await c.run({ args: ctx.args, json: ctx.json, print: ctx.print, stdout: ctx.io.stdout, logger: env.logger, progress: env.progress, env: ctx.io.env, resolve, openConfig, openManager: (file) => openManager(env, file) });
          } finally {
            await kernel?.stop();
          }
        },
      });
    }
  }
  return out;
}

/** The commands whose first word is `word` and that have a second one (`tasks` -> tasks list, tasks stat, ...). */
function groupOf(word: string, commands: Command[]): Command[] {
  return commands.filter((c) => c.name.startsWith(word + ' '));
}

function unknownCommand(words: string[], commands: Command[]): QonlineError {
  const near = closestMatches(words.join(' '), commands.map((c) => c.name), 2);
  return new QonlineError('QONLINE_USAGE', `unknown command ${JSON.stringify(words.join(' '))}${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : ''}`, {
    hint: 'run `qonline --help` for the list of commands',
  });
}

export function groupHelp(word: string, group: Command[]): string {
  const width = Math.max(...group.map((c) => c.name.length)) + 2;
  return [
    `Usage: qonline ${word} <command> [options]`,
    '',
    'Commands:',
    ...group.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run \`qonline ${word} <command> --help\` (or \`qonline help ${word} <command>\`) for a command\u2019s options.`,
  ].join('\n');
}

function findCommand(argv: string[], commands: Command[]): { command?: Command; rest: string[] } {
  // Longest match first: `models list` before `models`.
  const sorted = [...commands].sort((a, b) => b.name.split(' ').length - a.name.split(' ').length);
  for (const c of sorted) {
    const words = c.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command: c, rest: argv.slice(words.length) };
  }
  return { rest: argv };
}

export function reportError(e: unknown, io: CliIo, verbose: boolean, json: boolean): number {
  const err = isQonlineError(e) ? e : new QonlineError('QONLINE_INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
  if (json) {
    io.stdout(
      JSON.stringify({ error: { code: err.code, message: err.message, location: err.location ?? null, details: err.details, hint: err.hint ?? null, plugin: err.plugin ?? null, component: err.component ?? null } }, null, 2) + '\n',
    );
  }
  const where = formatLocation(err.location);
  io.stderr(`error ${err.code}: ${where ? where + ': ' : ''}${err.message}\n`);
  // A single detail that only repeats the message adds nothing.
  const details = err.details.length === 1 && err.details[0]!.includes(err.message) ? [] : err.details;
  for (const d of details) io.stderr(`  - ${d}\n`);
  if (err.hint) io.stderr(`  hint: ${err.hint}\n`);
  if (verbose) {
    const stack = (err.cause instanceof Error ? err.cause : err).stack;
    if (stack) io.stderr(stack + '\n');
  }
  return err.exitCode;
}

function defaultIo(): CliIo {
  return { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s), env: process.env };
}

export function globalHelp(commands: Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'qonline: online model management for quantitative research',
    '',
    'Usage: qonline <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Common options:',
    formatFlags(COMMON_FLAGS),
    '',
    'Run `qonline <command> --help` for a command\u2019s options. Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  return [`Usage: qonline ${c.usage}`, '', c.summary, '', 'Options:', formatFlags({ ...c.flags, ...COMMON_FLAGS })].join('\n');
}
