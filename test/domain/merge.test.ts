import { describe, expect, it } from "vitest";
import { emptyCustomer, type CustomerState } from "../../src/domain/customer.js";
import { applyMergeOverride } from "../../src/domain/merge-override.js";
import { chooseSource, mergeCustomers } from "../../src/domain/merge.js";
import { mergeRulesFrom, type MergeRules } from "../../src/domain/merge-rules.js";
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

  it("takes one entry for the best match, and each address once when retaining all", () => {
    const none = customer("3", () => undefined);
    const two = customer("4", (s) => {
      s.individual.emails = [email("first@example.com", false), email("main@example.com", true)];
    });
    const best = mergeCustomers("9", none, [two], { ...rules, emailAddress: "BEST_MATCH" }, "now");
    // "select the first non-null email address": one, the primary of the first that has any.
    expect(best.merged.state.individual.emails.map((entry) => entry.emailAddress)).toEqual([
      "main@example.com",
    ]);
    const again = customer("5", (s) => {
      s.individual.emails = [email("one@example.com", false), email("three@example.com", true)];
    });
    const all = mergeCustomers("9", source, [again], { ...rules, emailAddress: "ALL" }, "now");
    expect(
      all.merged.state.individual.emails.map((entry) => [entry.emailAddress, entry.primaryFlag]),
    ).toEqual([
      ["one@example.com", true],
      ["three@example.com", false],
    ]);
  });

  it.each([
    ["SOURCE", []],
    [
      "YES",
      [
        ["EMAIL", true],
        ["MAIL", true],
      ],
    ],
    [
      "NO",
      [
        ["EMAIL", false],
        ["MAIL", false],
      ],
    ],
  ] as const)("sets the contact permissions by the %s rule", (rule, expected) => {
    const quiet = customer("6", () => undefined);
    const reachable = customer("7", (s) => {
      s.contactPreferences = [
        { contactType: "EMAIL", subTypeCode: null, permission: false },
        { contactType: "MAIL", subTypeCode: null, permission: true },
      ];
    });
    const { merged } = mergeCustomers(
      "9",
      quiet,
      [reachable],
      { ...rules, contactPermissions: rule },
      "now",
    );
    expect(
      merged.state.contactPreferences.map((preference) => [
        preference.contactType,
        preference.permission,
      ]),
    ).toEqual(expected);
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

  it("judges the last activity by the latest of a customer's activity dates", () => {
    // Bought in 2019, updated at the till in 2024: active later than one who signed up in 2022.
    const updated = customer("7", (s) => {
      s.signupDate = "2010-02-03";
      s.lastPurchaseDate = "2019-05-06";
      s.lastUpdateInfo = { updateUserID: "POS", updateDate: "2024-01-02T10:00:00" };
    });
    const signedUp = customer("8", (s) => {
      s.signupDate = "2022-07-08";
    });
    expect(chooseSource([signedUp, updated], ["LAST_ACTIVITY"]).customerID).toBe("7");
    expect(chooseSource([updated, signedUp], ["LAST_ACTIVITY"]).customerID).toBe("7");
  });
});

