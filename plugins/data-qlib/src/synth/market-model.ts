import { Rng, mixSeed } from './prng.js';

/**
 * Every number that shapes the synthetic market, in one place (documented in
 * docs/data.md). Volatilities are daily, in log-return units.
 */
export const SYNTH_PARAMS = {
  sectors: 10,
  marketDrift: 0.0003,
  /** GARCH(1,1) per factor: unconditional vol, ARCH (alpha) and persistence (beta) terms. */
  marketGarch: { vol: 0.012, alpha: 0.08, beta: 0.9 },
  sectorGarch: { vol: 0.007, alpha: 0.05, beta: 0.93 },
  idioGarch: { volMin: 0.012, volMax: 0.028, alpha: 0.07, beta: 0.91 },
  betaMin: 0.6,
  betaMax: 1.4,
  jumpProbability: 0.002,
  jumpVol: 0.05,
  /** Daily price limit on the close-to-close return (A-share style). */
  priceLimit: 0.1,
  /**
   * The predictable component: next-day drift =
   *   -reversal * (5-day log return - its cross-sectional mean)
   *   +momentum * (log return from 20 to 5 days ago - its cross-sectional mean),
   * both measured at yesterday's close.
   */
  reversal: 0.025,
  momentum: 0.006,
  initialPriceLogMean: Math.log(15),
  initialPriceLogSd: 0.7,
  /** Share of instruments listed after the first day, and of those delisted before the last. */
  lateListingShare: 0.3,
  delistingShare: 0.1,
  /** Chance per instrument-day that a suspension starts; extra days are exponential with this mean. */
  suspensionProbability: 0.003,
  suspensionMeanExtraDays: 3,
  suspensionMaxDays: 30,
  /** 2:1 split chance per day once the raw price exceeds splitPrice; rare 1.3x bonus issues otherwise. */
  splitPrice: 80,
  splitProbability: 0.01,
  bonusProbability: 0.0001,
  bonusRatio: 1.3,
  overnightShare: 0.35,
  overnightNoise: 0.3,
  rangeNoise: 0.5,
  vwapNoise: 0.1,
  volumeLogMean: Math.log(5e6),
  volumeLogSd: 1,
  volumeAr: 0.9,
  volumeArSd: 0.35,
  volumeReturnLoading: 40,
  /** csi300: top min(300, ceil(N/2)) by market value, rebalanced on the first trading day on/after Jun 15 and Dec 15. */
  indexMaxMembers: 300,
  indexMinListedDays: 20,
} as const;

export const SYNTH_FIELDS = ['open', 'close', 'high', 'low', 'volume', 'vwap', 'factor', 'change'] as const;
export type SynthField = (typeof SYNTH_FIELDS)[number];

export interface SimulatedMarket {
  codes: string[];
  days: number;
  /** Calendar index of each instrument's first and last row. */
  first: Int32Array;
  last: Int32Array;
  sector: Int32Array;
  /** Per field, an instrument-major matrix: value of instrument i on day t at [i * days + t]. */
  fields: Record<SynthField, Float32Array>;
  /** csi300 membership spans as calendar indices, per instrument index. */
  index: Array<Array<[number, number]>>;
  /** The csi300 index itself (code BENCHMARK_CODE): one value per calendar day for every field. */
  benchmark: Record<SynthField, Float32Array>;
}

/** The benchmark series every synthetic market carries (Qlib's CSI 300 code), outside the `all` and `csi300` lists. */
export const BENCHMARK_CODE = 'SH000300';
/** The benchmark's level on the first calendar day. */
const BENCHMARK_BASE = 1000;

/** Codes that look like A-share tickers: SH600000, SZ000001, SH600001, ... */
export function synthCode(i: number): string {
  return i % 2 === 0 ? `SH${600000 + i / 2}` : `SZ${String(1 + (i - 1) / 2).padStart(6, '0')}`;
}

/**
 * Simulates the market day by day (all instruments together, because the
 * market and sector factors and the cross-sectional signal are shared).
 * Every instrument draws the same count of numbers from its own stream every
 * day, so its path depends only on the seed, its index and the shared factors.
 */
