import { describe, expect, it } from "vitest";
import { emptyCustomer, type CustomerState } from "../../src/domain/customer.js";
import {
  chooseSource,
  mergeCustomers,
  mergeRulesFrom,
  type MergeRules,
} from "../../src/domain/merge.js";
import { resolveSettings } from "../../src/domain/settings.js";

const rules: MergeRules = mergeRulesFrom(resolveSettings(new Map()));

function customer(id: string, fill: (state: CustomerState) => void): CustomerState {
  const state = emptyCustomer(id);
  fill(state);
  return state;
}

const email = (address: string, primaryFlag: boolean) => ({
  typeCode: "HOME",
  primaryFlag,
  validFlag: true,
  label: null,
  contactPreferenceCode: null,
  active: true,
  emailAddress: address,
});

describe("merge logic (seeds/003 Table 2-3)", () => {
  const source = customer("1", (s) => {
    s.firstPurchaseDate = "2019-01-01";
    s.lastPurchaseDate = "2020-01-01";
    s.lifetimeActivitySummary.totalSalesAmount = "10.50";
    s.lifetimeActivitySummary.totalTransactionCount = "2";
    s.individual.emails = [email("one@example.com", true)];
  });
  const target = customer("2", (s) => {
    s.firstPurchaseDate = "2015-06-01";
    s.lastPurchaseDate = "2021-03-04";
    s.lifetimeActivitySummary.totalSalesAmount = "0.5";
    s.lifetimeActivitySummary.totalReturnsAmount = "-1.25";
    s.lifetimeActivitySummary.totalTransactionCount = "3";
    s.individual.emails = [email("two@example.com", true)];
  });

  it("takes the minimum first and maximum last purchase date, and sums the totals exactly", () => {
    const { merged } = mergeCustomers("9", source, [target], rules, "2026-01-01T00:00:00Z");
    expect(merged.state).toMatchObject({
      customerID: "9",
      firstPurchaseDate: "2015-06-01",
      lastPurchaseDate: "2021-03-04",
      lastUpdateInfo: { updateDate: "2026-01-01T00:00:00Z" },
    });
    expect(merged.state.lifetimeActivitySummary).toMatchObject({
      totalSalesAmount: "11",
      totalReturnsAmount: "-1.25",
      totalTransactionCount: "5",
    });
  });

  it.each([
    ["SOURCE", ["one@example.com"]],
    ["BEST_MATCH", ["one@example.com"]],
    ["ALL", ["one@example.com", "two@example.com"]],
  ] as const)("takes email addresses by the %s rule, with one primary", (rule, expected) => {
    const { merged } = mergeCustomers(
      "9",
      source,
      [target],
      { ...rules, emailAddress: rule },
      "now",
    );
    expect(merged.state.individual.emails.map((entry) => entry.emailAddress)).toEqual(expected);
    expect(merged.state.individual.emails.filter((entry) => entry.primaryFlag)).toHaveLength(1);
  });

  it("keeps every duplicate's segments and franchisees once, the source's associates first", () => {
    const withRelations = (
      id: string,
      year: number | null,
      sales: string,
      fill: (s: CustomerState) => void,
    ) =>
      customer(id, (s) => {
        s.yearToDateYear = year;
        s.yearToDateActivitySummary.totalSalesAmount = sales;
        fill(s);
      });
    const first = withRelations("1", 2026, "5", (s) => {
      s.segments = [{ segmentId: "1", segmentName: "VIP" }];
      s.franchisees = [{ franchiseeId: 7, franchiseeName: "North" }];
      s.associateAssignments = [{ role: "STYLIST", associateID: "A1", retailStoreID: null }];
    });
    const second = withRelations("2", 2025, "100", (s) => {
      s.segments = [
        { segmentId: "1", segmentName: "VIP" },
        { segmentId: "2", segmentName: "Runners" },
      ];
      s.franchisees = [{ franchiseeId: 8, franchiseeName: "South" }];
      s.associateAssignments = [
        { role: "STYLIST", associateID: "B1", retailStoreID: null },
        { role: "TAILOR", associateID: "B2", retailStoreID: "12" },
      ];
    });
    const third = withRelations("3", 2026, "2.5", () => undefined);
    const { merged } = mergeCustomers("9", first, [second, third], rules, "now");
    expect(merged.state.segments.map((segment) => segment.segmentName)).toEqual(["VIP", "Runners"]);
    expect(merged.state.franchisees.map((franchisee) => franchisee.franchiseeId)).toEqual([7, 8]);
    expect(
      merged.state.associateAssignments.map(
        (assignment) => `${assignment.role}=${assignment.associateID}`,
      ),
    ).toEqual(["STYLIST=A1", "TAILOR=B2"]);
    // Year-to-date sums count only the latest year: 2025's figures are last year's.
    expect(merged.state.yearToDateYear).toBe(2026);
    expect(merged.state.yearToDateActivitySummary.totalSalesAmount).toBe("7.5");
  });

  it("retires every duplicate, pointing at the new customer", () => {
    const { retired } = mergeCustomers("9", source, [target], rules, "now");
    expect(
      retired.map((applied) => [
        applied.state.customerID,
        applied.state.active,
        applied.state.mergedInto,
      ]),
    ).toEqual([
      ["1", false, "9"],
      ["2", false, "9"],
    ]);
  });

  it("chooses the source by the rules in order, then the oldest customer", () => {
    expect(chooseSource([source, target], ["LAST_ACTIVITY"]).customerID).toBe("2");
    expect(chooseSource([target, source], ["HAS_CARD"]).customerID).toBe("1");
  });
});
