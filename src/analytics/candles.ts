// Candles per (symbol, interval) in event time, with indicators over the closes of final bars.
//
// Bucket start = floor(time / interval) × interval. Open is the trade with the smallest (time, seq) and
// close the largest, not the first and last to arrive, so candles do not depend on arrival order within
// the allowed lateness (volume and VWAP are float sums: equal up to rounding). A bucket is final once the
// watermark reaches its end; until then late trades may still change it, so a series can have several
// open buckets. They live in typed arrays, `lanes` per series, lane = bucket number mod lanes; a bucket
// that finds its lane taken by an open older one pushes that one into a spill map (correct, slower).
// Series index ("slot") = symbolIndex × nIntervals + intervalIndex; lane index = slot × lanes + lane.
import type { Candle, DurationMs, EventTimeMs, Price, Quantity } from '../domain/types.ts';
import { type ByteReader, type ByteWriter, corrupt } from './bytes.ts';
import { FinalBarLog } from './final-log.ts';
import { type IndicatorParams, IndicatorSet } from './indicators/indicator-set.ts';

export interface CandleBookParams {
  intervalsMs: readonly number[];
  openBucketsPerSeries: number;
  indicators: IndicatorParams;
  /** See AnalyticsConfig.provisionalEveryMs (default 0: every drain). */
  provisionalEveryMs?: number;
}

/** An open bucket that did not fit in its series' lanes. */
interface SpillBar {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  pv: number;
  count: number;
  openT: number;
  openSeq: number;
  closeT: number;
  closeSeq: number;
}

/** Called for every final bar (after its indicators were updated), with what anomaly scoring needs. */
export type FinalBarListener = (
  symbolIndex: number,
  intervalIndex: number,
  start: number,
  volume: number,
  close: number,
) => void;

// A lane's fields, interleaved (one lane = F consecutive floats) so that a trade touches one or two
// cache lines per interval rather than one per field.
const START = 0; // NaN = empty lane
const HIGH = 1;
const LOW = 2;
const VOLUME = 3;
const PV = 4;
const COUNT = 5;
const OPEN_T = 6;
const OPEN_SEQ = 7;
const OPEN = 8;
const CLOSE_T = 9;
const CLOSE_SEQ = 10;
const CLOSE = 11;
const F = 12;

// A final-bar log record: these, then the indicator set's raw values.
const R_SLOT = 0;
const R_START = 1;
const R_OPEN = 2;
const R_HIGH = 3;
const R_LOW = 4;
const R_CLOSE = 5;
const R_VOLUME = 6;
const R_PV = 7;
const R_COUNT = 8;
const R_INDICATORS = 9;

export class CandleBook {
  readonly symbols: readonly string[];
  readonly intervalsMs: readonly number[];
  readonly nIntervals: number;
  readonly lanes: number;
  /** Called for every final bar, in finalisation order (after its indicators were updated). */
  onFinal: FinalBarListener | undefined;

