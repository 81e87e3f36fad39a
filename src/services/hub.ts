/**
 * The composition root: opens the database the configuration names, brings its schema up to date
 * and hands out the services. The CLI and the API start here and never touch the store directly.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openDatabase, type Database } from "../store/database.js";
import {
  currentMigration,
  listMigrations,
  migrate,
  type MigrationReport,
} from "../store/migrate.js";
import { countCustomers, CUSTOMERS_TABLE } from "../store/customers.js";
import { queueDepths } from "../store/outbox.js";
import { destinationQueueStats, type DestinationQueueStats } from "../store/sync-queue-depths.js";
import type { Config } from "./config.js";
import { acquireDataDirLock, lockStateOf, type DataDirLock } from "./data-dir-lock.js";
import { CustomerService } from "./customers.js";
import { RecordCache } from "./record-cache.js";
import { ApiKeyService } from "./api-keys.js";
import { CardService } from "./cards.js";
import { ImportService } from "./imports.js";
import { ReferenceDataService } from "./reference-data.js";
import { SettingsService } from "./settings.js";
import { SegmentService } from "./segments.js";
import { FranchiseeService } from "./franchisees.js";
import { AssociateAssignmentService } from "./associate-assignments.js";
import { TransactionService } from "./transactions.js";
import { OperationMetrics } from "./metrics.js";

export interface HubOptions {
  /** Apply pending migrations while opening (default true). */
  migrate?: boolean;
  /** Work in this schema (tests). */
  schema?: string;
  poolSize?: number;
  /** Named in the data dir's lock file while the embedded database is open (default `cli`). */
  purpose?: string;
  /** The data dir's lock, already taken by the caller (`custhub serve`, before its admin socket). */
  lock?: DataDirLock;
}

export interface Health {
  database: "pglite" | "postgres";
  migration: number;
  latestMigration: number;
  customers: { total: number; active: number };
  queues: { customerPending: number; transactionPending: number; progress: number };
}

export class Hub {
  readonly customers: CustomerService;
  readonly settings: SettingsService;
  readonly referenceData: ReferenceDataService;
  readonly imports: ImportService;
  readonly cards: CardService;
  readonly apiKeys: ApiKeyService;
  readonly segments: SegmentService;
  readonly franchisees: FranchiseeService;
  readonly associateAssignments: AssociateAssignmentService;
  readonly transactions: TransactionService;
  /** What this process imports and delivers, for `/metrics`. */
  readonly metrics = new OperationMetrics();
  #stopWatching: (() => Promise<void>) | undefined;
  /** The migrations that opening this hub applied (`openHub`), for `custhub migrate` to report. */
  migratedAtOpen: readonly string[] = [];

  constructor(
    readonly db: Database,
    private readonly onClose: () => void = () => undefined,
  ) {
    this.customers = new CustomerService(db);
    this.settings = new SettingsService(db);
    this.referenceData = new ReferenceDataService(db);
    this.imports = new ImportService(db);
    this.cards = new CardService(db);
    this.apiKeys = new ApiKeyService(db);
    this.segments = new SegmentService(db);
    this.franchisees = new FranchiseeService(db);
    this.associateAssignments = new AssociateAssignmentService(db);
    this.transactions = new TransactionService(db);
  }

  migrate(): Promise<MigrationReport> {
    return migrate(this.db);
  }

  async health(): Promise<Health> {
    const [migration, migrations, customers, queues] = await Promise.all([
      currentMigration(this.db),
      listMigrations(),
      countCustomers(this.db),
      queueDepths(this.db),
    ]);
    return {
      database: this.db.kind,
      migration,
      latestMigration: migrations.at(-1)?.id ?? 0,
      customers,
      queues,
    };
  }

  /** Each destination's progress rows, failing rows and dead letters, read now. */
  destinationQueues(): Promise<ReadonlyMap<string, DestinationQueueStats>> {
    return destinationQueueStats(this.db);
  }

  /**
   * Keeps up to `maxBytes` of customer records in memory for reads (`custhub serve`), told of
   * every write to customers: by this process as it commits, by any other writer through the
   * change trigger's notifications.
   */
  async keepRecords(maxBytes: number): Promise<RecordCache> {
    if (this.#stopWatching) throw new Error("Records are already kept.");
    const cache = new RecordCache(maxBytes);
    this.#stopWatching = await this.db.watch(CUSTOMERS_TABLE, cache);
    this.customers.recordCache = cache;
    return cache;
  }

  async close(): Promise<void> {
    try {
      await this.#stopWatching?.();
      await this.db.close();
    } finally {
      this.onClose();
    }
  }
}

/** Where the embedded database keeps its files inside the data dir. */
export const embeddedDatabaseDir = (dataDir: string): string => join(dataDir, "db");

/**
 * Takes the data dir's lock, taking over a stale one. A data dir that a live server holds is
 * refused with a message naming its pid (the CLI forwards its commands there instead).
 */
export async function takeDataDirLock(
  dataDir: string,
  purpose: string,
  options: { socket?: string } = {},
): Promise<DataDirLock> {
  mkdirSync(dataDir, { recursive: true });
  const holder = await lockStateOf(dataDir);
  return acquireDataDirLock(dataDir, purpose, {
    ...options,
    ...(holder.state === "stale" ? { staleHolder: holder.owner.pid } : {}),
  });
}

export async function openHub(
  config: Pick<Config, "dataDir" | "databaseUrl"> & Partial<Pick<Config, "preparedStatements">>,
  options: HubOptions = {},
): Promise<Hub> {
  let lock = options.lock;
  if (!config.databaseUrl && !lock) {
    lock = await takeDataDirLock(config.dataDir, options.purpose ?? "cli");
  }
  let db: Database;
  try {
    db = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.databaseUrl ? undefined : embeddedDatabaseDir(config.dataDir),
      schema: options.schema,
      poolSize: options.poolSize,
      preparedStatements: config.preparedStatements,
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  const hub = new Hub(db, () => lock?.release());
  if (options.migrate !== false) {
    try {
      hub.migratedAtOpen = (await hub.migrate()).applied;
      // An import still marked running that no live process claims was left by one that died.
      await hub.imports.closeInterrupted();
    } catch (error) {
      await hub.close().catch(() => undefined);
      throw error;
    }
  }
  return hub;
}

export type { DestinationQueueStats };
