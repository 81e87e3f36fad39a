import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeContext } from "../../src/services/customer-changes.js";
import type { Hub } from "../../src/services/hub.js";
import { readCustomerPending } from "../../src/store/outbox.js";
import { engines } from "../support/databases.js";

const api: ChangeContext = { actor: "tester", channel: "api" };

type CardStep = "activate" | "deactivate" | "block" | "unblock";

/**
 * Card status changes from each status: the status after, or the refusal's code. Every card starts
 * associated (ACTIVE) and is brought to the `from` status first.
 */
const TRANSITIONS: { from: string; setUp: CardStep[]; step: CardStep; to: string }[] = [
  { from: "ACTIVE", setUp: [], step: "activate", to: "CARD_ALREADY_ACTIVE" },
  { from: "ACTIVE", setUp: [], step: "deactivate", to: "INACTIVE" },
  { from: "ACTIVE", setUp: [], step: "block", to: "BLOCKED" },
  { from: "ACTIVE", setUp: [], step: "unblock", to: "CARD_NOT_BLOCKED" },
  { from: "INACTIVE", setUp: ["deactivate"], step: "activate", to: "ACTIVE" },
  { from: "INACTIVE", setUp: ["deactivate"], step: "deactivate", to: "CARD_NOT_ACTIVE" },
  { from: "INACTIVE", setUp: ["deactivate"], step: "block", to: "BLOCKED" },
  { from: "INACTIVE", setUp: ["deactivate"], step: "unblock", to: "CARD_NOT_BLOCKED" },
  { from: "BLOCKED (was ACTIVE)", setUp: ["block"], step: "activate", to: "ACCOUNT_BLOCKED" },
  { from: "BLOCKED (was ACTIVE)", setUp: ["block"], step: "deactivate", to: "ACCOUNT_BLOCKED" },
  { from: "BLOCKED (was ACTIVE)", setUp: ["block"], step: "block", to: "CARD_ALREADY_BLOCKED" },
  { from: "BLOCKED (was ACTIVE)", setUp: ["block"], step: "unblock", to: "ACTIVE" },
  {
    from: "BLOCKED (was INACTIVE)",
    setUp: ["deactivate", "block"],
    step: "unblock",
    to: "INACTIVE",
  },
];

const OPERATION: Record<CardStep, string> = {
  activate: "activateInstrument",
  deactivate: "deactivateInstrument",
  block: "blockTenderAccount",
  unblock: "unblockTenderAccount",
};