  private readonly iv: Float64Array;
  /** Lanes, F floats each; lane l of slot s starts at (s × lanes + l) × F. */
  private readonly bars: Float64Array;
  // per slot
  /** Start of the newest bucket the series has seen (the forming bar); −∞ before any trade. */
  private readonly newest: Float64Array;
  /** Offset in `bars` of the forming bar's lane (checked against its start before use). */
  private readonly newestAt: Int32Array;
  private readonly dirty: Uint8Array;
  private readonly dirtyList: Int32Array;
  private dirtyCount = 0;
  /**
   * Per dirty series: the smallest bucket start changed since the last drain. Every open bucket from
   * there on goes out provisional, so a bucket the forming bar has moved past (or one revised by an
   * allowed late trade) shows its last trades before it is final: a stream that simply stops still
   * has every bucket's latest state downstream.
   */
  private readonly dirtyFrom: Float64Array;
  private readonly sets: IndicatorSet[];
  /** Indicator state length of one series (snapshot layout). */
  private readonly setLength: number;
  /** A series' indicator state before its first final bar (not snapshotted), and scratch of that size. */
  private readonly pristineState: Float64Array;
  private readonly scratchState: Float64Array;
  /** Final bars not yet handed out, in finalisation order. */
  private readonly finals: FinalBarLog;
  /** Closes fed to valuesAfter for a forming bar: older open buckets, then the bar itself. */
  private extras = new Float64Array(16);
  private spill = new Map<number, SpillBar[]>();
  /** Per interval: the smallest end among its open buckets (a lower bound), so idle intervals are skipped. */
  private readonly nextDue: Float64Array;
  private wm = Number.NEGATIVE_INFINITY;
  /** Trades before this time fall into a final bucket of at least one interval. */
  private acceptFrom = Number.NEGATIVE_INFINITY;
  // scratch for ordering a slot's buckets
  private readonly order: number[] = [];
  /** Interval index of the finest interval (its provisional bars go out on every drain). */
  private readonly finest: number;
  private readonly provisionalEveryMs: number;
  /** Per slot: `maxTime` when its last provisional bar went out (not snapshotted: −∞ after a restore). */
  private readonly provisionalAt: Float64Array;
  /** Newest event time of an accepted trade (the clock provisional updates are spaced by). */
  private maxTime = Number.NEGATIVE_INFINITY;
  /** maxTime at the last emitProvisional: unchanged means no trade came since, and nothing is held back. */
  private drainedAt = Number.NaN;

  constructor(symbols: readonly string[], p: CandleBookParams) {
    this.symbols = symbols;
    this.intervalsMs = [...p.intervalsMs];
    this.nIntervals = p.intervalsMs.length;
    this.lanes = p.openBucketsPerSeries;
    this.iv = Float64Array.from(p.intervalsMs);
    const slots = symbols.length * this.nIntervals;
    this.bars = new Float64Array(slots * this.lanes * F);
    for (let o = 0; o < this.bars.length; o += F) this.bars[o + START] = Number.NaN;
    this.newest = new Float64Array(slots).fill(Number.NEGATIVE_INFINITY);
    this.newestAt = new Int32Array(slots);
    this.dirty = new Uint8Array(slots);
    this.dirtyList = new Int32Array(slots);
    this.dirtyFrom = new Float64Array(slots).fill(Number.POSITIVE_INFINITY);
    this.sets = [];
    for (let i = 0; i < slots; i++) this.sets.push(new IndicatorSet(p.indicators));
    const proto = new IndicatorSet(p.indicators);
    this.setLength = proto.stateLength;
    this.pristineState = new Float64Array(this.setLength);
    proto.writeState(this.pristineState, 0);
    this.scratchState = new Float64Array(this.setLength);
    this.finals = new FinalBarLog(R_INDICATORS + proto.rawLength);
    this.onFinal = undefined;
    this.nextDue = new Float64Array(this.nIntervals).fill(Number.POSITIVE_INFINITY);
    this.finest = this.intervalsMs.indexOf(Math.min(...this.intervalsMs));
    this.provisionalEveryMs = p.provisionalEveryMs ?? 0;
    this.provisionalAt = new Float64Array(slots).fill(Number.NEGATIVE_INFINITY);
  }

  get watermark(): number {
    return this.wm;
  }

  /** Whether a trade at `time` would fall into a bucket that is already final (and so be refused). */
  isFinal(time: number): boolean {
    return time < this.acceptFrom;
  }

  /** Offset in `bars` of the lane that bucket `b` (start / interval) of `slot` maps to. */
  private laneAt(slot: number, b: number): number {
    const L = this.lanes;
    // b − ⌊b / L⌋ × L rather than b % L: on doubles `%` is an fmod call.
    return (slot * L + (b - Math.floor(b / L) * L)) * F;
  }

