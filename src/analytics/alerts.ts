// Price alerts, evaluated on every trade:
//  (a) move_vs_prev_close: last price vs the previous close — the last trade, by (time, seq), of the
//      previous UTC day that had trades; before such a day exists, the first price seen for the symbol;
//  (b) move_in_window: the price vs the min (rise) and max (drop) of the rolling event-time window;
//  (c) user rules (AlertRule): price_above, price_below, pct_move (vs the same reference as (a)).
// Hysteresis: a condition fires when it becomes true and stays silent until the value has gone back past
// the threshold by a margin (hysteresisPct of the threshold), which re-arms it. Up and down moves are
// separate conditions. Ids are built from (symbol, kind, direction or user/rule, time, seq), so a replay
// of the same trades produces the same ids.
import type { Alert, AlertKind, AlertRule, EventTimeMs } from '../domain/types.ts';
import { type ByteReader, type ByteWriter, corrupt } from './bytes.ts';
import { WindowExtremes } from './window-extremes.ts';

const DAY_MS = 86_400_000;

export interface PriceAlertParams {
  movePct: number;
  moveWindowMs: number;
  hysteresisPct: number;
}

interface RuleState {
  rule: AlertRule;
  armed: boolean;
}

export interface SetRulesResult {
  applied: number;
  /** Ids of rules that were ignored: unknown symbol or a threshold that is not a positive finite number. */
  rejected: string[];
}

// Per-symbol state layout (S floats a symbol): first price seen (NaN before), UTC day of the newest
// trade (−∞ before) and that day's close by (time, seq), the previous day and its close (NaN until a
// day has passed), the newest event time seen (window clock), and the current day's [from, to) in ms
// (derived from DAY: not snapshotted).
const FIRST = 0;
const DAY = 1;
const DAY_CLOSE = 2;
const DAY_CLOSE_T = 3;
const DAY_CLOSE_SEQ = 4;
const PREV_DAY = 5;
const PREV_CLOSE = 6;
const PREV_CLOSE_T = 7;
const PREV_CLOSE_SEQ = 8;
const LAST_T = 9;
const DAY_FROM = 10;
const DAY_TO = 11;
const S = 12;
/** The fields a snapshot holds: [0, SNAPSHOT_FIELDS) of a symbol's S (DAY_FROM and DAY_TO follow from DAY). */
const SNAPSHOT_FIELDS = 10;

// armed flags per symbol, 4 per symbol
const MOVE_UP = 0;
const MOVE_DOWN = 1;
const WIN_UP = 2;
const WIN_DOWN = 3;

export class PriceAlerts {
  readonly symbols: readonly string[];
  private readonly movePct: number;
  private readonly windowMs: number;
  /** Fraction of a threshold by which the value must come back to re-arm. */
  private readonly h: number;
  /** Per symbol, S floats interleaved (one symbol's state shares a cache line or two); see the layout. */
  private readonly st: Float64Array;
  private readonly armed: Uint8Array;
  /** Per symbol: the max and min of the prices in the rolling window. */
  private readonly window: WindowExtremes;
  private rules = new Map<number, RuleState[]>();

  constructor(symbols: readonly string[], p: PriceAlertParams) {
    this.symbols = symbols;
    this.movePct = p.movePct;
    this.windowMs = p.moveWindowMs;
    this.h = p.hysteresisPct / 100;
    const n = symbols.length;
    this.st = new Float64Array(n * S);
    for (let o = 0; o < this.st.length; o += S) {
      this.st[o + FIRST] = Number.NaN;
      this.st[o + DAY] = Number.NEGATIVE_INFINITY;
      this.st[o + PREV_DAY] = Number.NEGATIVE_INFINITY;
      this.st[o + PREV_CLOSE] = Number.NaN;
      this.st[o + LAST_T] = Number.NEGATIVE_INFINITY;
      this.st[o + DAY_FROM] = Number.NEGATIVE_INFINITY;
      this.st[o + DAY_TO] = Number.NEGATIVE_INFINITY;
    }
    this.armed = new Uint8Array(n * 4).fill(1);
    this.window = new WindowExtremes(n);
  }

  /** The reference price of (a) for symbol s, NaN before its first trade. */
  reference(s: number): number {
    const pc = this.st[s * S + PREV_CLOSE]!;
    return !Number.isNaN(pc) ? pc : this.st[s * S + FIRST]!;
  }

