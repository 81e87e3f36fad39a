/** The pure parts of the sync: Table H-5, the envelope, roles, retry delays, the sync settings. */
import { describe, expect, it } from "vitest";
import { assertAllowed, isAllowed, type Role } from "../../src/domain/roles.js";
import { parseSettingValue, resolveSettings } from "../../src/domain/settings.js";
import {
  SAMPLE_MESSAGE,
  messageEnvelope,
  toDataSyncMessage,
  type QueuedChange,
} from "../../src/domain/sync-messages.js";
import {
  honourRetryAfter,
  MAX_RETRY_AFTER_MS,
  retryAfterMs,
  retryDelayMs,
} from "../../src/sync/backoff.js";

const record = '{"customerID":"2142","signupDate":"2020-12-02","note":"say \\"hi\\"\\n"}';
const change = (objName: string, method: string, json: string | null): QueuedChange => ({
  objName,
  method,
  uniqueId: "2142",
  json,
  messageId: "26764466",
});

describe("data-sync messages (seeds/001 Table H-5)", () => {
  it.each([
    ["Customer", "CREATE", record, "CUSTOMER", "CUSTOMERCRE", record],
    ["Customer", "UPDATE", record, "CUSTOMER", "CUSTOMERMOD", record],
    ["Customer", "DELETE", null, "CUSTOMER", "CUSTOMERDEL", "2142"],
    [
      "Transaction",
      "CREATE",
      '{"retailTransactionId":"1"}',
      "POSTRN",
      "POSTRNCRE",
      '{"retailTransactionId":"1"}',
    ],
  ])("%s %s becomes %s/%s", (objName, method, json, type, action, payload) => {
    expect(toDataSyncMessage(change(objName, method, json))).toEqual({
      action,
      payload,
      type,
      uniqueId: "26764466",
    });
  });

  it.each([
    ["Transaction", "UPDATE", "{}"],
    ["Transaction", "DELETE", null],
    ["Customer", "MERGE", "{}"],
    ["Customer", "UPDATE", null],
  ])("refuses %s %s, which the table does not have", (objName, method, json) => {
    expect(() => toDataSyncMessage(change(objName, method, json))).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_SYNC_MESSAGE" }),
    );
  });

  it("writes the envelope with the document's property order and the payload as a JSON string", () => {
    const body = messageEnvelope([toDataSyncMessage(change("Customer", "UPDATE", record))]);
    expect(body).toBe(
      `{"messages":[{"action":"CUSTOMERMOD","payload":${JSON.stringify(record)},"type":"CUSTOMER","uniqueId":"26764466"}]}`,
    );
    const parsed = JSON.parse(body) as { messages: { payload: string }[] };
    expect(parsed.messages[0]?.payload).toBe(record);
  });

  it("sends Send Sample Message exactly as the document shows it", () => {
    expect(messageEnvelope([SAMPLE_MESSAGE])).toBe(
      '{"messages":[{"action":"CUSTOMERCRE","payload":"Test message","type":"CUSTOMER","uniqueId":"0"}]}',
    );
  });
});

describe("roles (seeds/001 notes under Configuration)", () => {
  const cases: [string, Role[], boolean, boolean][] = [
    ["sysadmin", ["sysadmin"], true, true],
    ["sysconfig and jobadmin", ["sysconfig", "jobadmin"], false, true],
    ["sysconfig alone", ["sysconfig"], false, false],
    ["jobadmin alone", ["jobadmin"], false, false],
    ["operator and viewer", ["operator", "viewer"], false, false],
    ["no role", [], false, false],
  ];
  it.each(cases)("%s: save credentials %s, send the sample %s", (_, roles, save, sample) => {
    expect(isAllowed("saveSyncCredentials", roles)).toBe(save);
    expect(isAllowed("sendSampleMessage", roles)).toBe(sample);
  });

  it("refuses with FORBIDDEN naming the roles that would do", () => {
    expect(() => assertAllowed("sendSampleMessage", { name: "ops", roles: ["sysconfig"] })).toThrow(
      expect.objectContaining({
        code: "FORBIDDEN",
        message: expect.stringContaining("sysadmin, or sysconfig and jobadmin"),
      }),
    );
  });
});

describe("retry delays", () => {
  const policy = { baseMs: 10_000, maxMs: 1_800_000 };

  it("doubles with each failure up to the ceiling, drawn from the upper half of the span", () => {
    const spans = [1, 2, 3, 4, 10, 30].map((attempts) => [
      retryDelayMs(attempts, policy, () => 0),
      retryDelayMs(attempts, policy, () => 1),
    ]);
    expect(spans).toEqual([
      [5_000, 10_000],
      [10_000, 20_000],
      [20_000, 40_000],
      [40_000, 80_000],
      [900_000, 1_800_000],
      [900_000, 1_800_000],
    ]);
  });

  it("spreads retries of messages that failed together", () => {
    let seed = 1;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, policy, random)));
    expect(delays.size).toBeGreaterThan(40);
  });

  it("reads a 429's or 503's Retry-After as delay seconds or an HTTP date", () => {
    const now = Date.parse("2015-10-21T07:27:00Z");
    expect(retryAfterMs({ status: 429, retryAfter: "120" }, now)).toBe(120_000);
    expect(retryAfterMs({ status: 503, retryAfter: "0" }, now)).toBe(0);
    expect(retryAfterMs({ status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" }, now)).toBe(
      60_000,
    );
    // A date already past: no wait beyond the backoff.
    expect(retryAfterMs({ status: 429, retryAfter: "Wed, 21 Oct 2015 07:00:00 GMT" }, now)).toBe(0);
    // Only 429 and 503 ask the client to wait; a header that is neither form is no answer.
    expect(retryAfterMs({ status: 500, retryAfter: "120" }, now)).toBeNull();
    expect(retryAfterMs({ status: 429 }, now)).toBeNull();
    expect(retryAfterMs({ status: 429, retryAfter: "-5" }, now)).toBeNull();
    expect(retryAfterMs({ status: 429, retryAfter: "soon" }, now)).toBeNull();
  });

  it("waits at least what the receiver asked, up to an hour", () => {
    expect(honourRetryAfter(10_000, 120_000)).toBe(120_000);
    expect(honourRetryAfter(600_000, 120_000)).toBe(600_000);
    expect(honourRetryAfter(10_000, null)).toBe(10_000);
    expect(honourRetryAfter(10_000, 7 * 24 * 3_600_000)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(3_600_000);
  });
});

describe("sync settings", () => {
  it("defaults, and checks whole numbers against their range", () => {
    const settings = resolveSettings(new Map());
    expect(settings).toMatchObject({
      DataSyncIntervalSeconds: 60,
      DataSyncBatchSize: 500,
      DataSyncMaxAttempts: 10,
      DataSyncCredentialMapName: "ce_credentials",
    });
    expect(parseSettingValue("DataSyncBatchSize", "1_000")).toBe(1000);
    expect(parseSettingValue("DataSyncIntervalSeconds", "")).toBe(60);
    for (const bad of ["0", "1.5", "ten", "10001", true]) {
      expect(() => parseSettingValue("DataSyncBatchSize", bad)).toThrow(
        expect.objectContaining({ code: "INVALID_SETTING" }),
      );
    }
  });
});
