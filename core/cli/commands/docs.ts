import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QonlineError } from '../../errors/index.js';
import { ComponentRegistry } from '../../kernel/registry.js';
import { configReference, editorSchema, errorsReference } from '../../docs/generate.js';
import type { Command } from '../context.js';

function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

export const docsCommand: Command = {
  name: 'docs',
  usage: 'docs (config-reference | schema | errors) [--out FILE]',
  summary: 'Generate the config reference, the editor JSON Schema, or the error-code table from the registered components',
  flags: { out: { value: true, description: 'Write to this file instead of stdout' } },
  async run(ctx) {
    const what = ctx.args.positionals[0];
    const reg = new ComponentRegistry();
    reg.registerAll(ctx.builtins);
    let text: string;
    if (what === 'config-reference') text = configReference(reg);
    else if (what === 'schema') text = JSON.stringify(editorSchema(reg), null, 2) + '\n';
    else if (what === 'errors') text = errorsReference();
    else throw new QonlineError('QONLINE_USAGE', 'docs needs one of: config-reference, schema, errors');
    const out = ctx.args.flags['out'] as string | undefined;
    if (out) writeAtomic(out, text);
    else ctx.io.stdout(text);
  },
};
