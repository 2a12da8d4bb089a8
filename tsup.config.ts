import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { defineConfig } from 'tsup';

// yaml's CommonJS build is ~70 files: its ES module build is bundled, so a CLI process (a daily routine)
// loads one chunk instead of resolving and compiling each file (the builds differ only in a debug hook).
// Likewise tsyringe (33 CommonJS files, ~25 ms of every CLI call: its ES2015 build is bundled), the
// reflect-metadata polyfill it needs, and node-cron (~6 ms as two ES modules).
const bundled = ['yaml', 'tsyringe', 'reflect-metadata', 'node-cron'];
const alias = {
  yaml: fileURLToPath(new URL('./node_modules/yaml/browser/index.js', import.meta.url)),
  tsyringe: fileURLToPath(new URL('./node_modules/tsyringe/dist/esm2015/index.js', import.meta.url)),
};
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };

/**
 * The CLI as one CommonJS bundle, dist/cli-main.cjs, which dist/cli.js (plugins/cli-launcher.ts) compiles
 * with a V8 code cache (Node 20 has none for ES modules). Its code runs from dist/ as the ES build does:
 * import.meta.url is dist/cli.js (validators/, worker scripts). The first line names the build (a hash
 * of the rest), so a cache written for another build is never used.
 */
async function buildCliBundle(): Promise<void> {
  const out = 'dist/cli-main.cjs';
  await build({
    entryPoints: ['plugins/cli.ts'],
    outfile: out,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: Object.keys(pkg.dependencies).filter((d) => !bundled.includes(d)),
    alias,
    inject: ['plugins/cli-bundle-shim.ts'],
    define: { 'import.meta.url': 'qonlineCliUrl' },
    logLevel: 'warning',
  });
  // The precompiled validators (dist/validators/, written first) go into the bundle as functions, so the
  // code cache holds the ones a command used compiled; core/kernel/validator.ts finds them there.
  const strict = '"use strict";\n';
  let code = readFileSync(out, 'utf8');
  if (!code.startsWith(strict)) throw new Error(`${out} does not start with "use strict"`);
  const factories = readdirSync('dist/validators')
    .filter((f) => f.endsWith('.cjs'))
    .sort()
    .map((f) => `${JSON.stringify(f.slice(0, -'.cjs'.length))}: function (exports, require) {\n${readFileSync(`dist/validators/${f}`, 'utf8')}\n}`);
  code = `${strict}globalThis[Symbol.for("qonline.precompiled-validators")] = {\n${factories.join(',\n')}\n};\n${code.slice(strict.length)}`;
  code = asciiOnly(code);
  writeFileSync(out, `// qonline-build ${createHash('sha256').update(code).digest('hex')}\n${code}`);
}

/**
 * `code` with every non-ASCII character written as a \u escape (esbuild's own output is ASCII already; the
 * validators' schema descriptions are not), so that the launcher can decode the bundle as latin1, ~15 times
 * faster than UTF-8 (3-4 ms of every CLI call). The escapes are in string literals (JSON schema text); in a
 * comment, an identifier or a regular expression an escape means the same character too.
 */
function asciiOnly(code: string): string {
  return code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The `qonline` command as CommonJS, dist/cli.cjs (the package's bin): the launcher dist/cli.js is, without
 * the ES module loader Node starts for an ES entry point (the loader itself, fs/promises, a module facade
 * per builtin: ~4 ms of every CLI call). import.meta.url is its own file URL; plugins still load with import().
 */
async function buildCliLauncher(): Promise<void> {
  await build({
    entryPoints: ['plugins/cli-launcher.ts'],
    outfile: 'dist/cli.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    define: { 'import.meta.url': 'qonlineLauncherUrl' },
    banner: { js: 'const qonlineLauncherUrl = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: 'warning',
  });
}

// One build with shared chunks: the CLI, the library and worker threads use one copy of core/.
export default defineConfig({
  entry: {
    'plugin-api': 'core/index.ts',
    index: 'plugins/index.ts',
    cli: 'plugins/cli-launcher.ts',
    bench: 'bench/index.ts',
    'gbdt-worker': 'plugins/models/src/gbdt/hist.worker.ts',
    'xgb-worker': 'plugins/models/src/xgb/xgb-hist.worker.ts',
    'data-worker': 'plugins/data-qlib/src/parallel/feature.worker.ts',
    'precompile-validators': 'plugins/precompile-validators.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  dts: { entry: { 'plugin-api': 'core/index.ts', index: 'plugins/index.ts' } },
  shims: false,
  outDir: 'dist',
  noExternal: bundled,
  esbuildOptions(options) {
    options.alias = { ...options.alias, ...alias };
  },
  // The CLI bundle, and the precompiled config validators (ajv standalone code) core/kernel/validator.ts loads.
  async onSuccess() {
    execFileSync(process.execPath, ['dist/precompile-validators.js'], { stdio: 'inherit' });
    await buildCliBundle();
    await buildCliLauncher();
  },
});
