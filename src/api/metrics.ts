/**
 * Prometheus text exposition (format 0.0.4) for `/metrics` (SPEC 9), written by hand: a counter
 * and a histogram are a few lines, not worth a dependency. HTTP figures are counted as requests
 * end; customers and queue depths are read from the database at scrape time, so they are exact.
 */
import type { Health } from "../services/hub.js";
import type { RecordCacheStats } from "../services/record-cache.js";

/** Seconds; a read from an index is a few ms, an import request can take seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface RouteLatency {
  method: string;
  route: string;
  buckets: number[];
  sum: number;
  count: number;
}

const escapeLabel = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

const labels = (pairs: Record<string, string>): string =>
  `{${Object.entries(pairs)
    .map(([name, value]) => `${name}="${escapeLabel(value)}"`)
    .join(",")}}`;

export class HttpMetrics {
  private readonly requests = new Map<
    string,
    { method: string; route: string; status: number; count: number }
  >();
  private readonly latencies = new Map<string, RouteLatency>();

  /** `route` is the route's pattern (`/api/v1/customers/:customerID`), never the raw path. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const requestKey = `${method} ${route} ${status}`;
    const counted = this.requests.get(requestKey) ?? { method, route, status, count: 0 };
    counted.count += 1;
    this.requests.set(requestKey, counted);

    const latencyKey = `${method} ${route}`;
    const latency = this.latencies.get(latencyKey) ?? {
      method,
      route,
      buckets: LATENCY_BUCKETS.map(() => 0),
      sum: 0,
      count: 0,
    };
    LATENCY_BUCKETS.forEach((bound, at) => {
      if (seconds <= bound) latency.buckets[at]! += 1;
    });
    latency.sum += seconds;
    latency.count += 1;
    this.latencies.set(latencyKey, latency);
  }

  /** `cache`: the record cache's figures, when `serve` keeps one. */
  render(health: Health, cache?: RecordCacheStats): string {
    const lines: string[] = [
      "# HELP custhub_http_requests_total HTTP requests answered, by route and status.",
      "# TYPE custhub_http_requests_total counter",
    ];
    for (const { method, route, status, count } of this.requests.values()) {
      lines.push(
        `custhub_http_requests_total${labels({ method, route, status: String(status) })} ${count}`,
      );
    }
    lines.push(
      "# HELP custhub_http_request_duration_seconds Time from request received to response sent.",
      "# TYPE custhub_http_request_duration_seconds histogram",
    );
    for (const { method, route, buckets, sum, count } of this.latencies.values()) {
      LATENCY_BUCKETS.forEach((bound, at) => {
        lines.push(
          `custhub_http_request_duration_seconds_bucket${labels({ method, route, le: String(bound) })} ${buckets[at]!}`,
        );
      });
      lines.push(
        `custhub_http_request_duration_seconds_bucket${labels({ method, route, le: "+Inf" })} ${count}`,
        `custhub_http_request_duration_seconds_sum${labels({ method, route })} ${sum}`,
        `custhub_http_request_duration_seconds_count${labels({ method, route })} ${count}`,
      );
    }
    lines.push(
      "# HELP custhub_customers Customers stored, by state.",
      "# TYPE custhub_customers gauge",
      `custhub_customers${labels({ state: "active" })} ${health.customers.active}`,
      `custhub_customers${labels({ state: "total" })} ${health.customers.total}`,
      "# HELP custhub_queue_depth Rows waiting in the data-sync queues (seeds/001).",
      "# TYPE custhub_queue_depth gauge",
      `custhub_queue_depth${labels({ queue: "customer_pending" })} ${health.queues.customerPending}`,
      `custhub_queue_depth${labels({ queue: "transaction_pending" })} ${health.queues.transactionPending}`,
      `custhub_queue_depth${labels({ queue: "progress" })} ${health.queues.progress}`,
    );
    if (cache) {
      lines.push(
        "# HELP custhub_record_cache_reads_total Customer reads, by whether the record cache had the record.",
        "# TYPE custhub_record_cache_reads_total counter",
        `custhub_record_cache_reads_total${labels({ result: "hit" })} ${cache.hits}`,
        `custhub_record_cache_reads_total${labels({ result: "miss" })} ${cache.misses}`,
        "# HELP custhub_record_cache_bytes Memory the kept records take, about.",
        "# TYPE custhub_record_cache_bytes gauge",
        `custhub_record_cache_bytes ${cache.bytes}`,
        "# HELP custhub_record_cache_trusted 1 while every write is heard; 0 while nothing is kept.",
        "# TYPE custhub_record_cache_trusted gauge",
        `custhub_record_cache_trusted ${cache.trusted ? 1 : 0}`,
      );
    }
    return `${lines.join("\n")}\n`;
  }
}
