/**
 * A destination receives the change stream. Each lives in `destinations/<name>/` with the same
 * files: `settings.ts` (its settings, resolved and checked), `mapping.ts` (a queued row to its
 * message), `client.ts` (its transport and authentication) and `<name>-destination.ts` (which
 * puts them together as a `Destination`). The job run claims rows and hands each to `deliver`.
 */
import type { ClaimedRow } from "../store/sync-queue.js";

export type DeliveryResult =
  /** The receiver took it (seeds/001: HTTP 200). */
  | { kind: "delivered"; status: number }
  /** The receiver refused it or could not be reached: try again later. */
  | { kind: "failed"; status: number | null; error: string }
  /** It can never be sent (no message form for it): straight to the dead letters. */
  | { kind: "rejected"; error: string };

export interface Destination {
  readonly name: string;
  /**
   * Sends one row's message. Throws only when no message can go out at all (no token): the run
   * then stops and its unsent rows are released without counting an attempt.
   */
  deliver(row: ClaimedRow): Promise<DeliveryResult>;
  close(): Promise<void>;
}
