/**
 * bench:store — add-or-update of N generated customers through the service layer (validation,
 * look-up, customer + alternate keys + history + outbox rows, one transaction per group), against
 * the baseline of a bare multi-row INSERT of the same customer rows. Prints customers/s, peak RSS
 * and the ratio, on PGlite (file-backed, as `npm start` runs) and, given a URL, on PostgreSQL.
 *
 *   npm run bench:store -- [--count 100000] [--database-url postgres://...]
 */
import { parseArgs } from "node:util";
import { createCustomer, type ApplyContext } from "../src/domain/apply-request.js";
import { isValid } from "../src/domain/customer.js";
import { searchTermsOf } from "../src/domain/search-terms.js";
import type { Hub } from "../src/services/hub.js";
import { openBenchHub } from "./engines.js";
import { textArrayLiteral } from "../src/store/sql-arrays.js";
import { generatedCustomer } from "./generate.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    "database-url": { type: "string" },
    chunk: { type: "string", default: "1000" },
  },
});
const count = Number(values.count);
const chunk = Number(values.chunk);
const serverUrl = values["database-url"] ?? process.env.BENCH_DATABASE_URL;

const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

interface Figure {
  label: string;
  seconds: number;
  perSecond: number;
  peakRssMb: number;
}

async function timed(label: string, work: () => Promise<void>): Promise<Figure> {
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { label, seconds, perSecond: Math.round(count / seconds), peakRssMb: peakRssMb() };
}

/** Baseline: the same customer rows, as plain multi-row INSERTs of `chunk` rows each. */
async function bareInsert(hub: Hub): Promise<void> {
  const context: ApplyContext = {
    attributeTypes: new Map(),
    alternateKeyTypes: new Set(["TWCUSTID"]),
    today: "2026-01-01",
    now: "2026-01-01T00:00:00Z",
    validate: true,
  };
  for (let start = 0; start < count; start += chunk) {
    const params: unknown[] = [];
    const rows: string[] = [];
    for (let index = start; index < Math.min(start + chunk, count); index += 1) {
      // Building the rows is counted in both: any writer has to build what it writes.
      const { state } = createCustomer(
        String(1_000_000 + index),
        generatedCustomer(index),
        context,
      );
      const search = searchTermsOf(state);
      const base = params.length;
      params.push(
        state.customerID,
        isValid(state),
        JSON.stringify(state),
        textArrayLiteral(search.emails),
        textArrayLiteral(search.phones),
        textArrayLiteral(search.postalCodes),
        textArrayLiteral(search.nameTokens),
      );
      rows.push(
        `($${base + 1}::bigint, $${base + 2}::boolean, $${base + 3}::text, $${base + 4}::text[], $${base + 5}::text[], $${base + 6}::text[], $${base + 7}::text[])`,
      );
    }
    await hub.db.query(
      `INSERT INTO customers (customer_id, valid, record, emails, phones, postal_codes, name_tokens) VALUES ${rows.join(",")}`,
      params,
    );
  }
}

async function servicePath(hub: Hub): Promise<void> {
  await hub.settings.set("DataSyncEnabled", true);
  for (let start = 0; start < count; start += chunk) {
    const operations = [];
    for (let index = start; index < Math.min(start + chunk, count); index += 1) {
      operations.push({ action: "AddorUpdate" as const, request: generatedCustomer(index) });
    }
    const outcomes = await hub.customers.applyBatch(operations, {
      actor: "bench",
      channel: "batch",
    });
    const failed = outcomes.find((outcome) => !outcome.ok);
    if (failed && !failed.ok) throw failed.error;
  }
}

async function onEngine(
  name: string,
  open: () => Promise<{ hub: Hub; dispose(): Promise<void> }>,
): Promise<void> {
  const baselineTarget = await open();
  const baseline = await timed("bare multi-row INSERT (baseline)", () =>
    bareInsert(baselineTarget.hub),
  );
  await baselineTarget.dispose();
  const serviceTarget = await open();
  const service = await timed("service add-or-update", () => servicePath(serviceTarget.hub));
  const stored = await serviceTarget.hub.health();
  await serviceTarget.dispose();
  if (stored.customers.total !== count)
    throw new Error(`expected ${count} customers, found ${stored.customers.total}`);
  console.log(`\n${name}: ${count.toLocaleString("en")} customers, groups of ${chunk}`);
  for (const figure of [baseline, service]) {
    console.log(
      `  ${figure.label.padEnd(34)} ${String(figure.perSecond).padStart(8)} customers/s  ${figure.seconds.toFixed(1).padStart(6)} s  peak RSS ${figure.peakRssMb} MB`,
    );
  }
  console.log(
    `  ratio service / baseline          ${(service.perSecond / baseline.perSecond).toFixed(2)}  (target >= 0.33)`,
  );
}

await onEngine("PGlite (file-backed)", () => openBenchHub("pglite"));

if (serverUrl) {
  await onEngine("PostgreSQL server", () => openBenchHub("postgres", serverUrl));
} else {
  console.log("\nPostgreSQL: skipped (give --database-url or BENCH_DATABASE_URL to measure it)");
}
