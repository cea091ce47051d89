// Replay of a recorded tape (CSV or JSON lines) as batches of trades, streaming and paced.
//
// The file is read in chunks and split into bounded lines (line-splitter.ts), never read whole. Each data
// line becomes a trade or a reject carrying its line number, raw text and reason; nothing is thrown for a
// bad line, so the caller can send rejects to deadletter and the counts reconcile:
// data lines = trades + rejects (blank lines and the CSV header are neither).
// Pacing: speed 1 replays at the tape's own pace (gaps in event time become wall-clock waits), speed N
// N times faster, 'max' as fast as the consumer takes batches.
import { Buffer } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parseJsonLine, tradeFromJson } from '../domain/json.ts';
import type { DeadletterReason, Trade } from '../domain/types.ts';
import type { Universe } from '../domain/universe.ts';
import { reject, type Verdict, validateTrade } from '../domain/validate.ts';
import { type Line, LineSplitter } from './line-splitter.ts';
import { type Clock, Pacer, systemClock, yieldToEventLoop } from './pacing.ts';
import { type Columns, CsvTradeParser, parseHeader } from './tape-csv.ts';
import { TapeCalendar } from './tape-time.ts';

export interface ReplayReject {
  /** 1-based line number in the file. */
  line: number;
  /** The line as read (a prefix of it when oversized). */
  raw: string;
  reason: DeadletterReason;
  detail: string;
}

export interface ReplayBatch {
  trades: Trade[];
  rejects: ReplayReject[];
  /** Bytes of the input consumed so far (for progress). */
  bytesRead: number;
  /** Size of the input in bytes, or 0 when unknown. */
  totalBytes: number;
}

export type TapeFormat = 'csv' | 'jsonl';

export interface ReplayOptions {
  /** Default: from the file extension (.jsonl/.ndjson/.json → jsonl), else from the first line. */
  format?: TapeFormat;
  /** Trade date (YYYY-MM-DD) for tapes whose times are only a time of day (TAQ HHMMSSmmm). */
  date?: string;
  /** Time zone of local tape times (default America/New_York, as TAQ). */
  timeZone?: string;
  /** 1 = the tape's own pace, N = N× faster, 'max' = no pacing (default 'max'). */
  speed?: number | 'max';
  /** Skip gaps longer than this many wall ms (e.g. overnight) instead of waiting them out. */
  maxWaitMs?: number;
  /** Trades + rejects per batch at most (default 1000). */
  batchSize?: number;
  /** Longest accepted line in bytes (default 64 KiB); longer ones are rejected as oversized. */
  maxLineBytes?: number;
  /** When given, symbols outside it are rejected as unknown_symbol. */
  universe?: Universe;
  signal?: AbortSignal;
  clock?: Clock;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const formatFromPath = (path: string): TapeFormat | undefined => {
  const p = path.toLowerCase();
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson') || p.endsWith('.json')) return 'jsonl';
  if (p.endsWith('.csv')) return 'csv';
  return undefined;
};

/** Replays a tape file. The file is opened lazily, on the first iteration. */
export async function* replayFile(path: string, opts: ReplayOptions = {}): AsyncGenerator<ReplayBatch> {
  const totalBytes = (await stat(path)).size;
  const stream = createReadStream(path, { highWaterMark: 64 * 1024, signal: opts.signal });
  try {
    yield* replayStream(stream, totalBytes, { ...opts, format: opts.format ?? formatFromPath(path) });
  } catch (e) {
    if (!(opts.signal?.aborted ?? false)) throw e;
  } finally {
    stream.destroy();
  }
}

/** A parsed data line waiting to be batched. */
type Item = { trade: Trade; reject?: undefined } | { trade?: undefined; reject: ReplayReject };

/** Turns lines into trades or rejects; knows the format, the CSV header and the seq fallback. */
class LineDecoder {
  private format: TapeFormat | undefined;
  private csv: CsvTradeParser | undefined;
  private readonly calendar: TapeCalendar;
  private readonly fixedMidnight: number | undefined;
  private readonly opts: ReplayOptions;
  private readonly maxLineBytes: number;

