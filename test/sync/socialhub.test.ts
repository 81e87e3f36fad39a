/**
 * The SocialHub connector (seeds/004): its mapping, property by property from the document's
 * table, its settings, and its `deliver` against the SocialHub simulator (a real HTTP server).
 */
import { inspect } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emptyCustomer, type CustomerState } from "../../src/domain/customer.js";
import { toCustomerResponse } from "../../src/domain/customer-response.js";
import type { ClaimedRow } from "../../src/store/sync-deliveries.js";
import type { Destination } from "../../src/sync/destination.js";
import {
  socialhubMessageOf,
  type SocialhubMessage,
} from "../../src/sync/destinations/socialhub/mapping.js";
import { socialhubDestination } from "../../src/sync/destinations/socialhub/socialhub-destination.js";
import { Secret } from "../../src/sync/secrets/secret.js";
import { SocialhubReceiver } from "../simulators/socialhub-receiver.js";

const flags = {
  primaryFlag: true,
  validFlag: true,
  label: null,
  contactPreferenceCode: null,
  active: true,
};

/** The customer of the record example (docs/customer-record.md). */
function customer(id = "1000"): CustomerState {
  const state = emptyCustomer(id);
  state.individual.names.FIRST = "John";
  state.individual.names.LAST = "Smith";
  state.individual.genderType = "M";
  state.individual.birthDate = "1957-04-16";
  state.individual.languageCode = "FR";
  state.individual.addresses = [
    {
      ...flags,
      typeCode: "HOME",
      addressLine1: "1 Main St",
      addressLine2: null,
      addressLine3: null,
      addressLine4: null,
      apartmentNumber: null,
      city: "Solon",
      territory: "OH",
      postalCode: "44139",
      county: null,
      country: "US",
    },
  ];
  state.individual.emails = [{ ...flags, typeCode: "HOME", emailAddress: "pnewman2@example.com" }];
  state.contactPreferences = [
    { contactType: "MAIL", subTypeCode: "HOME", permission: true },
    { contactType: "EMAIL", subTypeCode: "HOME", permission: true },
    { contactType: "PHONE", subTypeCode: "HOME", permission: true },
  ];
  return state;
}

function rowOf(
  state: CustomerState,
  action: "CREATE" | "UPDATE" | "DELETE" = "UPDATE",
): ClaimedRow {
  return {
    id: "1",
    sourceQueue: "customer",
    objName: "Customer",
    uniqueId: state.customerID,
    action,
    json: action === "DELETE" ? null : JSON.stringify(toCustomerResponse(state)),
    messageId: "m-1",
    orderingKey: state.customerID,
    attempts: 0,
    enqueuedAt: Date.now(),
  };
}

const messageOf = (state: CustomerState, keyType: string | null = null): SocialhubMessage =>
  socialhubMessageOf(toCustomerResponse(state), keyType)!;