export function simulateMarket(calendar: readonly string[], instruments: number, seed: number): SimulatedMarket {
  const P = SYNTH_PARAMS;
  const T = calendar.length;
  const N = instruments;
  const factorRng = new Rng(mixSeed(seed, 0));
  const setupRng = new Rng(mixSeed(seed, 1));
  const rngs: Rng[] = [];
  for (let i = 0; i < N; i++) rngs.push(new Rng(mixSeed(seed, 1000 + i)));

  // Static per-instrument traits.
  const beta = new Float64Array(N);
  const sector = new Int32Array(N);
  const idioVar = new Float64Array(N);
  const idioW = new Float64Array(N);
  const shares = new Float64Array(N);
  const volumeBase = new Float64Array(N);
  const first = new Int32Array(N);
  const last = new Int32Array(N);
  const logPrice0 = new Float64Array(N);
  const S = Math.min(P.sectors, N);
  for (let i = 0; i < N; i++) {
    beta[i] = P.betaMin + (P.betaMax - P.betaMin) * setupRng.uniform();
    sector[i] = setupRng.int(0, S - 1);
    const vol = P.idioGarch.volMin + (P.idioGarch.volMax - P.idioGarch.volMin) * setupRng.uniform();
    idioVar[i] = vol * vol;
    idioW[i] = vol * vol * (1 - P.idioGarch.alpha - P.idioGarch.beta);
    shares[i] = Math.exp(Math.log(3e8) + 1.0 * setupRng.normal());
    volumeBase[i] = Math.exp(P.volumeLogMean + P.volumeLogSd * setupRng.normal());
    logPrice0[i] = P.initialPriceLogMean + P.initialPriceLogSd * setupRng.normal();
    const uList = setupRng.uniform();
    const uListDay = setupRng.uniform();
    const uDelist = setupRng.uniform();
    const uDelistDay = setupRng.uniform();
    first[i] = 0;
    last[i] = T - 1;
    const latestListing = Math.floor(0.7 * (T - 1));
    if (uList < P.lateListingShare && latestListing >= 1) first[i] = 1 + Math.floor(uListDay * latestListing);
    const earliestEnd = first[i]! + Math.ceil(0.3 * (T - first[i]!));
    if (uDelist < P.delistingShare && earliestEnd <= T - 2) {
      last[i] = earliestEnd + Math.floor(uDelistDay * (T - 1 - earliestEnd));
    }
  }

  const fields = {} as Record<SynthField, Float32Array>;
  for (const f of SYNTH_FIELDS) fields[f] = new Float32Array(N * T).fill(NaN);
  const { open, close, high, low, volume, vwap, factor, change } = fields;

  // Log adjusted close at the end of each day, time-major (the signal needs lags).
  const logClose = new Float64Array(N * T);
  const lagged = (t: number, i: number): number => (t < 0 ? logPrice0[i]! : logClose[t * N + i]!);

  const mg = P.marketGarch;
  const sg = P.sectorGarch;
  let marketVar = mg.vol * mg.vol;
  const sectorVar = new Float64Array(S).fill(sg.vol * sg.vol);
  const sectorShock = new Float64Array(S);
  const volumeState = new Float64Array(N);
  const adjFactor = new Float64Array(N).fill(1);
  const lastSeenClose = new Float64Array(N).fill(NaN);
  const suspendedLeft = new Int32Array(N);
  const r5 = new Float64Array(N);
  const r15 = new Float64Array(N);
  const limitUp = Math.log1p(P.priceLimit);
  const limitDown = Math.log1p(-P.priceLimit);

  for (let t = 0; t < T; t++) {
    // Shared factors for the day.
    const marketShock = Math.sqrt(marketVar) * factorRng.normal();
    marketVar = mg.vol * mg.vol * (1 - mg.alpha - mg.beta) + mg.alpha * marketShock * marketShock + mg.beta * marketVar;
    for (let s = 0; s < S; s++) {
      const e = Math.sqrt(sectorVar[s]!) * factorRng.normal();
      sectorShock[s] = e;
      sectorVar[s] = sg.vol * sg.vol * (1 - sg.alpha - sg.beta) + sg.alpha * e * e + sg.beta * sectorVar[s]!;
    }
    // The predictable component uses only information up to yesterday's close.
    let mean5 = 0;
    let mean15 = 0;
    for (let i = 0; i < N; i++) {
      const y = lagged(t - 1, i);
      r5[i] = y - lagged(t - 6, i);
      r15[i] = lagged(t - 6, i) - lagged(t - 21, i);
      mean5 += r5[i]!;
      mean15 += r15[i]!;
    }
    mean5 /= N;
    mean15 /= N;

    for (let i = 0; i < N; i++) {
      const rng = rngs[i]!;
      // Fixed draw count per instrument-day keeps each stream aligned.
      const zIdio = rng.normal();
      const uJump = rng.uniform();
      const zJump = rng.normal();
      const uSuspend = rng.uniform();
      const uSuspendLength = rng.uniform();
      const zOpen = rng.normal();
      const zHigh = rng.normal();
      const zLow = rng.normal();
      const zVwap = rng.normal();
      const zVolume = rng.normal();
      const uSplit = rng.uniform();

      const sigmaSq = beta[i]! * beta[i]! * marketVar + sectorVar[sector[i]!]! + idioVar[i]!;
      const idioShock = Math.sqrt(idioVar[i]!) * zIdio;
      idioVar[i] = idioW[i]! + P.idioGarch.alpha * idioShock * idioShock + P.idioGarch.beta * idioVar[i]!;
      const predictable = -P.reversal * (r5[i]! - mean5) + P.momentum * (r15[i]! - mean15);
      let ret =
        P.marketDrift +
        predictable +
        beta[i]! * marketShock +
        sectorShock[sector[i]!]! +
        idioShock +
        (uJump < P.jumpProbability ? P.jumpVol * zJump : 0);
      ret = Math.min(limitUp, Math.max(limitDown, ret));
      const prevLog = lagged(t - 1, i);
      const logC = prevLog + ret;
      logClose[t * N + i] = logC;
      volumeState[i] = P.volumeAr * volumeState[i]! + P.volumeArSd * Math.sqrt(1 - P.volumeAr * P.volumeAr) * zVolume;

      if (t < first[i]! || t > last[i]!) continue;
      if (suspendedLeft[i]! > 0) {
        suspendedLeft[i]!--;
        continue;
      }
      // Suspensions never touch the first or last row, so the span's ends are real trading days.
      if (t > first[i]! && t < last[i]! - 1 && uSuspend < P.suspensionProbability) {
        const extra = Math.floor(-Math.log(1 - uSuspendLength) * P.suspensionMeanExtraDays);
        const days = Math.min(1 + extra, P.suspensionMaxDays, last[i]! - 1 - t);
        suspendedLeft[i] = days - 1;
        continue;
      }

      const prevC = Math.exp(prevLog);
      const c = Math.exp(logC);
      if (t > first[i]!) {
        const rawPrev = prevC / adjFactor[i]!;
        if (rawPrev > P.splitPrice && uSplit < P.splitProbability) adjFactor[i]! *= 2;
        else if (uSplit > 1 - P.bonusProbability) adjFactor[i]! *= P.bonusRatio;
      }
      const sigma = Math.sqrt(sigmaSq);
      const cap = prevC * (1 + P.priceLimit);
      const floor = prevC * (1 - P.priceLimit);
      const o = Math.min(cap, Math.max(floor, prevC * Math.exp(P.overnightShare * ret + P.overnightNoise * sigma * zOpen)));
      const top = Math.max(o, c);
      const bottom = Math.min(o, c);
      const h = Math.max(top, Math.min(cap, top * Math.exp(P.rangeNoise * sigma * Math.abs(zHigh))));
      const l = Math.min(bottom, Math.max(floor, bottom * Math.exp(-P.rangeNoise * sigma * Math.abs(zLow))));
      const v = Math.min(h, Math.max(l, ((o + h + l + 2 * c) / 5) * Math.exp(P.vwapNoise * sigma * zVwap)));
      const rawVolume = volumeBase[i]! * Math.exp(volumeState[i]!) * (1 + P.volumeReturnLoading * Math.abs(ret));
      const lots = Math.max(1, Math.round(rawVolume / 100));

      const k = i * T + t;
      open[k] = o;
      close[k] = c;
      high[k] = h;
      low[k] = l;
      vwap[k] = v;
      // Qlib stores adjusted prices (raw * factor) and adjusted volume (raw / factor).
      volume[k] = (lots * 100) / adjFactor[i]!;
      factor[k] = adjFactor[i]!;
      change[k] = Number.isNaN(lastSeenClose[i]!) ? NaN : c / lastSeenClose[i]! - 1;
      lastSeenClose[i] = c;
    }
  }

  const index = indexMembership(calendar, logClose, shares, first, last, N);
  const codes: string[] = [];
  for (let i = 0; i < N; i++) codes.push(synthCode(i));
  const benchmark = benchmarkSeries(fields, index, shares, T, N);
  return { codes, days: T, first, last, sector, fields, index, benchmark };
}

