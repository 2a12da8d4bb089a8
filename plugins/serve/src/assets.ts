import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const STATE_VERSION_HEADER = 'x-qonline-state-version';

const require = createRequire(import.meta.url);
let uplotJs: string | undefined;
let uplotCss: string | undefined;
/** uPlot, from the installed package (no CDN). */
export function uplotAssets(): { js: string; css: string } {
  uplotJs ??= readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  uplotCss ??= readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js: uplotJs, css: uplotCss };
}
