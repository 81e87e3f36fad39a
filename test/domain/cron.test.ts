import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextCronTime, parseCron } from "../../src/domain/cron.js";
import { parseSettingValue } from "../../src/domain/settings.js";

describe("cron schedule of the data-sync job", () => {
  it.each([
    ["*/15 * * * *", "2026-11-23T10:07:30Z", "2026-11-23T10:15:00.000Z"],
    ["*/15 * * * *", "2026-11-23T10:15:00Z", "2026-11-23T10:30:00.000Z"],
    ["0 2 * * *", "2026-11-23T10:07:00Z", "2026-11-24T02:00:00.000Z"],
    ["0 9 * * 1-5", "2026-11-28T10:00:00Z", "2026-11-30T09:00:00.000Z"],
    ["30 6 1 * *", "2026-12-15T00:00:00Z", "2027-01-01T06:30:00.000Z"],
    ["0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00.000Z"],
    ["0 12 13 * 5", "2026-11-23T00:00:00Z", "2026-11-27T12:00:00.000Z"],
    ["5,35 */6 * * 7", "2026-11-28T23:59:00Z", "2026-11-29T00:05:00.000Z"],
  ])("%s after %s runs at %s", (expression, after, expected) => {
    expect(nextCronTime(parseCron(expression), new Date(after))?.toISOString()).toBe(expected);
  });

  it.each([
    "",
    "* * * *",
    "60 * * * *",
    "* 24 * * *",
    "* * 0 * *",
    "* * * 13 *",
    "* * * * 8",
    "5-1 * * * *",
    "*/0 * * * *",
    "a * * * *",
  ])("refuses %j with INVALID_SETTING", (expression) => {
    expect(() => parseCron(expression)).toThrow(
      expect.objectContaining({ code: "INVALID_SETTING" }),
    );
  });

  it("is checked when the setting is set", () => {
    expect(parseSettingValue("DataSyncCron", " */5  *   * * * ")).toBe("*/5 * * * *");
    expect(() => parseSettingValue("DataSyncCron", "every five minutes")).toThrow();
  });

  it("always answers a later minute the schedule names", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("*/7 * * * *", "0 */3 * * *", "15 10 * * 1,3", "0 0 1 */2 *"),
        fc.date({ min: new Date("2000-01-01"), max: new Date("2090-01-01"), noInvalidDate: true }),
        (expression, after) => {
          const schedule = parseCron(expression);
          const next = nextCronTime(schedule, after)!;
          expect(next.getTime()).toBeGreaterThan(after.getTime());
          expect(
            schedule.minutes.has(next.getUTCMinutes()) && schedule.hours.has(next.getUTCHours()),
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