describe.each(engines)("customer operations on $name", (engine) => {
  let hub: Hub;
  beforeEach(async () => {
    hub = await engine.freshHub();
  });
  afterEach(async () => hub.close());

  /**
   * The customer's last history operations, oldest first. Sorted here by the numeric id:
   * `readHistory` orders by its id as text, so "10" comes before "2".
   */
  const lastOperations = async (customerID: string, count: number): Promise<string[]> =>
    (await hub.customers.history(customerID))
      .sort((a, b) => Number(a.id) - Number(b.id))
      .slice(-count)
      .map((entry) => entry.operation);

  const instrumentOf = async (customerID: string, cardNumber: string) =>
    (await hub.customers.get(customerID)).customerCards.instrument.find(
      (entry) => entry.cardNumber === cardNumber,
    );

  it("changes card status by the transition table, the holder's record showing it, each change queued", async () => {
    const customer = await hub.customers.add({ orgName: "Holder" }, api);
    let n = 0;
    for (const row of TRANSITIONS) {
      n += 1;
      const cardNumber = `7000-${n}`;
      await hub.cards.add({ cardNumber, expirationDate: "2099-12-31" });
      await hub.cards.associate({ cardNumber, customerID: customer.customerID }, api);
      for (const step of row.setUp) await hub.cards[step](cardNumber, api);
      await hub.settings.set("DataSyncEnabled", "Yes");
      await hub.db.exec("DELETE FROM data_sync_cust_pending_queue");

      const name = `${row.step} from ${row.from}`;
      const outcome = await hub.cards[row.step](cardNumber, api).then(
        (done) => ({ status: done.card.status, record: done.record }),
        (error: { code: string }) => ({ status: error.code, record: null }),
      );
      expect(outcome.status, name).toBe(row.to);
      const refused = row.to !== "ACTIVE" && row.to !== "INACTIVE" && row.to !== "BLOCKED";
      const card = await hub.cards.get(cardNumber);
      expect((await instrumentOf(customer.customerID, cardNumber))?.status, name).toBe(card.status);
      const queued = await readCustomerPending(hub.db);
      if (refused) {
        expect(queued, name).toEqual([]);
      } else {
        expect(card.status, name).toBe(row.to);
        expect(outcome.record?.customerID, name).toBe(customer.customerID);
        expect(
          queued.map((item) => [item.uniqueId, item.action]),
          name,
        ).toEqual([[customer.customerID, "UPDATE"]]);
        expect(await lastOperations(customer.customerID, 1), name).toEqual([OPERATION[row.step]]);
      }
      await hub.settings.set("DataSyncEnabled", "No");
    }
  });

  it("resets a card's expiration date, refusing past and unreal dates; an expired card is not activated", async () => {
    const customer = await hub.customers.add({ orgName: "Expiry" }, api);
    await hub.cards.add({ cardNumber: "7100", expirationDate: "2099-01-01" });
    await hub.cards.associate({ cardNumber: "7100", customerID: customer.customerID }, api);
    await hub.settings.set("DataSyncEnabled", "Yes");
    const reset = await hub.cards.resetExpiration("7100", "2100-06-30", api);
    expect(reset.card).toMatchObject({ expirationDate: "2100-06-30", status: "ACTIVE" });
    expect(reset.record?.customerCards.instrument[0]?.expirationDate).toBe("2100-06-30");
    expect((await hub.cards.get("7100")).expirationDate).toBe("2100-06-30");
    expect(await lastOperations(customer.customerID, 1)).toEqual(["resetCardExpirationDate"]);
    expect((await readCustomerPending(hub.db)).map((row) => row.action)).toEqual(["UPDATE"]);

    for (const [date, code] of [
      ["2001-01-01", "INVALID_REQUEST"],
      ["2100-02-30", "INVALID_DATE_FORMAT"],
      ["tomorrow", "INVALID_DATE_FORMAT"],
    ] as const) {
      await expect(hub.cards.resetExpiration("7100", date, api), date).rejects.toMatchObject({
        code,
        details: { field: "expirationDate" },
      });
    }
    await expect(hub.cards.resetExpiration("7999", "2100-01-01", api)).rejects.toMatchObject({
      code: "CARD_NOT_FOUND",
    });

    // A card on file with no holder changes alone; an expired one is not activated.
    await hub.cards.add({ cardNumber: "7101", expirationDate: "2001-01-01" });
    await expect(hub.cards.activate("7101", api)).rejects.toMatchObject({ code: "CARD_EXPIRED" });
    await hub.cards.resetExpiration("7101", "2100-01-01", api);
    const alone = await hub.cards.activate("7101", api);
    expect(alone).toEqual({ card: expect.objectContaining({ status: "ACTIVE" }), record: null });
  });

  it("defines segments and adds and removes customers, queuing each change once", async () => {
    const vip = await hub.segments.create({ name: "  VIP   Gold ", description: "best" });
    expect(vip).toMatchObject({ name: "VIP Gold", description: "best" });
    await expect(hub.segments.create({ name: "vip gold" })).rejects.toMatchObject({
      code: "ALREADY_EXISTS",
    });
    for (const name of ["", "12345", "x".repeat(61)]) {
      await expect(hub.segments.create({ name }), name).rejects.toMatchObject({
        code: "INVALID_REQUEST",
        details: { field: "name" },
      });
    }
    const lapsed = await hub.segments.create({ name: "Lapsed" });
    const customer = await hub.customers.add({ orgName: "Member" }, api);
    await hub.settings.set("DataSyncEnabled", "Yes");

    const added = await hub.segments.addCustomer(customer.customerID, vip.segmentId, api);
    expect(added.change).toBe("UPDATE");
    expect(added.record.customerSegments.segment).toEqual([
      { segmentId: vip.segmentId, segmentName: "VIP Gold" },
    ]);
    // By name, any case; and again: no change, nothing more queued.
    await hub.segments.addCustomer(customer.customerID, "lapsed", api);
    const again = await hub.segments.addCustomer(customer.customerID, "LAPSED", api);
    expect(again.change).toBeNull();
    expect(again.record.customerSegments.segment.map((entry) => entry.segmentId)).toEqual([
      vip.segmentId,
      lapsed.segmentId,
    ]);
    expect((await hub.segments.list()).map((s) => [s.name, s.customerCount])).toEqual([
      ["VIP Gold", 1],
      ["Lapsed", 1],
    ]);

    const removed = await hub.segments.removeCustomer(customer.customerID, vip.segmentId, api);
    expect(removed.record.customerSegments.segment).toEqual([
      { segmentId: lapsed.segmentId, segmentName: "Lapsed" },
    ]);
    await expect(
      hub.segments.removeCustomer(customer.customerID, vip.segmentId, api),
    ).rejects.toMatchObject({ code: "CUSTOMER_NOT_IN_SEGMENT" });
    await expect(hub.segments.addCustomer(customer.customerID, "Nope", api)).rejects.toMatchObject({
      code: "SEGMENT_NOT_FOUND",
    });
    await expect(hub.segments.addCustomer("987654", vip.segmentId, api)).rejects.toMatchObject({
      code: "CUSTOMER_NOT_FOUND",
    });

    const queued = await readCustomerPending(hub.db, customer.customerID);
    expect(queued.map((row) => row.action)).toEqual(["UPDATE", "UPDATE", "UPDATE"]);
    expect(await lastOperations(customer.customerID, 3)).toEqual([
      "addCustomerToSegment",
      "addCustomerToSegment",
      "removeCustomerFromSegment",
    ]);
  });

  it("adds, renames and deletes franchisees in the example's shape", async () => {
    const customer = await hub.customers.add({ orgName: "Franchised" }, api);
    await hub.settings.set("DataSyncEnabled", "Yes");
    await hub.franchisees.set(
      customer.customerID,
      { franchiseeId: 2, franchiseeName: "<FRANCHISEE NAME> " },
      api,
    );
    await hub.franchisees.set(
      customer.customerID,
      { franchiseeId: 8, franchiseeName: "Eight" },
      api,
    );
    const renamed = await hub.franchisees.set(
      customer.customerID,
      { franchiseeId: 8, franchiseeName: "Eight Inc" },
      api,
    );
    expect(renamed.record.franchisees).toEqual({
      franchisee: [
        { franchiseeId: 2, franchiseeName: "<FRANCHISEE NAME> " },
        { franchiseeId: 8, franchiseeName: "Eight Inc" },
      ],
    });
    const same = await hub.franchisees.set(
      customer.customerID,
      { franchiseeId: 8, franchiseeName: "Eight Inc" },
      api,
    );
    expect(same.change).toBeNull();
    const deleted = await hub.franchisees.delete(customer.customerID, 2, api);
    expect(deleted.record.franchisees.franchisee.map((entry) => entry.franchiseeId)).toEqual([8]);
    await expect(hub.franchisees.delete(customer.customerID, 2, api)).rejects.toMatchObject({
      code: "FRANCHISEE_NOT_FOUND",
    });
    for (const [input, field] of [
      [{ franchiseeId: 0, franchiseeName: "x" }, "franchiseeId"],
      [{ franchiseeId: 1.5, franchiseeName: "x" }, "franchiseeId"],
      [{ franchiseeId: 3, franchiseeName: "   " }, "franchiseeName"],
    ] as const) {
      await expect(hub.franchisees.set(customer.customerID, input, api)).rejects.toMatchObject({
        code: "INVALID_REQUEST",
        details: { field },
      });
    }
    const queued = await readCustomerPending(hub.db, customer.customerID);
    expect(queued.map((row) => row.action)).toEqual(["UPDATE", "UPDATE", "UPDATE", "UPDATE"]);
    expect(await lastOperations(customer.customerID, 1)).toEqual([
      "addOrDeleteCustomerFranchisees",
    ]);
  });

  it("sets and clears associate assignments, one associate per role", async () => {
    const customer = await hub.customers.add({ orgName: "Assigned" }, api);
    expect((await hub.customers.get(customer.customerID)).associateAssignments).toBeNull();
    await hub.settings.set("DataSyncEnabled", "Yes");
    const set = await hub.associateAssignments.set(
      customer.customerID,
      [
        { role: " stylist ", associateID: " E-1 ", retailStoreID: "99901" },
        { role: "TAILOR", associateID: "E-2" },
      ],
      api,
    );
    expect(set.record.associateAssignments).toEqual({
      associateAssignment: [
        { role: "STYLIST", associateID: "E-1", retailStoreID: "99901" },
        { role: "TAILOR", associateID: "E-2", retailStoreID: null },
      ],
    });
    await expect(
      hub.associateAssignments.set(
        customer.customerID,
        [
          { role: "STYLIST", associateID: "E-1" },
          { role: "stylist", associateID: "E-3" },
        ],
        api,
      ),
    ).rejects.toMatchObject({
      code: "INVALID_REQUEST",
      details: { field: "associateAssignment[1].role" },
    });
    const cleared = await hub.associateAssignments.set(customer.customerID, [], api);
    expect(cleared.record.associateAssignments).toBeNull();
    const queued = await readCustomerPending(hub.db, customer.customerID);
    expect(queued.map((row) => row.action)).toEqual(["UPDATE", "UPDATE"]);
    expect(await lastOperations(customer.customerID, 1)).toEqual(["updateAssociateAssignment"]);
  });
});
