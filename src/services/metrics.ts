/**
 * What this process has done, counted as it happens, for `/metrics` (SPEC 9: imports, records,
 * deliveries by outcome, latencies). Prometheus text exposition (format 0.0.4), written by hand: a
 * counter and a histogram are a few lines, not worth a dependency.
 *
 * Counts are the process's own, as Prometheus expects of a counter: each process that imports or
 * delivers is scraped on its own. A CLI command handed to a running server (docs/cli-forwarding.md)
 * is counted by the server.
 */

type Labels = Readonly<Record<string, string>>;

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** `{a="1",b="2"}`, or nothing for no labels. */
export const labelText = (labels: Labels): string => {
  const pairs = Object.entries(labels);
  return pairs.length === 0
    ? ""
    : `{${pairs.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(",")}}`;
};

/** The `# HELP` and `# TYPE` lines of a metric family. */
export const familyHead = (name: string, type: "counter" | "gauge" | "histogram", help: string) => [
  `# HELP ${name} ${help}`,
  `# TYPE ${name} ${type}`,
];

/** A counter with labels: one series per distinct label set, in the order first seen. */
export class Counter {
  readonly #series = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  inc(labels: Labels, by = 1): void {
    const key = labelText(labels);
    const series = this.#series.get(key);
    if (series) series.value += by;
    else this.#series.set(key, { labels, value: by });
  }

  value(labels: Labels): number {
    return this.#series.get(labelText(labels))?.value ?? 0;
  }

  lines(): string[] {
    return [
      ...familyHead(this.name, "counter", this.help),
      ...[...this.#series.values()].map(
        ({ labels, value }) => `${this.name}${labelText(labels)} ${value}`,
      ),
    ];
  }
}

/** A histogram of seconds with labels; `bounds` ascending, `+Inf` added. */
export class Histogram {
  readonly #series = new Map<
    string,
    { labels: Labels; buckets: number[]; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels, seconds: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (!series) {
      series = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    for (const [at, bound] of this.bounds.entries()) {
      if (seconds <= bound) series.buckets[at]! += 1;
    }
    series.sum += seconds;
    series.count += 1;
  }

  count(labels: Labels): number {
    return this.#series.get(labelText(labels))?.count ?? 0;
  }

  lines(): string[] {
    const lines = familyHead(this.name, "histogram", this.help);
    for (const { labels, buckets, sum, count } of this.#series.values()) {
      for (const [at, bound] of this.bounds.entries()) {
        lines.push(
          `${this.name}_bucket${labelText({ ...labels, le: String(bound) })} ${buckets[at]!}`,
        );
      }
      lines.push(
        `${this.name}_bucket${labelText({ ...labels, le: "+Inf" })} ${count}`,
        `${this.name}_sum${labelText(labels)} ${sum}`,
        `${this.name}_count${labelText(labels)} ${count}`,
      );
    }
    return lines;
  }
}

/** Seconds a delivery may take: a receiver on the same network answers in ms, a slow one in s. */
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds a whole file may take: a few blocks in ms, a large file in minutes. */
const IMPORT_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

/** A delivery attempt's result, as the destination answered (`DeliveryResult.kind`), or `error`. */
export type DeliveryMetricResult = "delivered" | "skipped" | "failed" | "rejected" | "error";

export class OperationMetrics {
  readonly importBlocks = new Counter(
    "custhub_import_blocks_total",
    "Blocks of batch files imported, by action and outcome (a warned block succeeded).",
  );
  readonly importWarnings = new Counter(
    "custhub_import_block_warnings_total",
    "Imported blocks that succeeded with warnings, by action.",
  );
  readonly imports = new Counter(
    "custhub_imports_total",
    "Batch files whose import ended, by status (completed, failed: unreadable or stopped).",
  );
  readonly importSeconds = new Histogram(
    "custhub_import_duration_seconds",
    "Time from a file's import start to its end.",
    IMPORT_BUCKETS,
  );
  #importsRunning = 0;
  readonly deliveries = new Counter(
    "custhub_sync_deliveries_total",
    "Delivery attempts, by destination and result (delivered, skipped, failed, rejected, error).",
  );
  readonly deliverySeconds = new Histogram(
    "custhub_sync_delivery_duration_seconds",
    "Time a delivery attempt took, request to answer, by destination.",
    DELIVERY_BUCKETS,
  );
  readonly syncRuns = new Counter(
    "custhub_sync_runs_total",
    "Sync job runs ended, by destination and outcome.",
  );

  /** Counts an import as running until the returned function is called with its status. */
  importStarted(): (status: "completed" | "failed", seconds: number) => void {
    this.#importsRunning += 1;
    let ended = false;
    return (status, seconds) => {
      if (ended) return;
      ended = true;
      this.#importsRunning -= 1;
      this.imports.inc({ status });
      this.importSeconds.observe({}, seconds);
    };
  }

  importedBlock(action: string, outcome: "succeeded" | "failed", warned: boolean): void {
    this.importBlocks.inc({ action, outcome });
    if (warned) this.importWarnings.inc({ action });
  }

  delivered(destination: string, result: DeliveryMetricResult, seconds: number): void {
    this.deliveries.inc({ destination, result });
    this.deliverySeconds.observe({ destination }, seconds);
  }

  lines(): string[] {
    return [
      ...this.imports.lines(),
      ...familyHead("custhub_imports_running", "gauge", "Batch file imports under way."),
      `custhub_imports_running ${this.#importsRunning}`,
      ...this.importSeconds.lines(),
      ...this.importBlocks.lines(),
      ...this.importWarnings.lines(),
      ...this.syncRuns.lines(),
      ...this.deliveries.lines(),
      ...this.deliverySeconds.lines(),
    ];
  }
}