  /**
   * Applies one trade of symbol `s` to every interval. Returns false, changing nothing, if it falls in
   * an already final bucket (the caller should have sent it to deadletter as late).
   */
  add(s: number, price: number, size: number, time: number, seq: number): boolean {
    if (time < this.acceptFrom) return false;
    if (time > this.maxTime) this.maxTime = time;
    const nInt = this.nIntervals;
    const bars = this.bars;
    const base = s * nInt;
    for (let k = 0; k < nInt; k++) {
      const slot = base + k;
      const iv = this.iv[k]!;
      const nw = this.newest[slot]!;
      // Fast path, most trades: the forming bar, found without dividing. Event times are integers
      // (validated), so time ∈ [nw, nw + iv) is exactly ⌊time / iv⌋ × iv = nw.
      if (time >= nw && time < nw + iv) {
        const o = this.newestAt[slot]!;
        if (bars[o + START] === nw) {
          this.update(o, price, size, time, seq);
          this.markDirty(slot, nw);
          continue;
        }
      }
      const b = Math.floor(time / iv);
      const st = b * iv;
      const o = this.laneAt(slot, b);
      const cur = bars[o + START]!;
      if (cur === st) {
        this.update(o, price, size, time, seq);
      } else {
        if (!Number.isNaN(cur)) {
          // lane taken by another open bucket
          if (cur > st) {
            this.addToSpill(slot, k, st, price, size, time, seq);
            this.markDirty(slot, st); // an older bucket: never the forming bar
            continue;
          }
          this.spillLane(slot, o);
        }
        this.init(o, st, price, size, time, seq);
        const due = st + iv;
        if (due < this.nextDue[k]!) this.nextDue[k] = due;
      }
      if (st > nw) {
        this.newest[slot] = st;
        this.newestAt[slot] = o;
      }
      this.markDirty(slot, st);
    }
    return true;
  }

  private markDirty(slot: number, start: number): void {
    if (this.dirty[slot] === 0) {
      this.dirty[slot] = 1;
      this.dirtyList[this.dirtyCount++] = slot;
    }
    if (start < this.dirtyFrom[slot]!) this.dirtyFrom[slot] = start;
  }

  private init(o: number, st: number, price: number, size: number, time: number, seq: number): void {
    const b = this.bars;
    b[o + START] = st;
    b[o + HIGH] = price;
    b[o + LOW] = price;
    b[o + VOLUME] = size;
    b[o + PV] = price * size;
    b[o + COUNT] = 1;
    b[o + OPEN_T] = time;
    b[o + OPEN_SEQ] = seq;
    b[o + OPEN] = price;
    b[o + CLOSE_T] = time;
    b[o + CLOSE_SEQ] = seq;
    b[o + CLOSE] = price;
  }

  private update(o: number, price: number, size: number, time: number, seq: number): void {
    const b = this.bars;
    if (price > b[o + HIGH]!) b[o + HIGH] = price;
    if (price < b[o + LOW]!) b[o + LOW] = price;
    b[o + VOLUME] = b[o + VOLUME]! + size;
    b[o + PV] = b[o + PV]! + price * size;
    b[o + COUNT] = b[o + COUNT]! + 1;
    const ot = b[o + OPEN_T]!;
    if (time < ot || (time === ot && seq < b[o + OPEN_SEQ]!)) {
      b[o + OPEN] = price;
      b[o + OPEN_T] = time;
      b[o + OPEN_SEQ] = seq;
    }
    const ct = b[o + CLOSE_T]!;
    if (time > ct || (time === ct && seq > b[o + CLOSE_SEQ]!)) {
      b[o + CLOSE] = price;
      b[o + CLOSE_T] = time;
      b[o + CLOSE_SEQ] = seq;
    }
  }

