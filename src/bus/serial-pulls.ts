// The pull side every consumer adapter shares: pulls run one after another (two iterators over the same
// consumer never interleave, and close() can wait for the one in progress), exposed as the port's
// async iterable of batches.
import type { RecordBatch } from './port.ts';

export const DONE: IteratorResult<RecordBatch> = { done: true, value: undefined };

export class SerialPulls {
  private readonly pull: () => Promise<IteratorResult<RecordBatch>>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(pull: () => Promise<IteratorResult<RecordBatch>>) {
    this.pull = pull;
  }

  /** One pull, after every pull asked for before it. */
  next(): Promise<IteratorResult<RecordBatch>> {
    const result = this.chain.then(this.pull);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Settles once the pulls asked for so far have ended (never rejects). */
  idle(): Promise<unknown> {
    return this.chain;
  }

  iterable(): AsyncIterable<RecordBatch> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<RecordBatch> => ({
        next: () => this.next(),
        // Leaving a for-await loop does not leave the group (as in Kafka): the consumer's close() does.
        return: () => Promise.resolve(DONE),
      }),
    };
  }
}
