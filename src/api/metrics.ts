/**
 * `/metrics` (SPEC 9) in Prometheus text exposition (format 0.0.4). HTTP figures are counted as
 * requests end, imports and deliveries as they happen (`OperationMetrics`); customers and queue
 * depths are read from the database at scrape time, so they are exact whichever process wrote.
 */
import type { DestinationQueueStats, Health } from "../services/hub.js";
import {
  Counter,
  familyHead,
  Histogram,
  labelText,
  type OperationMetrics,
} from "../services/metrics.js";
import type { RecordCacheStats } from "../services/record-cache.js";

/** Seconds; a read from an index is a few ms, an import request can take seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What `/metrics` reads from the database at scrape time. */
export interface DatabaseFigures {
  health: Health;
  /** Each destination's queue figures (`destinationQueueStats`). */
  destinations: ReadonlyMap<string, DestinationQueueStats>;
}

/** What `/metrics` shows. */
export interface ScrapeState {
  /** Undefined when the database did not answer: its figures are left out, not shown as 0. */
  database: DatabaseFigures | undefined;
  operations: OperationMetrics;
  /** The record cache's figures, when `serve` keeps one. */
  cache?: RecordCacheStats | undefined;
}

export class HttpMetrics {
  readonly #requests = new Counter(
    "custhub_http_requests_total",
    "HTTP requests answered, by route and status.",
  );
  readonly #latencies = new Histogram(
    "custhub_http_request_duration_seconds",
    "Time from request received to response sent.",
    LATENCY_BUCKETS,
  );

  /** `route` is the route's pattern (`/api/v1/customers/:customerID`), never the raw path. */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#latencies.observe({ method, route }, seconds);
  }

  render({ database, operations, cache }: ScrapeState): string {
    const lines: string[] = [
      ...this.#requests.lines(),
      ...this.#latencies.lines(),
      ...familyHead(
        "custhub_database_up",
        "gauge",
        "1 when the database answered this scrape's reads; 0 when it did not and its figures are left out.",
      ),
      `custhub_database_up ${database ? 1 : 0}`,
      ...(database ? databaseLines(database) : []),
      ...operations.lines(),
      ...(cache ? cacheLines(cache) : []),
    ];
    return `${lines.join("\n")}\n`;
  }
}

function databaseLines({ health, destinations }: DatabaseFigures): string[] {
  const perDestination = (
    name: string,
    help: string,
    value: (stats: DestinationQueueStats) => number,
  ): string[] => [
    ...familyHead(name, "gauge", help),
    ...[...destinations.values()].map(
      (stats) => `${name}${labelText({ destination: stats.destination })} ${value(stats)}`,
    ),
  ];
  return [
    ...familyHead("custhub_customers", "gauge", "Customers stored, by state."),
    `custhub_customers${labelText({ state: "active" })} ${health.customers.active}`,
    `custhub_customers${labelText({ state: "total" })} ${health.customers.total}`,
    ...familyHead(
      "custhub_queue_depth",
      "gauge",
      "Rows waiting in the data-sync queues (seeds/001).",
    ),
    `custhub_queue_depth${labelText({ queue: "customer_pending" })} ${health.queues.customerPending}`,
    `custhub_queue_depth${labelText({ queue: "transaction_pending" })} ${health.queues.transactionPending}`,
    `custhub_queue_depth${labelText({ queue: "progress" })} ${health.queues.progress}`,
    ...perDestination(
      "custhub_sync_progress_rows",
      "Rows in the progress queue, by destination: waiting, in flight or failing.",
      (stats) => stats.progress,
    ),
    ...perDestination(
      "custhub_sync_failing_rows",
      "Rows in the progress queue that failed at least once, by destination.",
      (stats) => stats.failing,
    ),
    ...perDestination(
      "custhub_sync_dead_letters",
      "Messages set aside after their last attempt, by destination.",
      (stats) => stats.deadLetters,
    ),
  ];
}

function cacheLines(cache: RecordCacheStats): string[] {
  return [
    ...familyHead(
      "custhub_record_cache_reads_total",
      "counter",
      "Customer reads, by whether the record cache had the record.",
    ),
    `custhub_record_cache_reads_total${labelText({ result: "hit" })} ${cache.hits}`,
    `custhub_record_cache_reads_total${labelText({ result: "miss" })} ${cache.misses}`,
    ...familyHead("custhub_record_cache_bytes", "gauge", "Memory the kept records take, about."),
    `custhub_record_cache_bytes ${cache.bytes}`,
    ...familyHead(
      "custhub_record_cache_trusted",
      "gauge",
      "1 while every write is heard; 0 while nothing is kept.",
    ),
    `custhub_record_cache_trusted ${cache.trusted ? 1 : 0}`,
  ];
}
