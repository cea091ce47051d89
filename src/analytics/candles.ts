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

/**
 * An open bucket that did not fit in its series' lanes: F floats in a lane's layout, so the code that
 * updates, finalises and emits a lane serves it too (as `(array, offset 0)`).
 */
type SpillBar = Float64Array;

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
  /** Where nextOpen found its bucket (a lane of `bars`, or a spilled bar at 0). */
  private foundIn: Float64Array = new Float64Array(F);
  private foundAt = 0;
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
          this.update(bars, o, price, size, time, seq);
          this.markDirty(slot, nw);
          continue;
        }
      }
      const b = Math.floor(time / iv);
      const st = b * iv;
      const o = this.laneAt(slot, b);
      const cur = bars[o + START]!;
      if (cur === st) {
        this.update(bars, o, price, size, time, seq);
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
        this.init(bars, o, st, price, size, time, seq);
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

  private init(
    b: Float64Array,
    o: number,
    st: number,
    price: number,
    size: number,
    time: number,
    seq: number,
  ): void {
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

  private update(b: Float64Array, o: number, price: number, size: number, time: number, seq: number): void {
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
    const bar: SpillBar = b.slice(o, o + F);
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
    const bar = list.find((x) => x[START] === st);
    if (bar !== undefined) {
      this.update(bar, 0, price, size, time, seq);
      return;
    }
    const fresh: SpillBar = new Float64Array(F);
    this.init(fresh, 0, st, price, size, time, seq);
    list.push(fresh);
    const due = st + this.iv[k]!;
    if (due < this.nextDue[k]!) this.nextDue[k] = due;
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

  /**
   * Adds the final bar at b[o..o + F) (a lane, or a spilled bar at 0) to its series' indicators, logs
   * it with their values, and empties it.
   */
  private logFinal(s: number, k: number, slot: number, b: Float64Array, o: number): void {
    const set = this.sets[slot]!;
    const start = b[o + START]!;
    const close = b[o + CLOSE]!;
    const volume = b[o + VOLUME]!;
    set.add(close);
    const r = this.finals.append();
    const d = this.finals.data;
    d[r + R_SLOT] = slot;
    d[r + R_START] = start;
    d[r + R_OPEN] = b[o + OPEN]!;
    d[r + R_HIGH] = b[o + HIGH]!;
    d[r + R_LOW] = b[o + LOW]!;
    d[r + R_CLOSE] = close;
    d[r + R_VOLUME] = volume;
    d[r + R_PV] = b[o + PV]!;
    d[r + R_COUNT] = b[o + COUNT]!;
    set.writeRaw(d, r + R_INDICATORS);
    b[o + START] = Number.NaN;
    this.onFinal?.(s, k, start, volume, close);
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
      for (const bar of spilled) {
        const st = bar[START]!;
        if (st + iv > wm && st < minOpen) minOpen = st;
      }
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
        this.logFinal(s, k, slot, this.bars, best);
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
    for (let i = 0; i < spilled.length; i++) if (spilled[i]![START]! + iv <= wm) order.push(-1 - i);
    const startOf = (x: number): number => (x >= 0 ? b[x + START]! : spilled[-1 - x]![START]!);
    order.sort((x, y) => startOf(x) - startOf(y));
    for (const x of order) {
      if (x >= 0) this.logFinal(s, k, slot, b, x);
      else this.logFinal(s, k, slot, spilled[-1 - x]!, 0);
    }
    const left = spilled.filter((x) => !Number.isNaN(x[START]!)); // logFinal empties what it logs
    if (left.length === 0) this.spill.delete(slot);
    else this.spill.set(slot, left);
    return minOpen + iv;
  }

  /**
   * Pushes one provisional candle per series whose forming (newest) bar changed since the last call and
   * is still open (a coarser series at most once per provisionalEveryMs of event time; until then it
   * stays dirty, and a call with no trade since the previous one emits it). Its indicators are computed
   * as if it closed now (replace semantics, no state change): the final bars' state, plus the closes of
   * any older buckets still open (in order), plus its close.
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
      out.push(this.provisional(slot, b, o));
    }
    this.dirtyCount = kept;
  }

  /**
   * A provisional candle of the open bucket at b[o..o + F) (a lane, or a spilled bar at 0), with
   * indicators as if it and the open buckets before it closed now.
   */
  private provisional(slot: number, b: Float64Array, o: number): Candle {
    const k = slot % this.nIntervals;
    const start = b[o + START]!;
    const close = b[o + CLOSE]!;
    const volume = b[o + VOLUME]!;
    const n = this.olderOpenCloses(slot, start);
    this.extras[n] = close;
    return {
      symbol: this.symbols[(slot - k) / this.nIntervals]!,
      intervalMs: this.iv[k]! as DurationMs,
      start: start as EventTimeMs,
      open: b[o + OPEN]! as Price,
      high: b[o + HIGH]! as Price,
      low: b[o + LOW]! as Price,
      close: close as Price,
      volume: volume as Quantity,
      vwap: (b[o + PV]! / volume) as Price,
      trades: b[o + COUNT]!,
      final: false,
      indicators: this.sets[slot]!.valuesAfter(this.extras, n + 1),
    };
  }

  /** Provisional candles for the slot's open buckets with start in [from, before), ascending (rare path). */
  private emitOlderOpen(slot: number, from: number, before: number, out: Candle[]): void {
    for (let last = from - 1; ; ) {
      last = this.nextOpen(slot, last, before);
      if (last === Number.POSITIVE_INFINITY) return;
      out.push(this.provisional(slot, this.foundIn, this.foundAt));
    }
  }

  /** Writes the closes of the slot's open buckets older than `before`, in start order, into `extras`. */
  private olderOpenCloses(slot: number, before: number): number {
    let n = 0;
    for (let last = Number.NEGATIVE_INFINITY; ; ) {
      last = this.nextOpen(slot, last, before);
      if (last === Number.POSITIVE_INFINITY) return n;
      if (n + 1 >= this.extras.length) {
        const bigger = new Float64Array(this.extras.length * 2);
        bigger.set(this.extras);
        this.extras = bigger;
      }
      this.extras[n++] = this.foundIn[this.foundAt + CLOSE]!;
    }
  }

  /**
   * The smallest start among the slot's open buckets (lanes and spills) in (after, before), or +∞; the
   * bucket is then at foundIn[foundAt..]. Repeated calls walk them in order without allocating.
   */
  private nextOpen(slot: number, after: number, before: number): number {
    const b = this.bars;
    const first = slot * this.lanes * F;
    const end = first + this.lanes * F;
    let best = Number.POSITIVE_INFINITY;
    for (let o = first; o < end; o += F) {
      const st = b[o + START]!; // NaN (an empty lane) fails every comparison
      if (st > after && st < before && st < best) {
        best = st;
        this.foundIn = b;
        this.foundAt = o;
      }
    }
    const spilled = this.spill.size === 0 ? undefined : this.spill.get(slot);
    if (spilled !== undefined) {
      for (const bar of spilled) {
        const st = bar[START]!;
        if (st > after && st < before && st < best) {
          best = st;
          this.foundIn = bar;
          this.foundAt = 0;
        }
      }
    }
    return best;
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
    w.json([...this.spill].map(([slot, bars]) => [slot, bars.map((bar) => Array.from(bar))]));
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
    this.spill = new Map();
    for (const entry of spill as unknown[]) {
      const [slot, bars] = Array.isArray(entry) ? (entry as unknown[]) : [];
      if (typeof slot !== 'number' || !Array.isArray(bars)) throw corrupt('bad spill entry');
      this.spill.set(slot, bars.map(spillBarOf));
    }
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

/** Names of a lane's fields, as snapshots before format 3's arrays wrote spilled bars (JSON objects). */
const SPILL_FIELDS: readonly [string, number][] = [
  ['start', START],
  ['high', HIGH],
  ['low', LOW],
  ['volume', VOLUME],
  ['pv', PV],
  ['count', COUNT],
  ['openT', OPEN_T],
  ['openSeq', OPEN_SEQ],
  ['open', OPEN],
  ['closeT', CLOSE_T],
  ['closeSeq', CLOSE_SEQ],
  ['close', CLOSE],
];

/** A spilled bar from a snapshot: F finite numbers in lane layout, or the older object form. */
export const spillBarOf = (x: unknown): SpillBar => {
  const fields: unknown[] = Array.isArray(x)
    ? x
    : typeof x === 'object' && x !== null
      ? SPILL_FIELDS.map(([name]) => (x as Record<string, unknown>)[name])
      : [];
  if (fields.length !== F || !fields.every((v) => typeof v === 'number' && Number.isFinite(v)))
    throw corrupt('bad spilled bar');
  const bar = new Float64Array(F);
  if (Array.isArray(x)) bar.set(fields as number[]);
  else
    SPILL_FIELDS.forEach(([, i], j) => {
      bar[i] = fields[j] as number;
    });
  return bar;
};

/** Bit-for-bit equality of two float arrays of the same length (NaN payloads and −0 included). */
const sameBits = (a: Float64Array, b: Float64Array): boolean => {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
};
