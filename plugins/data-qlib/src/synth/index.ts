export { Rng, mixSeed } from './prng.js';
export { syntheticCalendar, springFestivalStart } from './synthetic-calendar.js';
export { SYNTH_PARAMS, SYNTH_FIELDS, type SynthField, type SimulatedMarket, simulateMarket, synthCode, indexRebalanceDays } from './market-model.js';
export {
  SYNTH_GENERATOR,
  SYNTH_VERSION,
  SYNTH_MANIFEST_FILE,
  type SynthOptions,
  type SynthManifest,
  normalizeSynthOptions,
  buildSyntheticMarketFiles,
  generateSyntheticMarket,
} from './generate-synthetic-market.js';
