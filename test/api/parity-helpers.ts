/**
 * What the channel-parity properties share: a block imported on its own and what its review row
 * says, the pending-queue rows, customer ids named by their place so that two hubs' ends compare,
 * and the comparison of the two ends.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { importFile } from "../../src/ingest/import-file.js";
import { expect } from "vitest";
import type { Hub } from "../../src/services/hub.js";

/** How a request ended: success, or the code of its refusal. */
export type ChannelOutcome = { ok: true } | { ok: false; code: string };

/**
 * Expects both channels to have ended alike. A request refused for one of several faults of its
 * form may be refused for another of them by each channel, which read it in their own order
 * (docs/api.md "Errors"): each must then name one of `faults`.
 */
export function expectSameEnd<T extends { outcome: ChannelOutcome }>(
  api: T,
  xml: T,
  faults: ReadonlySet<string>,
): void {
  if (faults.size > 1 && !api.outcome.ok && !xml.outcome.ok) {
    expect(faults).toContain(api.outcome.code);
    expect(faults).toContain(xml.outcome.code);
    api.outcome = xml.outcome;
  }
  expect(api).toEqual(xml);
}

export const escapeXml = (text: string): string =>
  text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");

/** Every customer's id, oldest first. */
export async function customerIds(hub: Hub): Promise<string[]> {
  const rows = await hub.db.query<{ id: string }>(
    "SELECT customer_id::text AS id FROM customers ORDER BY customer_id",
  );
  return rows.map((row) => row.id);
}

/** The customer pending-queue rows, oldest first: [customer, action]. */
export async function queuedRows(hub: Hub): Promise<[string, string][]> {
  const rows = await hub.db.query<{ unique_id: string; action: string }>(
    "SELECT unique_id, action FROM data_sync_cust_pending_queue ORDER BY id",
  );
  return rows.map((row) => [row.unique_id, row.action]);
}

/** Replaces each customer id with its place among the hub's customers (`#1`, ...). */
export function comparable(value: unknown, ids: readonly string[]): unknown {
  return JSON.parse(JSON.stringify(value), (_key, item: unknown) => {
    if (typeof item === "string" && ids.includes(item)) return `#${ids.indexOf(item) + 1}`;
    return item;
  });
}

/**
 * Imports one block under `<Customers>`: its outcome (a failed block's last review code) and the
 * codes and message of its warning row (`EMPTY_XML_TAG` left out: the JSON has no empty element).
 */
export async function importBlock(
  hub: Hub,
  dir: string,
  block: string,
): Promise<{ outcome: ChannelOutcome; warnings: string[]; message: string | null }> {
  const path = join(dir, "operation.xml");
  writeFileSync(
    path,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Customers>\n${block}\n</Customers>\n`,
  );
  const summary = await importFile(hub, path, { channel: "cli", actor: "tester", dataDir: dir });
  const rows = (await hub.imports.show(summary.importId)).rows;
  const failed = rows.find((row) => row.outcome === "failed");
  const warned = rows.find((row) => row.outcome === "warning");
  return {
    outcome: failed ? { ok: false, code: failed.errorCodes.at(-1)! } : { ok: true },
    warnings: (warned?.errorCodes ?? []).filter((code) => code !== "EMPTY_XML_TAG"),
    message: (failed ?? warned)?.message ?? null,
  };
}