/**
 * The csi300 index as a price series: each day's return is the members'
 * close-to-close return weighted by yesterday's market value (members with
 * no return that day, e.g. suspended, are left out; no member: flat).
 * Open is yesterday's close, high/low the larger/smaller of open and close,
 * vwap the close, volume the members' total, factor 1. Derived from the
 * stocks alone (no random draws), so the stocks' own bytes do not change.
 */
function benchmarkSeries(fields: Record<SynthField, Float32Array>, index: Array<Array<[number, number]>>, shares: Float64Array, T: number, N: number): Record<SynthField, Float32Array> {
  const member = new Uint8Array(N * T);
  for (let i = 0; i < N; i++) for (const [a, b] of index[i]!) member.fill(1, i * T + a, i * T + b + 1);
  const out = {} as Record<SynthField, Float32Array>;
  for (const f of SYNTH_FIELDS) out[f] = new Float32Array(T);
  let level = BENCHMARK_BASE;
  for (let t = 0; t < T; t++) {
    let weighted = 0;
    let weights = 0;
    let volume = 0;
    for (let i = 0; i < N; i++) {
      const k = i * T + t;
      if (!member[k]) continue;
      const c = fields.close[k]!;
      if (c === c) volume += fields.volume[k]! * fields.factor[k]!;
      if (t === 0) continue;
      const p = fields.close[k - 1]!;
      if (c !== c || p !== p) continue;
      const w = shares[i]! * (p / fields.factor[k - 1]!);
      weighted += w * (c / p - 1);
      weights += w;
    }
    const prev = level;
    if (weights > 0) level *= 1 + weighted / weights;
    out.open[t] = prev;
    out.close[t] = level;
    out.high[t] = Math.max(prev, level);
    out.low[t] = Math.min(prev, level);
    out.vwap[t] = level;
    out.volume[t] = volume;
    out.factor[t] = 1;
    out.change[t] = t === 0 ? NaN : level / prev - 1;
  }
  return out;
}

