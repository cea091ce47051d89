// A progress display on stderr for long runs (replays, bulk loads, benchmarks).
//
// On a terminal it redraws one line in place (bar, percent, rate, ETA) at most `redrawMs` apart (default
// 100 ms, ~10 per second), so updating it per batch costs nothing. When stderr is not a terminal (CI,
// a log file) carriage returns would make a mess, so it writes a plain line every `plainEveryMs`
// (default 10 s) instead. The clock and the stream are injectable for tests.

export interface ProgressStream {
  write(s: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** What is being counted, e.g. "trades" or "bytes". */
  unit?: string;
  /** Total expected, if known: enables percent, bar and ETA. */
  total?: number;
  label?: string;
  stream?: ProgressStream;
  now?: () => number;
  redrawMs?: number;
  plainEveryMs?: number;
  /** Force TTY or plain mode (default: the stream's isTTY). */
  tty?: boolean;
}

export interface ProgressState {
  done: number;
  total?: number;
  elapsedMs: number;
  unit: string;
  label: string;
}

/** 1234567 → "1.23M"; small numbers stay whole. */
export const humanCount = (n: number): string => {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
};

/** Seconds → "1h02m", "3m05s", "42s". */
export const humanDuration = (ms: number): string => {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
};

/** The text of one progress line (without a bar); pure, so it is tested directly. */
export const formatProgress = (p: ProgressState): string => {
  const secs = p.elapsedMs / 1000;
  const rate = secs > 0 ? p.done / secs : 0;
  const parts: string[] = [];
  if (p.label !== '') parts.push(p.label);
  if (p.total !== undefined && p.total > 0) {
    const frac = Math.min(1, p.done / p.total);
    parts.push(`${(frac * 100).toFixed(1)}%`);
    parts.push(`${humanCount(p.done)}/${humanCount(p.total)} ${p.unit}`);
    parts.push(`${humanCount(rate)} ${p.unit}/s`);
    const eta = rate > 0 ? ((p.total - p.done) / rate) * 1000 : Number.NaN;
    parts.push(`ETA ${p.done >= p.total ? '0s' : humanDuration(eta)}`);
  } else {
    parts.push(`${humanCount(p.done)} ${p.unit}`);
    parts.push(`${humanCount(rate)} ${p.unit}/s`);
    parts.push(`elapsed ${humanDuration(p.elapsedMs)}`);
  }
  return parts.join('  ');
};

/** A text bar of `width` cells for a fraction 0..1. */
export const bar = (fraction: number, width: number): string => {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
};

export class Progress {
  private readonly stream: ProgressStream;
  private readonly now: () => number;
  private readonly started: number;
  private readonly tty: boolean;
  private readonly minGapMs: number;
  private readonly unit: string;
  private readonly label: string;
  private total: number | undefined;
  private done = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private finished = false;

  constructor(opts: ProgressOptions = {}) {
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.minGapMs = this.tty ? (opts.redrawMs ?? 100) : (opts.plainEveryMs ?? 10_000);
    this.unit = opts.unit ?? 'items';
    this.label = opts.label ?? '';
    this.total = opts.total;
    if (!this.tty) this.lastDraw = this.started; // plain mode: first line after one period, not at 0
  }

  /** Sets the absolute count (e.g. bytes read so far). */
  update(done: number, total?: number): void {
    this.done = done;
    if (total !== undefined) this.total = total;
    this.maybeDraw();
  }

  /** Adds to the count. */
  add(n: number): void {
    this.done += n;
    this.maybeDraw();
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.draw(true);
  }

  private maybeDraw(): void {
    if (this.finished) return;
    if (this.now() - this.lastDraw >= this.minGapMs) this.draw(false);
  }

  private draw(final: boolean): void {
    const t = this.now();
    this.lastDraw = t;
    const text = formatProgress({
      done: this.done,
      total: this.total,
      elapsedMs: t - this.started,
      unit: this.unit,
      label: this.label,
    });
    if (!this.tty) {
      this.stream.write(`${text}\n`);
      return;
    }
    const cols = this.stream.columns ?? 80;
    const withBar =
      this.total !== undefined && this.total > 0 && cols - text.length > 14
        ? `${bar(this.done / this.total, Math.min(30, cols - text.length - 4))} ${text}`
        : text;
    // \r + clear-to-end-of-line redraws in place; the final draw ends with a newline.
    this.stream.write(`\r${withBar.slice(0, cols - 1)}\x1b[K${final ? '\n' : ''}`);
  }
}
