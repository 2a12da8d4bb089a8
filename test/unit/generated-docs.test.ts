import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReference, editorSchema } from '../../core/docs/generate.js';
import { ComponentRegistry } from '../../core/kernel/registry.js';
import { builtinPluginEntries } from '../../plugins/builtins.js';
import { ROOT } from '../helpers/cli.js';

function registry(): ComponentRegistry {
  const r = new ComponentRegistry();
  r.registerAll(builtinPluginEntries());
  return r;
}

describe('generated reference files are up to date', () => {
  it('docs/config-reference.md (regenerate: node dist/cli.js docs config-reference --out docs/config-reference.md)', () => {
    expect(readFileSync(path.join(ROOT, 'docs/config-reference.md'), 'utf8')).toBe(configReference(registry()));
  });

  it('schemas/pipeline.schema.json (regenerate: node dist/cli.js docs schema --out schemas/pipeline.schema.json)', () => {
    expect(JSON.parse(readFileSync(path.join(ROOT, 'schemas/pipeline.schema.json'), 'utf8'))).toEqual(editorSchema(registry()));
  });

  it('every component option has a description', () => {
    const missing: string[] = [];
    for (const c of registry().list()) {
      const props = ((c.def.schema as Record<string, unknown>)['properties'] ?? {}) as Record<string, Record<string, unknown>>;
      for (const [k, v] of Object.entries(props)) if (!v['description']) missing.push(`${c.def.kind} ${c.def.name}.${k}`);
    }
    expect(missing).toEqual([]);
  });
});
