/**
 * A destination whose every delivery attempt is counted and timed in the process's metrics
 * (`custhub_sync_deliveries_total`, `custhub_sync_delivery_duration_seconds`; SPEC 9).
 */
import type { OperationMetrics } from "../services/metrics.js";
import type { Destination } from "./destination.js";

export function measuredDestination(
  destination: Destination,
  metrics: OperationMetrics,
): Destination {
  return {
    name: destination.name,
    async deliver(row) {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const result = await destination.deliver(row);
        metrics.delivered(destination.name, result.kind, seconds());
        return result;
      } catch (error) {
        // No message could go out at all (no token): the run stops on it.
        metrics.delivered(destination.name, "error", seconds());
        throw error;
      }
    },
    close: () => destination.close(),
  };
}
