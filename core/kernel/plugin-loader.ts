import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PluginManifest } from '../contracts/plugin.js';
import { QonlineError } from '../errors/index.js';

/**
 * Loads the plugins a config lists: a path (relative to the config file) or a
 * package name resolved from the config's folder. Plugins must be JavaScript.
 */
export async function loadPlugins(specs: readonly string[], configFile: string): Promise<{ manifest: PluginManifest; source: string }[]> {
  const req = createRequire(path.resolve(configFile));
  const out: { manifest: PluginManifest; source: string }[] = [];
  const problems: string[] = [];
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
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
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