describe("Customer Merge Override and Customer Merge - Attributes (seeds/003)", () => {
  const card = {
    cardNumber: "4000",
    instrumentID: null,
    program: null,
    expirationDate: null,
    status: "ACTIVE",
    associatedAt: "2026-01-01T00:00:00Z",
  };
  const plain = (id: string) => customer(id, () => undefined);
  const withCard = (id: string) =>
    customer(id, (s) => {
      s.cards = [{ ...card }] as CustomerState["cards"];
    });
  const withSales = (id: string) =>
    customer(id, (s) => {
      s.lifetimeActivitySummary.totalTransactionCount = "3";
      s.firstPurchaseDate = "2020-01-01";
    });
  const inactive = (id: string) =>
    customer(id, (s) => {
      s.active = false;
    });
  const as = (role: string, state: CustomerState | undefined) => ({
    role,
    described: `${role} CustomerID ${state?.customerID ?? "404"}`,
    customer: state,
  });

  it.each([
    {
      scenario: "a target not found, FAIL (the default)",
      override: {},
      parties: [as("source", plain("1")), as("target 1", undefined), as("target 2", plain("3"))],
      outcome: "CUSTOMER_NOT_FOUND",
    },
    {
      scenario: "a target not found, SKIP",
      override: { notFound: "SKIP" },
      parties: [as("source", plain("1")), as("target 1", undefined), as("target 2", plain("3"))],
      outcome: { source: "1", targets: ["3"], skipped: ["target 1:NOT_FOUND"] },
    },
    {
      scenario: "an inactive (merged-away) target, SKIP",
      override: { notFound: "SKIP" },
      parties: [
        as("source", plain("1")),
        as("target 1", inactive("2")),
        as("target 2", plain("3")),
      ],
      outcome: { source: "1", targets: ["3"], skipped: ["target 1:NOT_FOUND"] },
    },
    {
      scenario: "a target holding cards, MERGE (the default)",
      override: {},
      parties: [as("source", plain("1")), as("target 1", withCard("2"))],
      outcome: { source: "1", targets: ["2"], skipped: [] },
    },
    {
      scenario: "a target holding cards, SKIP",
      override: { hasCards: "SKIP" },
      parties: [
        as("source", plain("1")),
        as("target 1", withCard("2")),
        as("target 2", plain("3")),
      ],
      outcome: { source: "1", targets: ["3"], skipped: ["target 1:HAS_CARDS"] },
    },
    {
      scenario: "a target holding cards, FAIL",
      override: { hasCards: "FAIL" },
      parties: [as("source", plain("1")), as("target 1", withCard("2"))],
      outcome: "MERGE_CUSTOMER_CREATION_EXCEPTION",
    },
    {
      scenario: "a target with transactions, SKIP",
      override: { hasTransactions: "SKIP" },
      parties: [
        as("source", plain("1")),
        as("target 1", withSales("2")),
        as("target 2", plain("3")),
      ],
      outcome: { source: "1", targets: ["3"], skipped: ["target 1:HAS_TRANSACTIONS"] },
    },
    {
      scenario: "a target with transactions, FAIL",
      override: { hasTransactions: "FAIL" },
      parties: [as("source", plain("1")), as("target 1", withSales("2"))],
      outcome: "MERGE_CUSTOMER_CREATION_EXCEPTION",
    },
    {
      scenario: "a source not found, FAIL (the default)",
      override: {},
      parties: [as("source", undefined), as("target 1", plain("2")), as("target 2", plain("3"))],
      outcome: "CUSTOMER_NOT_FOUND",
    },
    {
      scenario: "a source not found, CHOOSE: the targets merge, the rules pick the source",
      override: { sourceNotMergeable: "CHOOSE" },
      parties: [as("source", undefined), as("target 1", plain("2")), as("target 2", plain("3"))],
      outcome: { source: null, targets: ["2", "3"], skipped: ["source:NOT_FOUND"] },
    },
    {
      scenario: "a source holding cards, SKIP with CHOOSE",
      override: { hasCards: "SKIP", sourceNotMergeable: "CHOOSE" },
      parties: [
        as("source", withCard("1")),
        as("target 1", plain("2")),
        as("target 2", plain("3")),
      ],
      outcome: { source: null, targets: ["2", "3"], skipped: ["source:HAS_CARDS"] },
    },
    {
      scenario: "everyone but one left out",
      override: { notFound: "SKIP" },
      parties: [as("source", plain("1")), as("target 1", undefined)],
      outcome: "MERGE_CUSTOMER_CREATION_EXCEPTION",
    },
  ])("$scenario", ({ override, parties, outcome }) => {
    const withOverride = { ...rules, override: { ...rules.override, ...override } } as MergeRules;
    if (typeof outcome === "string") {
      expect(() => applyMergeOverride(parties, withOverride)).toThrow(
        expect.objectContaining({ code: outcome }),
      );
      return;
    }
    const chosen = applyMergeOverride(parties, withOverride);
    expect({
      source: chosen.source?.customerID ?? null,
      targets: chosen.targets.map((c) => c.customerID),
      skipped: chosen.skipped.map((s) => `${s.role}:${s.reason}`),
    }).toEqual(outcome);
  });

  it("takes a preferred attribute from the source alone, and combines the others", () => {
    const attributes = (id: string, values: Record<string, string[]>) =>
      customer(id, (s) => {
        s.customAttributes = Object.entries(values).map(([name, held]) => ({ name, values: held }));
      });
    const { merged } = mergeCustomers(
      "9",
      attributes("1", { TIER: ["GOLD"], HOBBY: ["golf"] }),
      [attributes("2", { TIER: ["SILVER"], HOBBY: ["chess"] })],
      { ...rules, preferredAttributes: ["TIER"] },
      "now",
    );
    expect(merged.state.customAttributes).toEqual([
      { name: "TIER", values: ["GOLD"] },
      { name: "HOBBY", values: ["golf", "chess"] },
    ]);
  });

  it("keeps one value of an attribute type defined as unique: the source's", () => {
    const attributes = (id: string, values: Record<string, string[]>) =>
      customer(id, (s) => {
        s.customAttributes = Object.entries(values).map(([name, held]) => ({ name, values: held }));
      });
    const { merged } = mergeCustomers(
      "9",
      attributes("1", { Tier: ["GOLD"], HOBBY: ["golf"] }),
      [attributes("2", { Tier: ["SILVER"], HOBBY: ["chess"] })],
      rules,
      "now",
      new Set(["TIER"]),
    );
    expect(merged.state.customAttributes).toEqual([
      { name: "Tier", values: ["GOLD"] },
      { name: "HOBBY", values: ["golf", "chess"] },
    ]);
  });

  it("keeps one of a note two duplicates hold exactly, and numbers the notes anew", () => {
    const note = (sequence: number, text: string) => ({
      sequence,
      type: "COMMENT",
      text,
      createDate: "2020-01-01",
      createUser: "CLERK",
      location: "100",
      privateFlag: false,
    });
    const { merged } = mergeCustomers(
      "9",
      customer("1", (s) => (s.notes = [note(1, "same"), note(2, "first's")])),
      [customer("2", (s) => (s.notes = [note(1, "same"), note(2, "second's")]))],
      rules,
      "now",
    );
    expect(merged.state.notes).toEqual([note(1, "same"), note(2, "first's"), note(3, "second's")]);
  });

  it("reads the settings into the rules", () => {
    const settings = resolveSettings(
      new Map<string, string>([
        ["CustomerMergeAttributes", " tier, Loyalty_Level "],
        ["CustomerMergeOverrideHasCards", "SKIP"],
      ]),
    );
    const read = mergeRulesFrom(settings);
    expect(read.preferredAttributes).toEqual(["TIER", "LOYALTY_LEVEL"]);
    expect(read.override).toEqual({
      notFound: "FAIL",
      hasCards: "SKIP",
      hasTransactions: "MERGE",
      sourceNotMergeable: "FAIL",
    });
  });
});