  /**
   * Replaces the rule set. A rule whose id, symbol, kind and threshold are unchanged keeps its armed
   * state; a new or changed rule starts armed (so one already satisfied fires on the next trade).
   */
  setRules(rules: readonly AlertRule[], indexOf: (symbol: string) => number): SetRulesResult {
    const old = new Map<string, RuleState>();
    for (const list of this.rules.values()) for (const r of list) old.set(r.rule.id, r);
    const next = new Map<number, RuleState[]>();
    const rejected: string[] = [];
    let applied = 0;
    for (const rule of rules) {
      const s = indexOf(rule.symbol);
      if (s < 0 || !Number.isFinite(rule.threshold) || rule.threshold <= 0) {
        rejected.push(rule.id);
        continue;
      }
      const prev = old.get(rule.id);
      const same =
        prev !== undefined &&
        prev.rule.symbol === rule.symbol &&
        prev.rule.kind === rule.kind &&
        prev.rule.threshold === rule.threshold &&
        prev.rule.user === rule.user;
      const state: RuleState = { rule: { ...rule }, armed: same ? prev.armed : true };
      const list = next.get(s);
      if (list === undefined) next.set(s, [state]);
      else list.push(state);
      applied++;
    }
    this.rules = next;
    return { applied, rejected };
  }

  onTrade(s: number, price: number, time: number, seq: number, out: Alert[]): void {
    // --- reference for (a) and pct rules: previous day's close ---
    const st = this.st;
    const o = s * S;
    if (Number.isNaN(st[o + FIRST]!)) st[o + FIRST] = price;
    let current = true; // false for a late trade of an earlier day: no move vs "previous close" for it
    if (time >= st[o + DAY_FROM]! && time < st[o + DAY_TO]!) {
      // the current day (most trades: found without dividing; event times are integers)
      const ct = st[o + DAY_CLOSE_T]!;
      if (time > ct || (time === ct && seq > st[o + DAY_CLOSE_SEQ]!)) {
        st[o + DAY_CLOSE] = price;
        st[o + DAY_CLOSE_T] = time;
        st[o + DAY_CLOSE_SEQ] = seq;
      }
    } else current = this.otherDay(o, price, time, seq);
    const ref = this.reference(s);
    const pct = ((price - ref) / ref) * 100;
    const X = this.movePct;
    const a = s * 4;
    if (current) {
      if (this.cross(a + MOVE_UP, pct, X))
        this.fire(out, s, 'move_vs_prev_close', 'up', time, seq, pct, X, ref);
      if (this.cross(a + MOVE_DOWN, -pct, X)) {
        this.fire(out, s, 'move_vs_prev_close', 'down', time, seq, pct, -X, ref);
      }
    }

    // --- (b) move within the rolling window; a late trade is placed at the newest time seen ---
    let t = st[o + LAST_T]!;
    if (time > t) {
      t = time;
      st[o + LAST_T] = t;
    }
    this.window.push(s, t, price, t - this.windowMs);
    const lo = this.window.min(s);
    const hi = this.window.max(s);
    const rise = ((price - lo) / lo) * 100;
    const drop = ((hi - price) / hi) * 100;
    if (this.cross(a + WIN_UP, rise, X)) this.fire(out, s, 'move_in_window', 'up', time, seq, rise, X, lo);
    if (this.cross(a + WIN_DOWN, drop, X))
      this.fire(out, s, 'move_in_window', 'down', time, seq, -drop, -X, hi);

    // --- (c) user rules ---
    if (this.rules.size === 0) return;
    const list = this.rules.get(s);
    if (list === undefined) return;
    for (const st of list) this.evalRule(st, s, price, pct, current, time, seq, out);
  }

  /**
   * Day bookkeeping for a trade outside the symbol's current UTC day: a newer day rolls the close over,
   * an older one may revise the previous day's close. Returns whether the trade is of the current day.
   */
  private otherDay(o: number, price: number, time: number, seq: number): boolean {
    const st = this.st;
    const day = Math.floor(time / DAY_MS);
    const curDay = st[o + DAY]!;
    if (day > curDay) {
      if (curDay !== Number.NEGATIVE_INFINITY) {
        st[o + PREV_DAY] = curDay;
        st[o + PREV_CLOSE] = st[o + DAY_CLOSE]!;
        st[o + PREV_CLOSE_T] = st[o + DAY_CLOSE_T]!;
        st[o + PREV_CLOSE_SEQ] = st[o + DAY_CLOSE_SEQ]!;
      }
      st[o + DAY] = day;
      st[o + DAY_FROM] = day * DAY_MS;
      st[o + DAY_TO] = (day + 1) * DAY_MS;
      st[o + DAY_CLOSE] = price;
      st[o + DAY_CLOSE_T] = time;
      st[o + DAY_CLOSE_SEQ] = seq;
      return true;
    }
    if (day === curDay) {
      // not reached for integer times (the caller's range check catches them); kept for exactness
      const ct = st[o + DAY_CLOSE_T]!;
      if (time > ct || (time === ct && seq > st[o + DAY_CLOSE_SEQ]!)) {
        st[o + DAY_CLOSE] = price;
        st[o + DAY_CLOSE_T] = time;
        st[o + DAY_CLOSE_SEQ] = seq;
      }
      return true;
    }
    if (day === st[o + PREV_DAY]) {
      const ct = st[o + PREV_CLOSE_T]!;
      if (time > ct || (time === ct && seq > st[o + PREV_CLOSE_SEQ]!)) {
        st[o + PREV_CLOSE] = price;
        st[o + PREV_CLOSE_T] = time;
        st[o + PREV_CLOSE_SEQ] = seq;
      }
    }
    return false;
  }