  private spillLane(slot: number, o: number): void {
    const b = this.bars;
    const bar: SpillBar = {
      start: b[o + START]!,
      open: b[o + OPEN]!,
      high: b[o + HIGH]!,
      low: b[o + LOW]!,
      close: b[o + CLOSE]!,
      volume: b[o + VOLUME]!,
      pv: b[o + PV]!,
      count: b[o + COUNT]!,
      openT: b[o + OPEN_T]!,
      openSeq: b[o + OPEN_SEQ]!,
      closeT: b[o + CLOSE_T]!,
      closeSeq: b[o + CLOSE_SEQ]!,
    };
    const list = this.spill.get(slot);
    if (list === undefined) this.spill.set(slot, [bar]);
    else list.push(bar);
    b[o + START] = Number.NaN;
  }

  private addToSpill(
    slot: number,
    k: number,
    st: number,
    price: number,
    size: number,
    time: number,
    seq: number,
  ): void {
    let list = this.spill.get(slot);
    if (list === undefined) {
      list = [];
      this.spill.set(slot, list);
    }
    const bar = list.find((x) => x.start === st);
    if (bar === undefined) {
      list.push({
        start: st,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: size,
        pv: price * size,
        count: 1,
        openT: time,
        openSeq: seq,
        closeT: time,
        closeSeq: seq,
      });
      const due = st + this.iv[k]!;
      if (due < this.nextDue[k]!) this.nextDue[k] = due;
      return;
    }
    if (price > bar.high) bar.high = price;
    if (price < bar.low) bar.low = price;
    bar.volume += size;
    bar.pv += price * size;
    bar.count += 1;
    if (time < bar.openT || (time === bar.openT && seq < bar.openSeq)) {
      bar.open = price;
      bar.openT = time;
      bar.openSeq = seq;
    }
    if (time > bar.closeT || (time === bar.closeT && seq > bar.closeSeq)) {
      bar.close = price;
      bar.closeT = time;
      bar.closeSeq = seq;
    }
  }

