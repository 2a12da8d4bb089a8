import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataQlibPlugin, openSyntheticMarket } from '../../../../../plugins/data-qlib/index.js';
import { syntheticCalendar } from '../../../../../plugins/data-qlib/src/synth/index.js';

/** The data providers' `tradingDays` (what `qonline doctor` counts gaps on): read from disk, nothing generated. */
function component(name: string) {
  const def = dataQlibPlugin.components.find((c) => c.kind === 'dataProvider' && c.name === name);
  if (!def?.tradingDays) throw new Error(`${name} has no tradingDays`);
  return def as typeof def & { tradingDays: NonNullable<typeof def.tradingDays> };
}

describe('data providers: tradingDays', () => {
  const options = { instruments: 3, start: '2020-09-01', end: '2020-10-31', seed: 5 };

  it('SyntheticMarket: null until the market is generated in the home (and asking generates nothing), then its calendar', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'qonline-trading-days-'));
    const synth = component('SyntheticMarket');
    const ctx = { home, configDir: home };
    expect(await synth.tradingDays(options as never, ctx)).toBeNull();
    expect(existsSync(path.join(home, 'data'))).toBe(false);
    const provider = await openSyntheticMarket(home, options);
    await provider.close();
    const days = await synth.tradingDays(options as never, ctx);
    expect(days).toEqual(syntheticCalendar(options.start, options.end));
    // The October closure (1-7) is not in it.
    expect(days!.filter((d) => d >= '2020-10-01' && d <= '2020-10-07')).toEqual([]);
    // Other options name another market, not generated.
    expect(await synth.tradingDays({ ...options, seed: 6 } as never, ctx)).toBeNull();

    const [dir] = readdirSync(path.join(home, 'data'));
    expect(await component('QlibData').tradingDays({ uri: path.join(home, 'data', dir!) } as never, ctx)).toEqual(days);
  });
});