/** Rebalance days: calendar start, then the first trading day on/after each Jun 15 and Dec 15. */
export function indexRebalanceDays(calendar: readonly string[]): number[] {
  const out = [0];
  for (let t = 1; t < calendar.length; t++) {
    const d = calendar[t]!;
    const prev = calendar[t - 1]!;
    const y = d.slice(0, 4);
    for (const md of ['-06-15', '-12-15']) {
      const anchor = y + md;
      if (d >= anchor && prev < anchor) out.push(t);
    }
  }
  return out;
}

function indexMembership(
  calendar: readonly string[],
  logClose: Float64Array,
  shares: Float64Array,
  first: Int32Array,
  last: Int32Array,
  N: number,
): Array<Array<[number, number]>> {
  const P = SYNTH_PARAMS;
  const T = calendar.length;
  const members = Math.min(P.indexMaxMembers, Math.ceil(N / 2));
  const spans: Array<Array<[number, number]>> = Array.from({ length: N }, () => []);
  const rebalance = indexRebalanceDays(calendar);
  const order = new Int32Array(N);
  const cap = new Float64Array(N);
  for (let r = 0; r < rebalance.length; r++) {
    const t = rebalance[r]!;
    const periodEnd = r + 1 < rebalance.length ? rebalance[r + 1]! - 1 : T - 1;
    const seen = Math.max(0, t - 1);
    let eligible = 0;
    for (let i = 0; i < N; i++) {
      const listedLongEnough = t === 0 ? first[i] === 0 : first[i]! <= t - P.indexMinListedDays;
      if (!listedLongEnough || last[i]! < t) continue;
      cap[i] = logClose[seen * N + i]! + Math.log(shares[i]!);
      order[eligible++] = i;
    }
    const chosen = Array.from(order.subarray(0, eligible)).sort((a, b) => cap[b]! - cap[a]! || a - b).slice(0, members);
    for (const i of chosen) {
      const end = Math.min(periodEnd, last[i]!);
      const list = spans[i]!;
      const prev = list[list.length - 1];
      // Staying in the index across a rebalance continues the same span.
      if (prev && prev[1] === t - 1) prev[1] = end;
      else list.push([t, end]);
    }
  }
  return spans;
}