  /**
   * Moves the watermark (never backwards) and finalises, per series in bucket order, every bucket whose
   * end is ≤ wm. +∞ closes everything (end of input). The final candles are kept until `drainFinals`;
   * when `out` is given they are drained into it at once.
   */
  advanceWatermark(wm: number, out?: Candle[]): void {
    if (wm > this.wm) {
      this.wm = wm;
      let from = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < this.nIntervals; k++) {
        const iv = this.iv[k]!;
        const a = wm === Number.POSITIVE_INFINITY ? wm : Math.floor(wm / iv) * iv;
        if (a > from) from = a;
      }
      this.acceptFrom = from;
      const nSym = this.symbols.length;
      for (let k = 0; k < this.nIntervals; k++) {
        if (this.nextDue[k]! > wm) continue;
        let due = Number.POSITIVE_INFINITY;
        for (let s = 0; s < nSym; s++) {
          const d = this.finaliseSlot(s, k, wm);
          if (d < due) due = d;
        }
        this.nextDue[k] = due;
      }
    }
    if (out !== undefined) this.drainFinals(out);
  }

  /** Final bars not yet drained. */
  get pendingFinals(): number {
    return this.finals.count;
  }

  /** Series with a provisional update not yet drained (changed since, or held back by provisionalEveryMs). */
  get pendingProvisional(): number {
    return this.dirtyCount;
  }

  /** Pushes the final candles not yet handed out, in finalisation order, and forgets them. */
  drainFinals(out: Candle[]): void {
    this.peekFinals(out);
    this.finals.clear();
  }

  /** Pushes the final candles not yet handed out, in finalisation order, keeping them. */
  peekFinals(out: Candle[]): void {
    const log = this.finals;
    const d = log.data;
    const nInt = this.nIntervals;
    for (let i = 0, r = 0; i < log.count; i++, r += log.stride) {
      const slot = d[r + R_SLOT]!;
      const k = slot % nInt;
      const volume = d[r + R_VOLUME]!;
      out.push({
        symbol: this.symbols[(slot - k) / nInt]!,
        intervalMs: this.iv[k]! as DurationMs,
        start: d[r + R_START]! as EventTimeMs,
        open: d[r + R_OPEN]! as Price,
        high: d[r + R_HIGH]! as Price,
        low: d[r + R_LOW]! as Price,
        close: d[r + R_CLOSE]! as Price,
        volume: volume as Quantity,
        vwap: (d[r + R_PV]! / volume) as Price,
        trades: d[r + R_COUNT]!,
        final: true,
        indicators: this.sets[slot]!.valuesFromRaw(d, r + R_INDICATORS),
      });
    }
  }

  /** Adds a final bar to its series' indicators and logs it with their values. */
  private logFinal(
    s: number,
    k: number,
    slot: number,
    start: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    pv: number,
    count: number,
  ): void {
    const set = this.sets[slot]!;
    set.add(close);
    const r = this.finals.append();
    const d = this.finals.data;
    d[r + R_SLOT] = slot;
    d[r + R_START] = start;
    d[r + R_OPEN] = open;
    d[r + R_HIGH] = high;
    d[r + R_LOW] = low;
    d[r + R_CLOSE] = close;
    d[r + R_VOLUME] = volume;
    d[r + R_PV] = pv;
    d[r + R_COUNT] = count;
    set.writeRaw(d, r + R_INDICATORS);
    this.onFinal?.(s, k, start, volume, close);
  }

  private logLane(s: number, k: number, slot: number, o: number): void {
    const b = this.bars;
    this.logFinal(
      s,
      k,
      slot,
      b[o + START]!,
      b[o + OPEN]!,
      b[o + HIGH]!,
      b[o + LOW]!,
      b[o + CLOSE]!,
      b[o + VOLUME]!,
      b[o + PV]!,
      b[o + COUNT]!,
    );
    b[o + START] = Number.NaN;
  }

  /** Finalises the slot's due buckets in start order; returns the smallest end among those still open. */
  private finaliseSlot(s: number, k: number, wm: number): number {
    const slot = s * this.nIntervals + k;
    const iv = this.iv[k]!;
    const b = this.bars;
    const first = slot * this.lanes * F;
    const end = first + this.lanes * F;
    const spilled = this.spill.size === 0 ? undefined : this.spill.get(slot);
    let minOpen = Number.POSITIVE_INFINITY;
    let nDue = 0;
    for (let o = first; o < end; o += F) {
      const st = b[o + START]!;
      if (Number.isNaN(st)) continue;
      if (st + iv <= wm) nDue++;
      else if (st < minOpen) minOpen = st;
    }
    if (spilled !== undefined) {
      for (const bar of spilled) if (bar.start + iv > wm && bar.start < minOpen) minOpen = bar.start;
    }
    if (nDue === 0 && spilled === undefined) return minOpen + iv;
    if (spilled === undefined) {
      // Common case: lanes only. Take the due lanes oldest first (nDue is tiny: selection is fine).
      for (let left = nDue; left > 0; left--) {
        let best = -1;
        for (let o = first; o < end; o += F) {
          const st = b[o + START]!;
          if (!Number.isNaN(st) && st + iv <= wm && (best < 0 || st < b[best + START]!)) best = o;
        }
        this.logLane(s, k, slot, best);
      }
      return minOpen + iv;
    }
    // With spilled buckets (rare): merge lanes (offsets ≥ 0) and spills (−1 − index) by start.
    const order = this.order;
    order.length = 0;
    for (let o = first; o < end; o += F) {
      const st = b[o + START]!;
      if (!Number.isNaN(st) && st + iv <= wm) order.push(o);
    }
    for (let i = 0; i < spilled.length; i++) if (spilled[i]!.start + iv <= wm) order.push(-1 - i);
    const startOf = (x: number): number => (x >= 0 ? b[x + START]! : spilled[-1 - x]!.start);
    order.sort((x, y) => startOf(x) - startOf(y));
    for (const x of order) {
      if (x >= 0) this.logLane(s, k, slot, x);
      else {
        const bar = spilled[-1 - x]!;
        this.logFinal(
          s,
          k,
          slot,
          bar.start,
          bar.open,
          bar.high,
          bar.low,
          bar.close,
          bar.volume,
          bar.pv,
          bar.count,
        );
      }
    }
    const left = spilled.filter((x) => x.start + iv > wm);
    if (left.length === 0) this.spill.delete(slot);
    else this.spill.set(slot, left);
    return minOpen + iv;
  }

  /**
   * Pushes one provisional candle per series whose forming (newest) bar changed since the last call and
   * is still open (a coarser series at most once per provisionalEveryMs of event time; until then it
   * stays dirty, and a call with no trade since the previous one emits it). Its indicators are computed as if it closed now (replace semantics, no state change):
   * the final bars' state, plus the closes of any older buckets still open (in order), plus its close.
   */
  emitProvisional(out: Candle[]): void {
    const nInt = this.nIntervals;
    const b = this.bars;
    // A drain with no trade since the previous one (the stream paused or ended) holds nothing back, so
    // every bar's latest state gets downstream even when no more input comes.
    const every = this.maxTime === this.drainedAt ? 0 : this.provisionalEveryMs;
    this.drainedAt = this.maxTime;
    let kept = 0;
    for (let i = 0; i < this.dirtyCount; i++) {
      const slot = this.dirtyList[i]!;
      if (every > 0 && slot % nInt !== this.finest) {
        // a coarser series updated less than `every` ago: stays dirty for a later drain
        if (this.maxTime - this.provisionalAt[slot]! < every) {
          this.dirtyList[kept++] = slot;
          continue;
        }
        this.provisionalAt[slot] = this.maxTime;
      }
      this.dirty[slot] = 0;
      const st = this.newest[slot]!;
      const from = this.dirtyFrom[slot]!;
      this.dirtyFrom[slot] = Number.POSITIVE_INFINITY;
      if (from < st) this.emitOlderOpen(slot, from, st, out);
      const k = slot % nInt; // int32 % int32: cheap
      const o = this.laneAt(slot, Math.floor(st / this.iv[k]!));
      if (b[o + START] !== st) continue; // finalised since: its final candle is already out
      out.push(
        this.provisional(
          slot,
          st,
          b[o + OPEN]!,
          b[o + HIGH]!,
          b[o + LOW]!,
          b[o + CLOSE]!,
          b[o + VOLUME]!,
          b[o + PV]!,
          b[o + COUNT]!,
        ),
      );
    }
    this.dirtyCount = kept;
  }

  /** A provisional candle of an open bucket, with indicators as if it and the open buckets before it closed now. */
  private provisional(
    slot: number,
    start: number,
    open: number,
    high: number,
    low: number,
    close: number,
    volume: number,
    pv: number,
    count: number,
  ): Candle {
    const k = slot % this.nIntervals;
    const n = this.olderOpenCloses(slot, start);
    this.extras[n] = close;
    return {
      symbol: this.symbols[(slot - k) / this.nIntervals]!,
      intervalMs: this.iv[k]! as DurationMs,
      start: start as EventTimeMs,
      open: open as Price,
      high: high as Price,
      low: low as Price,
      close: close as Price,
      volume: volume as Quantity,
      vwap: (pv / volume) as Price,
      trades: count,
      final: false,
      indicators: this.sets[slot]!.valuesAfter(this.extras, n + 1),
    };
  }

  /** Provisional candles for the slot's open buckets with start in [from, before), ascending (rare path). */
  private emitOlderOpen(slot: number, from: number, before: number, out: Candle[]): void {
    const b = this.bars;
    const first = slot * this.lanes * F;
    const end = first + this.lanes * F;
    const spilled = this.spill.size === 0 ? undefined : this.spill.get(slot);
    let last = from - 1;
    for (;;) {
      // the next open bucket after `last` (lanes, then spills), as in olderOpenCloses
      let best = Number.POSITIVE_INFINITY;
      let lane = -1;
      let spill: SpillBar | undefined;
      for (let o = first; o < end; o += F) {
        const st = b[o + START]!;
        if (st > last && st < before && st < best) {
          best = st;
          lane = o;
          spill = undefined;
        }
      }
      if (spilled !== undefined) {
        for (const bar of spilled) {
          if (bar.start > last && bar.start < before && bar.start < best) {
            best = bar.start;
            spill = bar;
          }
        }
      }
      if (best === Number.POSITIVE_INFINITY) return;
      last = best;
      out.push(
        spill === undefined
          ? this.provisional(
              slot,
              best,
              b[lane + OPEN]!,
              b[lane + HIGH]!,
              b[lane + LOW]!,
              b[lane + CLOSE]!,
              b[lane + VOLUME]!,
              b[lane + PV]!,
              b[lane + COUNT]!,
            )
          : this.provisional(
              slot,
              best,
              spill.open,
              spill.high,
              spill.low,
              spill.close,
              spill.volume,
              spill.pv,
              spill.count,
            ),
      );
    }
  }

  /** Writes the closes of the slot's open buckets older than `before`, in start order, into `extras`. */
  private olderOpenCloses(slot: number, before: number): number {
    const b = this.bars;
    const first = slot * this.lanes * F;
    const end = first + this.lanes * F;
    let n = 0;
    const spilled = this.spill.size === 0 ? undefined : this.spill.get(slot);
    let last = Number.NEGATIVE_INFINITY;
    // Ascending walk without allocating: repeatedly take the smallest start in (last, before).
    for (;;) {
      let best = Number.POSITIVE_INFINITY;
      let bestClose = 0;
      for (let o = first; o < end; o += F) {
        const st = b[o + START]!;
        if (st > last && st < before && st < best) {
          best = st;
          bestClose = b[o + CLOSE]!;
        }
      }
      if (spilled !== undefined) {
        for (const bar of spilled) {
          if (bar.start > last && bar.start < before && bar.start < best) {
            best = bar.start;
            bestClose = bar.close;
          }
        }
      }
      if (best === Number.POSITIVE_INFINITY) return n;
      if (n + 1 >= this.extras.length) {
        const bigger = new Float64Array(this.extras.length * 2);
        bigger.set(this.extras);
        this.extras = bigger;
      }
      this.extras[n++] = bestClose;
      last = best;
    }
  }

  /**
   * Writes the state of the series of `symbols` (ascending indexes; every other symbol must never have
   * had a trade, so its series are in their initial state). Per series only what is live is written:
   * its open lanes and, once it has had a final bar, its indicators. Final bars not yet drained are not
   * part of it (the caller snapshots those).
   */
  write(w: ByteWriter, symbols: Int32Array, spacing = true): void {
    w.f64(this.wm);
    w.f64(this.acceptFrom);
    w.f64s(this.nextDue);
    const b = this.bars;
    const setLen = this.setLength;
    const state = this.scratchState;
    for (let i = 0; i < symbols.length; i++) {
      for (let k = 0, slot = symbols[i]! * this.nIntervals; k < this.nIntervals; k++, slot++) {
        w.f64(this.newest[slot]!);
        const first = slot * this.lanes * F;
        const end = first + this.lanes * F;
        let open = 0;
        for (let o = first; o < end; o += F) if (!Number.isNaN(b[o + START]!)) open++;
        w.u8(open);
        for (let o = first; o < end; o += F) if (!Number.isNaN(b[o + START]!)) w.f64Run(b, o, o + F);
        this.sets[slot]!.writeState(state, 0);
        if (sameBits(state, this.pristineState)) w.u8(0);
        else {
          w.u8(1);
          w.f64Run(state, 0, setLen);
        }
      }
    }
    w.i32s(this.dirtyList.subarray(0, this.dirtyCount));
    for (let i = 0; i < this.dirtyCount; i++) w.f64(this.dirtyFrom[this.dirtyList[i]!]!);
    w.json([...this.spill.entries()]);
    if (!spacing) return; // format 2 (kept for reading old checkpoints, and tested so)
    // provisional spacing (format 3): the clock, the last drain's and each series' last update
    w.f64(this.maxTime);
    w.f64(this.drainedAt);
    const at = new Float64Array(symbols.length * this.nIntervals);
    for (let i = 0; i < symbols.length; i++)
      at.set(
        this.provisionalAt.subarray(symbols[i]! * this.nIntervals, (symbols[i]! + 1) * this.nIntervals),
        i * this.nIntervals,
      );
    w.f64s(at);
  }

  /**
   * Reads what `write` wrote for the same `symbols` into a book in its initial state. `spacing` false:
   * a snapshot of format 2, from before provisional spacing (every series then starts unspaced).
   */
  read(r: ByteReader, symbols: Int32Array, spacing = true): void {
    this.wm = r.f64();
    this.acceptFrom = r.f64();
    this.nextDue.set(r.f64s(this.nIntervals));
    const b = this.bars;
    const setLen = this.setLength;
    const state = this.scratchState;
    const lane = new Float64Array(F);
    for (let i = 0; i < symbols.length; i++) {
      for (let k = 0, slot = symbols[i]! * this.nIntervals; k < this.nIntervals; k++, slot++) {
        const iv = this.iv[k]!;
        const first = slot * this.lanes * F;
        const nw = r.f64();
        this.newest[slot] = nw;
        // only a hint: `add` checks the lane's start before trusting it
        this.newestAt[slot] = Number.isFinite(nw) ? this.laneAt(slot, Math.floor(nw / iv)) : 0;
        const open = r.u8();
        if (open > this.lanes) throw corrupt(`${open} open lanes in a series of ${this.lanes}`);
        for (let j = 0; j < open; j++) {
          r.f64sInto(lane, 0, F);
          const st = lane[START]!;
          const bucket = Math.floor(st / iv);
          if (!Number.isFinite(st) || bucket * iv !== st) throw corrupt(`open bucket with start ${st}`);
          // a bucket's lane follows from its start, as in `add`
          const o = this.laneAt(slot, bucket);
          if (!(o >= first && o < first + this.lanes * F)) throw corrupt(`open bucket ${st} has no lane`);
          if (!Number.isNaN(b[o + START]!)) throw corrupt('two open buckets in one lane');
          b.set(lane, o);
        }
        const has = r.u8();
        if (has > 1) throw corrupt(`bad indicator flag ${has}`);
        if (has === 1) {
          r.f64sInto(state, 0, setLen);
          this.sets[slot]!.readState(state, 0);
        }
      }
    }
    const dirty = r.i32s();
    if (dirty.length > this.dirtyList.length) throw corrupt('dirty list longer than the series count');
    this.dirty.fill(0);
    dirty.forEach((slot) => {
      if (slot < 0 || slot >= this.dirty.length) throw corrupt(`dirty slot ${slot} out of range`);
      if (this.dirty[slot] === 1) throw corrupt(`dirty slot ${slot} listed twice`);
      this.dirty[slot] = 1;
    });
    this.dirtyList.set(dirty);
    this.dirtyCount = dirty.length;
    this.dirtyFrom.fill(Number.POSITIVE_INFINITY);
    dirty.forEach((slot) => {
      this.dirtyFrom[slot] = r.f64();
    });
    const spill = r.json();
    if (!Array.isArray(spill)) throw corrupt('spill section is not an array');
    this.spill = new Map(spill as [number, SpillBar[]][]);
    this.finals.clear();
    if (spacing) {
      this.maxTime = r.f64();
      this.drainedAt = r.f64();
      const at = r.f64s(symbols.length * this.nIntervals);
      for (let i = 0; i < symbols.length; i++)
        this.provisionalAt.set(
          at.subarray(i * this.nIntervals, (i + 1) * this.nIntervals),
          symbols[i]! * this.nIntervals,
        );
    }
  }
}

/** Bit-for-bit equality of two float arrays of the same length (NaN payloads and −0 included). */
const sameBits = (a: Float64Array, b: Float64Array): boolean => {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};
