/**
 * A destination receives the change stream. Each lives in `destinations/<name>/` with the same
 * files: `settings.ts` (its settings, resolved and checked), `mapping.ts` (a queued row to its
 * message), `client.ts` (its transport and authentication) and `<name>-destination.ts` (which
 * puts them together as a `Destination`, and exports its `DestinationDefinition`). The job run
 * claims rows and hands each to `deliver`.
 */
import type { Queryable } from "../store/database.js";
import type { ClaimedRow } from "../store/sync-deliveries.js";
import type { CredentialLocation } from "./secrets/credential-store.js";
import type { Secret } from "./secrets/secret.js";

export type DeliveryResult =
  /** The receiver took it (seeds/001: HTTP 200). */
  | { kind: "delivered"; status: number }
  /** Nothing to send for this change on this destination (an update-only far side and a DELETE). */
  | { kind: "skipped"; reason: string }
  /**
   * The receiver refused it or could not be reached: try again later. `retryAfterMs`: how long the
   * receiver asked to be left alone (a 429's or 503's Retry-After, `retryAfterMs` in backoff.ts);
   * the next attempt waits at least that long.
   */
  | { kind: "failed"; status: number | null; error: string; retryAfterMs?: number | null }
  /**
   * It can never be sent (no message form for it, or the receiver refused its content: HTTP 400
   * or 422, `status`): straight to the dead letters. The status is kept with the dead letter and
   * the run result, as a failed delivery's is.
   */
  | { kind: "rejected"; status?: number; error: string };

export interface Destination {
  readonly name: string;
  /**
   * Sends one row's message. Throws only when no message can go out at all (no token): the run
   * then stops and its unsent rows are released without counting an attempt.
   */
  deliver(row: ClaimedRow): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** One setting of a destination, stored as text and checked by `parseSettings`. */
export interface DestinationSettingSpec {
  key: string;
  description: string;
  /** The value when none is stored; null: none (then `parseSettings` decides if it is needed). */
  defaultValue: string | null;
  /**
   * The destination's saved credentials are sent where this setting says (its base URL, a token
   * URL). Changing it needs `CREDENTIALS_PERMISSION`, as saving them does: else whoever may
   * configure destinations could send the secret to a host of their choosing.
   */
  sendsCredentials?: true;
}

/** One field of a destination's credentials (kept sealed in the credential store). */
export interface CredentialFieldSpec {
  name: string;
  description: string;
  /** Secret fields are read from stdin by the CLI and never shown again. */
  secret: boolean;
}

/** What the engine gives a destination to open it with. */
export interface DestinationContext<S> {
  settings: S;
  /** The saved credential fields, by `CredentialFieldSpec.name`. */
  credentials: Readonly<Record<string, Secret>>;
  /** Connect and response timeout of each request. */
  timeoutMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /**
   * For destinations that keep records of their own beside their settings (Datanuum's
   * reward-points configurations): the database, read only, and sealed credentials by location.
   * Always given by the engine; optional so that a test may open a destination without them.
   */
  lookup?: DestinationLookup;
}

export interface DestinationLookup {
  db: Queryable;
  loadCredentials(location: CredentialLocation): Promise<Record<string, Secret>>;
}

/**
 * A kind of destination as the engine, the CLI and the API see it: its name, its settings and
 * credentials, and how to open it. Adding a connector is one folder exporting one of these.
 */
export interface DestinationDefinition<S = unknown> {
  name: string;
  /** One line for `custhub destinations list`. */
  description: string;
  settings: readonly DestinationSettingSpec[];
  credentialFields: readonly CredentialFieldSpec[];
  /**
   * Checks the stored values (defaults filled in) and resolves them; throws a `CusthubError` with
   * code `INVALID_SETTING` whose message names the key (and, for JSON values, the entry) at fault.
   */
  parseSettings(values: Readonly<Record<string, string | null>>): S;
  open(context: DestinationContext<S>): Promise<Destination> | Destination;
  /**
   * Where the settings and the enabled flag live. Default `destination`: the destination's own
   * rows (`sync_destinations`, `sync_destination_settings`), credentials sealed under map
   * `destinations`, key the name. `hub`: the settings are hub settings under the spec's keys, the
   * flag is the boolean hub setting `enabledSetting`, and `credentialLocation` says where the
   * credentials are (the data-sync endpoint: seeds/001's `DataSync*` settings).
   */
  storage?:
    | { kind: "destination" }
    | {
        kind: "hub";
        enabledSetting: string;
        credentialLocation(values: Readonly<Record<string, string | null>>): CredentialLocation;
      };
  /** Keep every run's per-delivery results for review (seeds/000: "accumulates ... results"). */
  keepResults?: boolean;
  /**
   * Why the far side is sent no delete (its document offers none): its `deliver` skips a DELETE,
   * and a manual run for a deleted, merged-away or erased customer refuses that customer with
   * this reason. Absent: a DELETE is sent, and a manual run sends one for such a customer.
   */
  noDelete?: string;
}
