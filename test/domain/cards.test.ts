/**
 * The refusals of Card Customer Association (seeds/003 "Batch Processing Errors"), one row per
 * cause the document gives, and the checks' order.
 */
import { describe, expect, it } from "vitest";
import {
  checkCardUsable,
  type Card,
  type CardProgram,
  type CardStanding,
} from "../../src/domain/cards.js";
import { isCusthubError } from "../../src/domain/errors.js";

const TODAY = "2026-06-15";

const card = (overrides: Partial<Card> = {}): Card => ({
  cardNumber: "6000000000000001",
  instrumentID: null,
  program: "P",
  status: "INACTIVE",
  expirationDate: null,
  customerID: null,
  ...overrides,
});

const program = (overrides: Partial<CardProgram> = {}): CardProgram => ({
  code: "P",
  kind: "TENDER",
  effectiveDate: null,
  expiryDate: null,
  active: true,
  ...overrides,
});

function outcome(checked: Card, standing: CardStanding): string {
  try {
    checkCardUsable(checked, TODAY, standing);
    return "usable";
  } catch (error) {
    if (isCusthubError(error)) return error.code;
    throw error;
  }
}

const never = (of: CardProgram | null): CardStanding => ({ activated: false, program: of });
const before = (of: CardProgram | null): CardStanding => ({ activated: true, program: of });

describe("checkCardUsable", () => {
  it.each<[string, Card, CardStanding, string]>([
    ["a card with no program", card({ program: null }), never(null), "usable"],
    ["a card whose program is in effect", card(), never(program()), "usable"],
    // "There is an Expiration Date for the card and it is less than the current date."
    [
      "an expired card never activated",
      card({ expirationDate: "2026-06-14" }),
      never(null),
      "CARD_EXPIRED",
    ],
    ["a card expiring today", card({ expirationDate: TODAY }), never(null), "usable"],
    // "An account has previously been activated ... and the Expiry Date is less than the current date."
    [
      "an expired card activated before",
      card({ expirationDate: "2026-01-01" }),
      before(null),
      "ACCOUNT_EXPIRED",
    ],
    ["a blocked card", card({ status: "BLOCKED" }), before(program()), "ACCOUNT_BLOCKED"],
    [
      "a card of an inactive program",
      card(),
      never(program({ active: false })),
      "PROGRAM_INACTIVE",
    ],
    [
      "an activated card of an inactive program",
      card(),
      before(program({ active: false })),
      "PROGRAM_INACTIVE",
    ],
    // "... has never been activated ... and the tender program Expiry Date ... is less than the current date."
    [
      "a tender program expired",
      card(),
      never(program({ expiryDate: "2026-06-14" })),
      "PROGRAM_EXPIRED",
    ],
    [
      "a tender program not yet in effect",
      card(),
      never(program({ effectiveDate: "2026-06-16" })),
      "PROGRAM_NOT_EFFECTIVE",
    ],
    [
      "an award program expired",
      card(),
      never(program({ kind: "AWARD", expiryDate: "2025-12-31" })),
      "AWARD_PROGRAM_EXPIRED",
    ],
    [
      "an award program not yet in effect",
      card(),
      never(program({ kind: "AWARD", effectiveDate: "2027-01-01" })),
      "AWARD_PROGRAM_NOT_EFFECTIVE",
    ],
    [
      "a loyalty program expired",
      card(),
      never(program({ kind: "LOYALTY", expiryDate: "2025-12-31" })),
      "LYL_PROGRAM_EXPIRED",
    ],
    [
      "a loyalty program not yet in effect",
      card(),
      never(program({ kind: "LOYALTY", effectiveDate: "2027-01-01" })),
      "LYL_PROGRAM_NOT_EFFECTIVE",
    ],
    // The program's dates count for an account never activated only.
    [
      "an activated card of an expired program",
      card(),
      before(program({ expiryDate: "2025-12-31" })),
      "usable",
    ],
    [
      "a program in effect from today and until today",
      card(),
      never(program({ effectiveDate: TODAY, expiryDate: TODAY })),
      "usable",
    ],
  ])("%s: %s", (_, checked, standing, expected) => {
    expect(outcome(checked, standing)).toBe(expected);
  });

  it("checks the card before its program", () => {
    const inactive = program({ active: false, expiryDate: "2020-01-01" });
    expect(outcome(card({ expirationDate: "2020-01-01" }), never(inactive))).toBe("CARD_EXPIRED");
    expect(outcome(card({ status: "BLOCKED" }), never(inactive))).toBe("ACCOUNT_BLOCKED");
    expect(outcome(card(), never(inactive))).toBe("PROGRAM_INACTIVE");
  });

  it("names the card masked and the program in the error", () => {
    try {
      checkCardUsable(card(), TODAY, never(program({ kind: "LOYALTY", expiryDate: "2025-12-31" })));
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: "LYL_PROGRAM_EXPIRED",
        details: { card: "****0001", program: "P", expiryDate: "2025-12-31" },
      });
      expect((error as Error).message).not.toContain("6000000000000001");
    }
  });
});
