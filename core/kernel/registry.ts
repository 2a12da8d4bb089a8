import { COMPONENT_KINDS, PLUGIN_API_VERSION, SUPPORTED_PLUGIN_API_VERSIONS, type ComponentDefinition, type ComponentKind, type PluginManifest } from '../contracts/plugin.js';
import { QonlineError } from '../errors/index.js';
import { closestMatches } from './did-you-mean.js';

export interface RegisteredComponent {
  def: ComponentDefinition<any, any, any>;
  plugin: PluginManifest;
  /** Where the plugin came from: `builtin` or the path/package it was loaded from. */
  source: string;
}

/**
 * All components by kind and name (aliases included). Registration checks
 * everything and reports every problem at once.
 */
export class ComponentRegistry {
  private readonly byKind = new Map<ComponentKind, Map<string, RegisteredComponent>>();
  private readonly plugins = new Map<string, { manifest: PluginManifest; source: string }>();

  constructor() {
    for (const k of COMPONENT_KINDS) this.byKind.set(k, new Map());
  }

  registerAll(plugins: { manifest: PluginManifest; source: string }[]): void {
    const problems: string[] = [];
    // Kinds plugins introduce (typed by ComponentKindMap merging) are known before any component registers.
    for (const { manifest } of plugins) {
      for (const k of Array.isArray(manifest?.kinds) ? manifest.kinds : []) {
        if (typeof k === 'string' && k && !this.byKind.has(k as ComponentKind)) this.byKind.set(k as ComponentKind, new Map());
      }
    }
    for (const { manifest, source } of plugins) problems.push(...this.register(manifest, source));
    if (problems.length) {
      throw new QonlineError('QONLINE_PLUGIN_INVALID', `plugin registration failed (${problems.length} problem${problems.length > 1 ? 's' : ''}): ${problems[0]}`, {
        details: problems,
      });
    }
  }

  private register(manifest: PluginManifest, source: string): string[] {
    const problems: string[] = [];
    const where = `plugin ${JSON.stringify(manifest?.name)} (${source})`;
    if (!manifest || typeof manifest.name !== 'string' || !manifest.name) return [`${source}: not a plugin manifest (expected definePlugin({name, version, components}))`];
    if (typeof manifest.version !== 'string') problems.push(`${where}: missing version`);
    if (!Array.isArray(manifest.components)) return [...problems, `${where}: components must be an array`];
    const api = manifest.apiVersion ?? PLUGIN_API_VERSION;
    if (!SUPPORTED_PLUGIN_API_VERSIONS.includes(api)) problems.push(`${where}: needs plugin API v${api}, this qonline provides v${PLUGIN_API_VERSION}`);
    const existing = this.plugins.get(manifest.name);
    if (existing) return [`${where}: a plugin with this name is already registered from ${existing.source}`];
    this.plugins.set(manifest.name, { manifest, source });
    for (const def of manifest.components) {
      if (!def || !this.byKind.has(def.kind)) {
        problems.push(`${where}: component ${JSON.stringify(def?.name)} has unknown kind ${JSON.stringify(def?.kind)} (allowed: ${this.kinds().join(', ')})`);
        continue;
      }
      if (typeof def.create !== 'function') problems.push(`${where}: component ${def.name} has no create()`);
      if (!def.schema || typeof def.schema !== 'object') problems.push(`${where}: component ${def.name} has no options schema`);
      if (def.deps !== undefined && (typeof def.deps !== 'object' || def.deps === null || Array.isArray(def.deps))) {
        problems.push(`${where}: component ${def.name} declares deps as ${Array.isArray(def.deps) ? 'a list' : typeof def.deps}; expected a record {name: TOKEN} (plugin API v2)`);
      }
      const table = this.byKind.get(def.kind)!;
      for (const name of [def.name, ...(def.aliases ?? [])]) {
        const clash = table.get(name);
        if (clash) {
          problems.push(`${where}: ${def.kind} ${JSON.stringify(name)} is already registered by plugin ${clash.plugin.name}`);
          continue;
        }
        table.set(name, { def, plugin: manifest, source });
      }
    }
    return problems;
  }

  /** The component for (kind, class); `module_path` may name the plugin. */
  lookup(kind: ComponentKind, className: string, modulePath?: string): RegisteredComponent {
    const table = this.byKind.get(kind);
    const hit = table?.get(className);
    if (hit && (!modulePath || !this.plugins.has(modulePath) || hit.plugin.name === modulePath)) return hit;
    if (hit && modulePath && this.plugins.has(modulePath)) {
      throw new QonlineError('QONLINE_UNKNOWN_CLASS', `${kind} ${JSON.stringify(className)} is not provided by plugin ${JSON.stringify(modulePath)} (it comes from ${hit.plugin.name})`);
    }
    const names = this.names(kind);
    const near = closestMatches(className, names);
    throw new QonlineError(
      'QONLINE_UNKNOWN_CLASS',
      `unknown ${kind} class ${JSON.stringify(className)}${near.length ? `; did you mean ${near.map((n) => JSON.stringify(n)).join(' or ')}?` : ''}`,
      { hint: `allowed ${kind} classes: ${names.join(', ') || '(none)'}` },
    );
  }

  /** Every known kind: core's, then those plugins introduced. */
  kinds(): ComponentKind[] {
    return [...this.byKind.keys()];
  }

  has(kind: ComponentKind, className: string): boolean {
    return this.byKind.get(kind)?.has(className) ?? false;
  }

  names(kind: ComponentKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])].sort();
  }

  /** Every distinct component (aliases folded), for `plugins list` and docs. */
  list(): RegisteredComponent[] {
    const seen = new Set<ComponentDefinition>();
    const out: RegisteredComponent[] = [];
    for (const table of this.byKind.values()) {
      for (const entry of table.values()) {
        if (seen.has(entry.def)) continue;
        seen.add(entry.def);
        out.push(entry);
      }
    }
    return out.sort((a, b) => a.def.kind.localeCompare(b.def.kind) || a.def.name.localeCompare(b.def.name));
  }

  pluginList(): { manifest: PluginManifest; source: string }[] {
    return [...this.plugins.values()];
  }
}