describe("SocialHub mapping (seeds/004 Properties)", () => {
  const cases: {
    property: string;
    change?: (state: CustomerState) => void;
    keyType?: string;
    read: (message: SocialhubMessage) => unknown;
    expected: unknown;
  }[] = [
    {
      property: "Customer Code: the customerID by default",
      read: (m) => m.customerCode,
      expected: "1000",
    },
    {
      property: "Customer Code: the configured alternate key",
      change: (s) => (s.alternateKeys = [{ typeCode: "TWCUSTID", alternateID: "0000000043" }]),
      keyType: "TWCUSTID",
      read: (m) => m.customerCode,
      expected: "0000000043",
    },
    { property: "Email", read: (m) => m.body.email, expected: "pnewman2@example.com" },
    {
      property: "Email: the valid one, not an invalid primary one SocialHub would refuse",
      change: (s) =>
        s.individual.emails.unshift({
          ...flags,
          validFlag: false,
          typeCode: "WORK",
          emailAddress: "ivan.invalid-at-example",
        }),
      read: (m) => m.body.email,
      expected: "pnewman2@example.com",
    },
    {
      property: "Email: none valid, sent empty",
      change: (s) => {
        s.individual.emails[0]!.validFlag = false;
        s.individual.emails[0]!.emailAddress = "ivan.invalid-at-example";
      },
      read: (m) => m.body.email,
      expected: "",
    },
    {
      property: "Email, emptied in custhub",
      change: (s) => (s.individual.emails[0]!.active = false),
      read: (m) => m.body.email,
      expected: "",
    },
    {
      property: "Customer Name: full name of the customer",
      change: (s) => (s.individual.names.MIDDLE = "Q."),
      read: (m) => m.body.name,
      expected: "John Q. Smith",
    },
    { property: "Gender: male", read: (m) => m.body.gender, expected: 1 },
    {
      property: "Gender: female",
      change: (s) => (s.individual.genderType = "F"),
      read: (m) => m.body.gender,
      expected: 2,
    },
    {
      property: "Gender: unknown",
      change: (s) => (s.individual.genderType = null),
      read: (m) => m.body.gender,
      expected: 0,
    },
    {
      property: "Birthday in yyyy-MM-dd format",
      read: (m) => m.body.birthday,
      expected: "1957-04-16",
    },
    {
      property: "Birthday, none kept",
      change: (s) => (s.individual.birthDate = null),
      read: (m) => m.body.birthday,
      expected: null,
    },
    {
      property: "Postal Code of the customer's address",
      read: (m) => m.body.postelCode,
      expected: "44139",
    },
    {
      property: "Customer Address: full address of the customer",
      read: (m) => m.body.address,
      expected: "1 Main St, Solon, OH, US",
    },
    {
      property: "Customer Address: a country code kept in lower case, in capitals (shared rules)",
      change: (s) => (s.individual.addresses[0]!.country = "us"),
      read: (m) => m.body.address,
      expected: "1 Main St, Solon, OH, US",
    },
    {
      property: "Customer Address: a country name, as given",
      change: (s) => (s.individual.addresses[0]!.country = "United States"),
      read: (m) => m.body.address,
      expected: "1 Main St, Solon, OH, United States",
    },
    {
      property: "Customer Receive SMS Flag: consent by the Phone preference",
      read: (m) => m.body.receiveSmsFlag,
      expected: 1,
    },
    {
      property: "Customer Receive SMS Flag: an SMS preference comes first",
      change: (s) =>
        s.contactPreferences.push({ contactType: "SMS", subTypeCode: null, permission: false }),
      read: (m) => m.body.receiveSmsFlag,
      expected: 0,
    },
    {
      property: "Customer Receive SMS Flag: no preference is no consent",
      change: (s) => (s.contactPreferences = []),
      read: (m) => [m.body.receiveSmsFlag, m.body.receiveEmailFlag],
      expected: [0, 0],
    },
    {
      property: "Customer Receive Email Flag",
      read: (m) => m.body.receiveEmailFlag,
      expected: 1,
    },
    {
      property: "Customer Receive Email Flag: refused",
      change: (s) => (s.contactPreferences[1]!.permission = false),
      read: (m) => m.body.receiveEmailFlag,
      expected: 0,
    },
    { property: "Language", read: (m) => m.body.language, expected: "FR" },
  ];

  it.each(cases)("$property", ({ change, keyType, read, expected }) => {
    const state = customer();
    change?.(state);
    expect(read(messageOf(state, keyType ?? null))).toEqual(expected);
  });

  it("sends exactly the document's properties", () => {
    expect(Object.keys(messageOf(customer()).body)).toEqual([
      "email",
      "name",
      "gender",
      "birthday",
      "postelCode",
      "address",
      "receiveSmsFlag",
      "receiveEmailFlag",
      "language",
    ]);
  });

  it("has no message for a customer without the configured customer code", () => {
    expect(socialhubMessageOf(toCustomerResponse(customer()), "XSTORE_ID")).toBeNull();
  });
});

describe("SocialHub settings", () => {
  it("resolves the base URL and the customer code key type", () => {
    const settings = socialhubDestination.parseSettings({
      baseUrl: "https://s1.socialhub.ai/openapi-prod",
      customerCodeKeyType: " TWCUSTID ",
    });
    expect(settings.baseUrl.href).toBe("https://s1.socialhub.ai/openapi-prod/");
    expect(settings.customerCodeKeyType).toBe("TWCUSTID");
    expect(
      socialhubDestination.parseSettings({ baseUrl: "http://h/x" }).customerCodeKeyType,
    ).toBeNull();
  });

  it.each([
    [null, /baseUrl is not set/],
    ["socialhub", /baseUrl is not a URL/],
    ["ftp://h/x", /http or https/],
  ])("refuses the base URL %s", (baseUrl, message) => {
    expect(() => socialhubDestination.parseSettings({ baseUrl })).toThrow(message);
    expect(() => socialhubDestination.parseSettings({ baseUrl })).toThrow(
      expect.objectContaining({ code: "INVALID_SETTING" }),
    );
  });
});

