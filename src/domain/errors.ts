/**
 * The error codes of the source documents (seeds/003 "Batch Processing Errors"), plus the few
 * custhub needs beyond them. Every failure custhub reports carries one of these codes.
 */
export const ERROR_CODES = [
  "ALTERNATE_KEY_TYPECODE_UNSPECIFIED",
  "ALTERNATE_KEY_VALUE_UNSPECIFIED",
  "ATTRIBUTE_VALUE_TOO_LARGE",
  "CUSTOMER_ALREADY_EXISTS",
  // Card Customer Association (seeds/003):
  "ACCOUNT_BLOCKED",
  "ACCOUNT_EXPIRED",
  "AWARD_PROGRAM_EXPIRED",
  "AWARD_PROGRAM_NOT_EFFECTIVE",
  "CARD_EXPIRED",
  "CARD_NOT_FOUND",
  "LYL_PROGRAM_EXPIRED",
  "LYL_PROGRAM_NOT_EFFECTIVE",
  "PROGRAM_EXPIRED",
  "PROGRAM_INACTIVE",
  "PROGRAM_NOT_EFFECTIVE",
  "CUSTOMER_NOT_FOUND",
  "CUSTOMER_NOTE_EMPTY",
  "GENERAL_ERROR",
  "INVALID_ATTRIBUTE_VALUE",
  "INVALID_DATE_FORMAT",
  "MERGE_CUSTOMER_CREATION_EXCEPTION",
  "MULTIPLE_VALUES_ON_UNIQUE_ATTRIBUTE_TYPE",
  "NAME_POSITION_INVALID",
  "UNKNOWN_ATTRIBUTE_TYPE",
  "VALUE_NOT_IN_ENUMERATED_ATTRIBUTE_TYPE_VALUES",
  // Beyond the documents' table:
  /** An alternate key type code that is not in the managed list (`cst_alt_key_typcode`). */
  "UNKNOWN_ALTERNATE_KEY_TYPE",
  /** A non-editable custom attribute sent in an update (seeds/003 "Customer Attributes"). */
  "ATTRIBUTE_NOT_EDITABLE",
  /** A note sequence that already exists on the customer. */
  "DUPLICATE_NOTE",
  /** A request that is malformed in a way none of the codes above describes. */
  "INVALID_REQUEST",
  /** A setting name custhub does not know, or a value of the wrong kind. */
  "INVALID_SETTING",
  /** An attribute type or alternate key type that already exists. */
  "ALREADY_EXISTS",
  /** A card number that is already on file. */
  "CARD_ALREADY_EXISTS",
  /** A card program code that no card program has (`custhub card-programs`). */
  "PROGRAM_NOT_FOUND",
  /** An import id that no import has. */
  "IMPORT_NOT_FOUND",
  /** An import a live process is running, asked to resume (docs/import.md "Interrupted imports"). */
  "IMPORT_IN_PROGRESS",
  /** An import that stopped because it lost its claim: its database session broke. */
  "IMPORT_INTERRUPTED",
  /** An empty element in a batch file: a warning (seeds/003 "Empty XML Tags"). */
  "EMPTY_XML_TAG",
  /** A customer a batch Merge named and the Customer Merge Override left out: a warning. */
  "MERGE_PARTY_SKIPPED",
  // The data-sync job (seeds/001; SPEC 6):
  /** A setting the data-sync job needs (a URL, the credential key name) is not set. */
  "SYNC_NOT_CONFIGURED",
  /** No client ID and secret are saved under the configured credential map and key. */
  "CREDENTIALS_NOT_FOUND",
  /** The master key is malformed, missing, or not the one the credentials were saved under. */
  "MASTER_KEY_INVALID",
  /** The actor's roles do not allow the operation (seeds/001 "Note": roles). */
  "FORBIDDEN",
  /** The OAuth2 token endpoint refused the client credentials or could not be reached. */
  "TOKEN_REQUEST_FAILED",
  /** A request to a receiver failed before an HTTP answer: refused, dropped, timed out. */
  "DELIVERY_FAILED",
  /** A queued row has no message form in Table H-5 (seeds/001): an object and action it lacks. */
  "UNSUPPORTED_SYNC_MESSAGE",
  /** A dead-letter id that no dead letter has. */
  "DEAD_LETTER_NOT_FOUND",
  /** A job run id that names no run of the destination asked about. */
  "RUN_NOT_FOUND",
  // Destinations and connectors (SPEC 7):
  /** A destination name the registry does not list (`custhub destinations list`). */
  "DESTINATION_NOT_FOUND",
  /** A destination that is disabled, asked to run over its queue. */
  "DESTINATION_DISABLED",
  /**
   * A destination whose receiver asked to slow down (a 429, a 503 with Retry-After), asked to
   * run before the pause ends (`custhub destinations resume` ends it).
   */
  "DESTINATION_PAUSED",
  /** A Datanuum reward-points configuration code or id that no configuration has (seeds/000). */
  "REWARD_CONFIG_NOT_FOUND",
  /** A Datanuum reward-points configuration that is disabled (seeds/000: invalid configuration). */
  "REWARD_CONFIG_DISABLED",
  // The REST API (SPEC 5, 10):
  /** No API key, or one that is unknown, malformed or revoked. */
  "UNAUTHORIZED",
  /** An API key id that no key has. */
  "API_KEY_NOT_FOUND",
  /** A request body over the route's size limit. */
  "REQUEST_TOO_LARGE",
  /** A note sequence that the customer has no note under. */
  "NOTE_NOT_FOUND",
  // Card status, segments, franchisees, transactions (SPEC 5; seeds/001 Table H-1):
  /** Activating a card that is already active. */
  "CARD_ALREADY_ACTIVE",
  /** Deactivating a card that is not active. */
  "CARD_NOT_ACTIVE",
  /** Blocking a card that is already blocked. */
  "CARD_ALREADY_BLOCKED",
  /** Unblocking a card that is not blocked. */
  "CARD_NOT_BLOCKED",
  /** A segment id or name that no segment definition has. */
  "SEGMENT_NOT_FOUND",
  /** Removing a customer from a segment it is not in. */
  "CUSTOMER_NOT_IN_SEGMENT",
  /** A franchisee id the customer has no entry for. */
  "FRANCHISEE_NOT_FOUND",
  /** A retail transaction id already posted with different content. */
  "TRANSACTION_ALREADY_EXISTS",
  /** A retail transaction id that no posted transaction has. */
  "TRANSACTION_NOT_FOUND",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One error of the custhub family: a document code, a message for people, details for machines. */
export class CusthubError extends Error {
  override readonly name = "CusthubError";

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isCusthubError(value: unknown): value is CusthubError {
  return value instanceof CusthubError;
}

/** Coerces anything thrown into an `Error`, so `{ cause }` chains always hold real errors. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
