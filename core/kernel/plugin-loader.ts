import { realpathSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginManifest } from '../contracts/plugin.js';
import { QonlineError } from '../errors/index.js';

export interface PluginTrust {
  /** Files or folders trusted beyond the default rule (`--trust-plugin`, `QONLINE_TRUSTED_PLUGINS`). */
  trusted?: readonly string[];
  /** Base of relative trusted paths (the working directory). */
  cwd?: string;
}

/** The trusted paths of `QONLINE_TRUSTED_PLUGINS` (separated like PATH) and the `--trust-plugin` flags. */
export function trustedPluginPaths(env: NodeJS.ProcessEnv, flags: readonly string[] = []): string[] {
  const fromEnv = (env['QONLINE_TRUSTED_PLUGINS'] ?? '').split(path.delimiter).filter((s) => s.trim() !== '');
  return [...fromEnv, ...flags];
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function inside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Plugins are code with the process's full rights, so a config may load
 * without further consent only (a) an installed package (a bare name,
 * resolved through `node_modules` from the config's folder) or (b) a file inside the config's own folder tree
 * (symbolic links followed). Anything else must be trusted explicitly.
 * Returns why a resolved plugin file is refused, or null.
 */
export function untrustedReason(spec: string, resolved: string, configFile: string, trust: PluginTrust = {}): string | null {
  const file = real(resolved);
  const cwd = trust.cwd ?? process.cwd();
  for (const t of trust.trusted ?? []) if (inside(file, real(path.resolve(cwd, t)))) return null;
  const isPath = spec.startsWith('.') || path.isAbsolute(spec);
  if (isPath) {
    const root = real(path.dirname(path.resolve(configFile)));
    if (inside(file, root)) return null;
    return `${spec} resolves to ${file}, outside the config's folder ${root}`;
  }
  // A bare name resolves only through node_modules folders (or a package's own name): it is installed,
  // possibly as a link (a `file:` dependency), which is the user's own consent.
  if (spec.split(/[\\/]/).includes('..') || spec.includes(':')) return `${spec}: a package name cannot contain ".." or ":"`;
  return null;
}

/** File URL of a dist/ entry -> the bundle's own instance of that module (shareBundledModules). */
let bundledModules: Map<string, object> | null = null;
let bundleHooksRegistered = false;
type ImportModule = (url: string) => Promise<Record<string, unknown>>;
let importModule: ImportModule = (url) => import(url) as Promise<Record<string, unknown>>;
const BUNDLED = Symbol.for('qonline.bundled-modules');

/**
 * Called by the CLI bundle (dist/cli-main.cjs, plugins/cli.ts), which holds its own copy of core:
 * a plugin importing `qonline/plugin-api` or `qonline` (dist/plugin-api.js, dist/index.js) must get
 * the bundle's instances, not a second core (its tokens, classes, QonlineError). Those two files
 * are then served by a module load hook, registered when the first plugin is imported.
 * `importer` imports plugin files: code compiled from a V8 code cache cannot call import() itself
 * (Node 20 loses its import callback), so the launcher, an ES module, lends its own.
 */
export function shareBundledModules(distDir: string, modules: Record<string, object>, importer: ImportModule): void {
  importModule = importer;
  bundledModules = new Map(Object.entries(modules).map(([file, ns]) => [pathToFileURL(path.join(distDir, file)).href, ns]));
}

// Runs in Node's module hooks thread: a shared file's source becomes a re-export of the bundle's instance.
const SHARE_HOOKS = `
let shared = {};
export function initialize(data) { shared = data.exports; }
export async function load(url, context, nextLoad) {
  const names = shared[url];
  if (!names) return nextLoad(url, context);
  // 'default' cannot be a const's name.
  const lines = names.map((n) => (n === 'default' ? 'export default m.default;' : 'export const ' + n + ' = m[' + JSON.stringify(n) + '];'));
  return { format: 'module', shortCircuit: true, source: 'const m = globalThis[Symbol.for("qonline.bundled-modules")].get(' + JSON.stringify(url) + '); ' + lines.join(' ') };
}`;

function registerBundleHooks(): void {
  if (!bundledModules || bundleHooksRegistered) return;
  bundleHooksRegistered = true;
  (globalThis as Record<symbol, unknown>)[BUNDLED] = bundledModules;
  const exports = Object.fromEntries([...bundledModules].map(([url, ns]) => [url, Object.keys(ns)]));
  register(`data:text/javascript,${encodeURIComponent(SHARE_HOOKS)}`, { data: { exports } });
}

/**
 * Loads the plugins a config lists: a path (relative to the config file) or a
 * package name resolved from the config's folder. Plugins must be JavaScript.
 * Nothing is imported before every plugin passed the trust rule (untrustedReason).
 */
export async function loadPlugins(specs: readonly string[], configFile: string, trust: PluginTrust = {}): Promise<{ manifest: PluginManifest; source: string }[]> {
  const req = createRequire(path.resolve(configFile));
  const out: { manifest: PluginManifest; source: string }[] = [];
  const problems: string[] = [];
  const files: { spec: string; resolved: string }[] = [];
  const refused: string[] = [];
  for (const spec of specs) {
    let resolved: string;
    try {
      resolved = spec.startsWith('.') || path.isAbsolute(spec) ? path.resolve(path.dirname(configFile), spec) : req.resolve(spec);
      if (/\.(ts|mts|cts)$/.test(resolved)) {
        problems.push(`${spec}: plugins must be JavaScript (build ${path.basename(resolved)} first)`);
        continue;
      }
    } catch (e) {
      problems.push(`${spec}: cannot be found from ${path.dirname(configFile)} (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    const why = untrustedReason(spec, resolved, configFile, trust);
    if (why) refused.push(why);
    else files.push({ spec, resolved });
  }
  if (refused.length) {
    throw new QonlineError('QONLINE_PLUGIN_UNTRUSTED', `plugin ${refused[0]!}`, {
      details: refused,
      hint: 'plugins run with your full rights; if you trust it, pass --trust-plugin PATH (repeatable) or list it in QONLINE_TRUSTED_PLUGINS',
    });
  }
  if (files.length) registerBundleHooks();
  for (const { spec, resolved } of files) {
    let mod: Record<string, unknown>;
    try {
      mod = await importModule(pathToFileURL(resolved).href);
    } catch (e) {
      problems.push(`${spec}: import failed: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const exported = mod['default'] ?? mod['plugin'];
    const manifests = Array.isArray(exported) ? exported : [exported];
    if (!exported || manifests.some((m) => !m || typeof m !== 'object' || !('components' in (m as object)))) {
      problems.push(`${spec}: must export a plugin manifest (definePlugin({...})) as default or as \`plugin\``);
      continue;
    }
    for (const m of manifests) out.push({ manifest: m as PluginManifest, source: resolved });
  }
  if (problems.length) {
    throw new QonlineError('QONLINE_PLUGIN_LOAD', problems[0]!, { details: problems });
  }
  return out;
}