  /**
   * Hysteresis on armed flag `i` for "value ≥ threshold": returns true when it fires. Re-arms once the
   * value is below threshold − margin.
   */
  private cross(i: number, value: number, threshold: number): boolean {
    if (this.armed[i] === 1) {
      if (value >= threshold) {
        this.armed[i] = 0;
        return true;
      }
    } else if (value < threshold - threshold * this.h) {
      this.armed[i] = 1;
    }
    return false;
  }

  private evalRule(
    st: RuleState,
    s: number,
    price: number,
    pct: number,
    current: boolean,
    time: number,
    seq: number,
    out: Alert[],
  ): void {
    const { rule } = st;
    const th = rule.threshold;
    const margin = th * this.h;
    let value: number;
    let over: boolean;
    let back: boolean;
    if (rule.kind === 'price_above') {
      value = price;
      over = price >= th;
      back = price < th - margin;
    } else if (rule.kind === 'price_below') {
      value = price;
      over = price <= th;
      back = price > th + margin;
    } else {
      if (!current) return;
      value = pct;
      const m = Math.abs(pct);
      over = m >= th;
      back = m < th - margin;
    }
    if (st.armed) {
      if (!over) return;
      st.armed = false;
      const symbol = this.symbols[s]!;
      out.push({
        symbol,
        time: time as EventTimeMs,
        kind: rule.kind,
        value,
        threshold: th,
        user: rule.user,
        id: `${symbol}|${rule.kind}|u${rule.user}/${rule.id}|${time}|${seq}`,
        message:
          rule.kind === 'pct_move'
            ? `${symbol} moved ${fmtPct(value)} vs previous close (rule ${rule.id}: ±${th}%)`
            : `${symbol} at ${price} is ${rule.kind === 'price_above' ? 'at or above' : 'at or below'} ${th} (rule ${rule.id})`,
      });
    } else if (back) {
      st.armed = true;
    }
  }

  private fire(
    out: Alert[],
    s: number,
    kind: AlertKind,
    dir: 'up' | 'down',
    time: number,
    seq: number,
    value: number,
    threshold: number,
    ref: number,
  ): void {
    const symbol = this.symbols[s]!;
    const what =
      kind === 'move_vs_prev_close'
        ? `vs previous close ${ref}`
        : `vs the window ${dir === 'up' ? 'low' : 'high'} ${ref} in the last ${this.windowMs / 1000} s`;
    out.push({
      symbol,
      time: time as EventTimeMs,
      kind,
      value,
      threshold,
      id: `${symbol}|${kind}|${dir}|${time}|${seq}`,
      message: `${symbol} ${dir} ${fmtPct(value)} ${what} (threshold ${threshold}%)`,
    });
  }

  /**
   * Writes the state of `symbols` (ascending indexes; every other symbol must never have had a trade):
   * per symbol its fields, armed flags and the live contents of its window deques, then the rules.
   */
  write(w: ByteWriter, symbols: Int32Array): void {
    const n = this.symbols.length;
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      const o = s * S;
      w.f64Run(this.st, o, o + SNAPSHOT_FIELDS);
      for (let a = s * 4; a < s * 4 + 4; a++) w.u8(this.armed[a]!);
      w.f64s(this.window.toArray(s));
      w.f64s(this.window.toArray(n + s));
    }
    w.json([...this.rules.entries()]);
  }

  /** Reads what `write` wrote for the same `symbols` into alerts in their initial state. */
  read(r: ByteReader, symbols: Int32Array): void {
    const n = this.symbols.length;
    for (let i = 0; i < symbols.length; i++) {
      const s = symbols[i]!;
      const o = s * S;
      r.f64sInto(this.st, o, SNAPSHOT_FIELDS);
      const day = this.st[o + DAY]!;
      this.st[o + DAY_FROM] = Number.isFinite(day) ? day * DAY_MS : Number.NEGATIVE_INFINITY;
      this.st[o + DAY_TO] = Number.isFinite(day) ? (day + 1) * DAY_MS : Number.NEGATIVE_INFINITY;
      for (let a = s * 4; a < s * 4 + 4; a++) {
        const v = r.u8();
        if (v > 1) throw corrupt(`bad armed flag ${v}`);
        this.armed[a] = v;
      }
      for (const q of [s, n + s]) {
        const pairs = r.f64s();
        if (pairs.length % 2 !== 0) throw corrupt('window deque of an odd number of floats');
        this.window.load(q, pairs);
      }
    }
    const rules = r.json();
    if (!Array.isArray(rules)) throw corrupt('rules section is not an array');
    this.rules = new Map(rules as [number, RuleState[]][]);
  }
}

const fmtPct = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}%`;