  constructor(opts: ReplayOptions) {
    this.opts = opts;
    this.format = opts.format;
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.calendar = new TapeCalendar(opts.timeZone);
    if (opts.date !== undefined) {
      this.fixedMidnight = this.calendar.midnight(opts.date);
      if (this.fixedMidnight === undefined) throw new RangeError(`date ${opts.date} is not YYYY-MM-DD`);
    }
  }

  /** Returns the item for a data line, or undefined for a blank line or the header. */
  decode(line: Line): Item | undefined {
    if (line.oversized) {
      return this.rejected(line, reject('oversized', `line longer than ${this.maxLineBytes} bytes`));
    }
    const text = line.text;
    if (text.trim().length === 0) return undefined;
    if (this.format === undefined) this.format = text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
    if (this.format === 'csv' && this.csv === undefined) {
      const cols: Columns = parseHeader(text);
      this.csv = new CsvTradeParser(cols, this.calendar, this.fixedMidnight);
      return undefined;
    }
    const v = this.csv !== undefined ? this.csv.parse(text, line.no) : this.json(text, line.no);
    const u = this.opts.universe;
    const checked = v.ok && u !== undefined ? validateTrade(v.value, u) : v;
    return checked.ok ? { trade: checked.value } : this.rejected(line, checked);
  }

  private json(text: string, lineNo: number): Verdict<Trade> {
    const parsed = parseJsonLine(text, this.maxLineBytes);
    if (!parsed.ok) return parsed;
    const v = tradeFromJson(parsed.value);
    // tradeFromJson defaults a missing seq to 0; on a tape the line number is the better identity.
    if (v.ok && !Object.hasOwn(parsed.value as object, 'seq')) v.value.seq = lineNo;
    return v;
  }

  private rejected(line: Line, r: { reason: DeadletterReason; detail: string }): Item {
    return { reject: { line: line.no, raw: line.text, reason: r.reason, detail: r.detail } };
  }
}

/** Replays a tape from any byte stream; `totalBytes` is for progress only (0 when unknown). */
export async function* replayStream(
  input: AsyncIterable<Uint8Array | string>,
  totalBytes: number,
  opts: ReplayOptions = {},
): AsyncGenerator<ReplayBatch> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1000));
  const speed = opts.speed === undefined || opts.speed === 'max' ? Number.POSITIVE_INFINITY : opts.speed;
  const clock = opts.clock ?? systemClock;
  const signal = opts.signal;
  const splitter = new LineSplitter(opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const decoder = new LineDecoder(opts);
  let pacer: Pacer | undefined;
  let bytesRead = 0;
  const pending: Item[] = [];
  const onLine = (line: Line): void => {
    const item = decoder.decode(line);
    if (item !== undefined) pending.push(item);
  };
  let trades: Trade[] = [];
  let rejects: ReplayReject[] = [];
  const take = (): ReplayBatch => {
    const b = { trades, rejects, bytesRead, totalBytes };
    trades = [];
    rejects = [];
    return b;
  };

  // Drains `pending` into batches, waiting whenever the next trade is not yet due.
  async function* drain(): AsyncGenerator<ReplayBatch> {
    for (let i = 0; i < pending.length; i++) {
      if (signal?.aborted ?? false) return;
      const item = pending[i] as Item;
      if (item.trade !== undefined && speed !== Number.POSITIVE_INFINITY) {
        pacer ??= new Pacer(item.trade.time, clock.now(), speed, opts.maxWaitMs);
        let wait = pacer.delayMs(item.trade.time, clock.now());
        if (wait > 0 && trades.length + rejects.length > 0) yield take();
        while (wait > 0 && !(signal?.aborted ?? false)) {
          await clock.sleep(Math.min(wait, 250), signal);
          wait = pacer.delayMs(item.trade.time, clock.now());
        }
      }
      if (item.trade !== undefined) trades.push(item.trade);
      else rejects.push(item.reject);
      if (trades.length + rejects.length >= batchSize) {
        yield take();
        await yieldToEventLoop();
      }
    }
    pending.length = 0;
  }

  for await (const chunk of input) {
    if (signal?.aborted ?? false) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    bytesRead += bytes.byteLength;
    splitter.push(bytes, onLine);
    yield* drain();
  }
  splitter.end(onLine);
  yield* drain();
  if (trades.length + rejects.length > 0) yield take();
}