describe("SocialHub destination against the simulator", () => {
  let receiver: SocialhubReceiver;
  const opened: Destination[] = [];

  beforeAll(async () => {
    receiver = await SocialhubReceiver.start();
  });
  afterAll(async () => {
    await Promise.all(opened.map((destination) => destination.close()));
    await receiver.close();
  });
  beforeEach(() => receiver.respondWith(() => undefined));

  async function open(
    values: Record<string, string | null> = {},
    apiKey = receiver.apiKey,
    baseUrl = receiver.baseUrl,
  ): Promise<Destination> {
    const destination = await socialhubDestination.open({
      settings: socialhubDestination.parseSettings({ baseUrl, ...values }),
      credentials: { apiKey: new Secret(apiKey) },
      timeoutMs: 2_000,
      concurrency: 2,
    });
    opened.push(destination);
    return destination;
  }

  it("updates the customer by its code with every property (new email and address)", async () => {
    receiver.seed("1000", { email: "old@example.com", address: "Old street" });
    const destination = await open();
    expect(await destination.deliver(rowOf(customer("1000")))).toEqual({
      kind: "delivered",
      status: 200,
    });
    expect(receiver.customer("1000")).toEqual({
      email: "pnewman2@example.com",
      name: "John Smith",
      gender: 1,
      birthday: "1957-04-16",
      postelCode: "44139",
      address: "1 Main St, Solon, OH, US",
      receiveSmsFlag: 1,
      receiveEmailFlag: 1,
      language: "FR",
    });
    expect(receiver.requests.at(-1)).toMatchObject({ customerCode: "1000", status: 200 });
  });

  it("opts the customer out of SMS when the preference is withdrawn", async () => {
    receiver.seed("1001");
    const destination = await open();
    const state = customer("1001");
    await destination.deliver(rowOf(state));
    expect(receiver.customer("1001")?.receiveSmsFlag).toBe(1);
    state.contactPreferences[2]!.permission = false;
    expect(await destination.deliver(rowOf(state))).toMatchObject({ kind: "delivered" });
    expect(receiver.customer("1001")?.receiveSmsFlag).toBe(0);
  });

  it("sends the configured alternate key as the customer code, and nothing without one", async () => {
    receiver.seed("C-9");
    const destination = await open({ customerCodeKeyType: "TWCUSTID" });
    const state = customer("1002");
    state.alternateKeys = [{ typeCode: "TWCUSTID", alternateID: "C-9" }];
    expect(await destination.deliver(rowOf(state))).toMatchObject({ kind: "delivered" });
    expect(receiver.customer("C-9")?.name).toBe("John Smith");

    const before = receiver.requests.length;
    const result = await destination.deliver(rowOf(customer("1003")));
    expect(result).toMatchObject({ kind: "rejected" });
    expect((result as { error: string }).error).toMatch(/Customer Code is required/);
    expect(receiver.requests.length).toBe(before);
  });

  it("fails a customer code SocialHub does not know with its 404", async () => {
    const destination = await open();
    const result = await destination.deliver(rowOf(customer("4040")));
    expect(result).toMatchObject({ kind: "failed", status: 404 });
    expect((result as { error: string }).error).toMatch(/customer 4040 not found/);
  });

  it("rejects a body SocialHub refuses (400), which no retry would change", async () => {
    receiver.seed("1005");
    const destination = await open();
    const state = customer("1005");
    // Marked valid (a request's ValidFlag forces it), yet SocialHub refuses it.
    state.individual.emails[0]!.emailAddress = "pnewman2 at example.com";
    const result = await destination.deliver(rowOf(state));
    expect(result).toEqual({
      kind: "rejected",
      status: 400,
      error: expect.stringMatching(/^SocialHub update: HTTP 400: .*email is not an email address/),
    });
  });

  it.each([
    [400, "rejected"],
    [422, "rejected"],
    [401, "failed"],
    [404, "failed"],
    [408, "failed"],
    [409, "failed"],
    [429, "failed"],
    [500, "failed"],
    [503, "failed"],
  ])("takes HTTP %i as %s, as every connector does", async (status, kind) => {
    receiver.seed("1006");
    receiver.respondWith(() => ({ status }));
    const destination = await open();
    expect(await destination.deliver(rowOf(customer("1006")))).toMatchObject({ kind, status });
  });

  it("rejects a 400 refusal inside an HTTP 200 as it does an HTTP 400", async () => {
    receiver.seed("1007");
    receiver.respondWith(() => ({
      status: 200,
      body: { code: "400", msg: "email is not valid", data: null },
    }));
    const destination = await open();
    expect(await destination.deliver(rowOf(customer("1007")))).toMatchObject({
      kind: "rejected",
      status: 400,
    });
  });

  it("names the Customer Code by its key type, never its value, in errors (SPEC 9)", async () => {
    const secret = "erin.private@example.net";
    const state = customer("1008");
    state.alternateKeys = [{ typeCode: "EMAIL", alternateID: secret }];
    const destination = await open({ customerCodeKeyType: "EMAIL" });
    // SocialHub's 404 repeats the code it was given.
    const notFound = await destination.deliver(rowOf(state));
    expect(notFound).toMatchObject({ kind: "failed", status: 404 });
    expect((notFound as { error: string }).error).toMatch(/customer \[EMAIL key\] not found/);

    // No answer: the transport's error names the URL, whose path holds the code.
    const gone = await SocialhubReceiver.start();
    await gone.close();
    const unreachable = await open({ customerCodeKeyType: "EMAIL" }, receiver.apiKey, gone.baseUrl);
    const failed = await unreachable.deliver(rowOf(state));
    expect(failed).toMatchObject({ kind: "failed", status: null });
    expect((failed as { error: string }).error).toMatch(/updateInfo\/\[EMAIL key\] failed/);

    for (const result of [notFound, failed]) {
      const shown = JSON.stringify(result);
      expect(shown).not.toContain("erin.private");
      expect(shown).not.toContain(encodeURIComponent(secret));
    }
  });

  it("passes on the wait a 429's or 503's Retry-After asks for, as the other destinations do", async () => {
    receiver.seed("1005");
    const destination = await open();
    receiver.respondWith(() => ({ status: 429, headers: { "retry-after": "120" } }));
    expect(await destination.deliver(rowOf(customer("1005")))).toMatchObject({
      kind: "failed",
      status: 429,
      retryAfterMs: 120_000,
    });
    const inFiveMinutes = new Date(Date.now() + 300_000).toUTCString();
    receiver.respondWith(() => ({ status: 503, headers: { "retry-after": inFiveMinutes } }));
    const dated = await destination.deliver(rowOf(customer("1005")));
    expect((dated as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(290_000);
    expect((dated as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(300_000);
    // A 500 asks for nothing.
    receiver.respondWith(() => ({ status: 500, headers: { "retry-after": "120" } }));
    expect(await destination.deliver(rowOf(customer("1005")))).toMatchObject({
      kind: "failed",
      status: 500,
      retryAfterMs: null,
    });
  });

  it("fails with the code of a refusal inside an HTTP 200", async () => {
    receiver.seed("1004");
    receiver.respondWith(() => ({
      status: 200,
      body: { code: "500", msg: "internal error", data: null },
    }));
    const destination = await open();
    const result = await destination.deliver(rowOf(customer("1004")));
    expect(result).toMatchObject({ kind: "failed", status: 500 });
    expect((result as { error: string }).error).toMatch(/internal error/);
  });

  it.each([
    ["an empty body", "", 'SocialHub update: malformed answer (HTTP 200 without a "code")'],
    [
      "a body that is not JSON",
      "<html>ok</html>",
      'SocialHub update: malformed answer (HTTP 200 without a "code"): <html>ok</html>',
    ],
    [
      "JSON without a code",
      '{"msg":"ok"}',
      'SocialHub update: malformed answer (HTTP 200 without a "code"): {"msg":"ok"}',
    ],
  ])("fails an HTTP 200 with %s, saying that its code is missing", async (_case, body, error) => {
    receiver.seed("1009");
    receiver.respondWith(() => ({ status: 200, body }));
    const destination = await open();
    expect(await destination.deliver(rowOf(customer("1009")))).toEqual({
      kind: "failed",
      status: 200,
      error,
      retryAfterMs: null,
    });
  });

  it("fails with 401 on a wrong API key, and never shows the key", async () => {
    const careless = await SocialhubReceiver.start({ echoCredentialsInErrors: true });
    try {
      careless.seed("1000");
      const wrong = "sh-wrong-key-81f2";
      const destination = await open({}, wrong, careless.baseUrl);
      const result = await destination.deliver(rowOf(customer("1000")));
      expect(result).toMatchObject({ kind: "failed", status: 401 });
      expect(careless.requests[0]?.status).toBe(401);
      const shown = `${JSON.stringify(result)} ${inspect(result)}`;
      expect(shown).toContain("[redacted]");
      expect(shown).not.toContain(wrong);
    } finally {
      await careless.close();
    }
  });

  it("skips a DELETE, which SocialHub's customer API does not offer", async () => {
    const before = receiver.requests.length;
    const destination = await open();
    const result = await destination.deliver(rowOf(customer("1000"), "DELETE"));
    expect(result).toMatchObject({ kind: "skipped" });
    expect((result as { reason: string }).reason).toMatch(/no delete/);
    expect(receiver.requests.length).toBe(before);
  });

  it("will not open without its API key", () => {
    expect(() =>
      socialhubDestination.open({
        settings: socialhubDestination.parseSettings({ baseUrl: receiver.baseUrl }),
        credentials: {},
        timeoutMs: 1_000,
        concurrency: 1,
      }),
    ).toThrow(expect.objectContaining({ code: "CREDENTIALS_NOT_FOUND" }));
  });
});
