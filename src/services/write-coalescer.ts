/**
 * Group commit for single writes. Requests that arrive while the database is busy with earlier
 * ones wait, and then go together: one `applyBatch` (one transaction, one statement per table)
 * instead of one transaction each. A lone request goes at once, alone, so a quiet server adds no
 * latency; a busy one spends far fewer statements and round trips per request. Each request keeps
 * its own outcome: `applyBatch` isolates failures and orders requests on one customer.
 *
 * Requests are batched only with others of the same context (actor and channel), because the
 * history rows of a batch name one actor.
 */

interface Waiting<Operation, Outcome> {
  operation: Operation;
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

export interface CoalescerOptions {
  /** Batches in the database at once: 1 for the embedded database (one session), more for a server. */
  maxInFlight: number;
  /** The most requests in one batch. */
  maxBatch: number;
}

export class WriteCoalescer<Operation, Context, Outcome> {
  readonly #queues = new Map<
    string,
    { context: Context; waiting: Waiting<Operation, Outcome>[] }
  >();
  #inFlight = 0;

  constructor(
    private readonly apply: (
      operations: Operation[],
      context: Context,
    ) => Promise<readonly Outcome[]>,
    private readonly keyOf: (context: Context) => string,
    private readonly options: CoalescerOptions,
  ) {}

  submit(operation: Operation, context: Context): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const key = this.keyOf(context);
      let queue = this.#queues.get(key);
      if (!queue) {
        queue = { context, waiting: [] };
        this.#queues.set(key, queue);
      }
      queue.waiting.push({ operation, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.options.maxInFlight) {
      const next = this.#queues.entries().next();
      if (next.done) return;
      const [key, queue] = next.value;
      const batch = queue.waiting.splice(0, this.options.maxBatch);
      // Out of the map, and back at its end if more wait: contexts take turns.
      this.#queues.delete(key);
      if (queue.waiting.length > 0) this.#queues.set(key, queue);
      this.#inFlight += 1;
      this.apply(
        batch.map((item) => item.operation),
        queue.context,
      )
        .then(
          (outcomes) =>
            batch.forEach((item, index) => {
              const outcome = outcomes[index];
              if (outcome === undefined) item.reject(new Error("No outcome for the operation."));
              else item.resolve(outcome);
            }),
          (error: unknown) => batch.forEach((item) => item.reject(error)),
        )
        .finally(() => {
          this.#inFlight -= 1;
          this.#pump();
        });
    }
  }
}
