/**
 * SPEC 9, swept: "structured logs with customer PII redacted", and credentials never logged nor
 * returned. One customer whose every personal value is a word found nowhere else (a canary), and
 * credentials that are canaries too, go through custhub's real flows on every engine: writes that
 * succeed and that fail, 404s, malformed bodies, refused keys, an import with failing blocks, a
 * database failure, Send Sample Message with a token endpoint that refuses, and a run of every
 * destination against a receiver that repeats the whole request in its 4xx/5xx answer. Every line
 * the server's logger writes is kept; no canary may be in any of them, and no credential in any
 * reply. A failure names the canary and the lines that carry it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/roles.js";
import type { Hub } from "../../src/services/hub.js";
import { DataSync } from "../../src/sync/data-sync.js";
import type { SyncLogger } from "../../src/sync/types.js";
import { EchoReceiver } from "../simulators/echo-receiver.js";
import { engines } from "../support/databases.js";
import { testMasterKey, testTuning } from "../sync/helpers.js";
import { leaks, PII, piiForms, sentForms } from "../support/canaries.js";
import { startServer, type RunningServer } from "./helpers.js";

const sysadmin: Actor = { name: "sweep sysadmin", roles: ["sysadmin"] };

const customerBody = {
  individual: {
    names: { FIRST: PII.first, LAST: PII.last },
    nickName: PII.nick,
    birthDate: PII.birthDate,
    emails: [{ typeCode: "HOME", primaryFlag: true, emailAddress: PII.email }],
    telephones: [{ typeCode: "HOME", primaryFlag: true, phoneNumber: PII.phone }],
    addresses: [
      {
        typeCode: "HOME",
        primaryFlag: true,
        addressLine1: PII.street,
        city: PII.city,
        postalCode: PII.postal,
        country: "CA",
      },
    ],
  },
  alternateKeys: [
    { typeCode: "EMAIL", alternateID: PII.altEmail },
    { typeCode: "XSTORE_ID", alternateID: PII.storeKey },
  ],
  customAttributes: [{ name: "Hobby", values: [PII.hobby] }],
  notes: [{ text: PII.note }],
};

const xmlCustomer = (action: string, inner: string): string =>
  `<Customer Action="${action}">${inner}</Customer>`;

/** A batch file: one good block, blocks that fail with the canaries in them, as a user's would. */
const importFile = [
  '<?xml version="1.0"?>',
  "<Customers>",
  xmlCustomer(
    "Add",
    `<EntityInformation><Individual><Name><Name Location="First">${PII.first}</Name><Name Location="Last">${PII.last}</Name></Name>` +
      `<ContactInformation><EMail><EMailAddress>${PII.email}</EMailAddress></EMail><Telephone><PhoneNumber>${PII.badPhone}</PhoneNumber></Telephone></ContactInformation>` +
      `<PersonalSummary><BirthDate>${PII.badDate}</BirthDate></PersonalSummary></Individual></EntityInformation>` +
      `<AlternateKey TypeCode="EMAIL"><AlternateID>${PII.altEmail}</AlternateID></AlternateKey>`,
  ),
  xmlCustomer(
    "Update",
    `<AlternateKey TypeCode="XSTORE_ID"><AlternateID>${PII.storeKey}-gone</AlternateID></AlternateKey><NickName>${PII.nick}</NickName>`,
  ),
  xmlCustomer(
    "Add",
    `<EntityInformation><Individual><Name><Name Location="Sideways">${PII.first}</Name></Name></Individual></EntityInformation>`,
  ),
  xmlCustomer(
    "Add",
    `<CustomAttribute name="Tier"><AttributeValue>${PII.notInList}</AttributeValue></CustomAttribute>` +
      `<CustomAttribute name="${PII.hobby}"><AttributeValue>${PII.hobby}</AttributeValue></CustomAttribute>`,
  ),
  xmlCustomer(
    "Merge",
    `<AlternateKey TypeCode="EMAIL"><AlternateID>${PII.email}</AlternateID></AlternateKey>`,
  ),
  "</Customers>",
].join("\n");

/** Credentials, each a canary too. */
const SECRETS = {
  clientId: "dsClientCanary41",
  // Characters a form or URL encodes otherwise: an echo of the form carries it encoded.
  clientSecret: "dsSecret+Canary/42=",
  token: "oauthTokenCanary43",
  datanuumKey: "dnKey+Canary/44=",
  newbasePassword: "nbPass+Canary/45=",
  socialhubKey: "shKey+Canary/46=",
  badApiKey: "chk_badKeyCanary47",
};

describe.each(engines)("no customer PII nor credential in any log line, on $name", (engine) => {
  let server: RunningServer | undefined;
  let receiver: EchoReceiver | undefined;

  afterEach(async () => {
    await server?.close();
    await receiver?.stop();
    server = undefined;
    receiver = undefined;
  });

  it("keeps every canary out of the log through writes, failures, imports, the sync and each connector", async () => {
    const lines: string[] = [];
    const masterKey = testMasterKey();
    receiver = await new EchoReceiver(SECRETS.token).start();
    const logTo: { logger?: SyncLogger } = {};
    // The sync logs where `serve` has it log: the server's logger.
    const logger: SyncLogger = {
      info: (fields, message) => logTo.logger?.info(fields, message),
      warn: (fields, message) => logTo.logger?.warn(fields, message),
      error: (fields, message) => logTo.logger?.error(fields, message),
    };
    let dataSync!: DataSync;
    server = await startServer(
      engine,
      { logStream: { write: (line) => void lines.push(line) } },
      async (hub: Hub) => {
        dataSync = new DataSync(hub, {
          masterKey: { fromEnvironment: masterKey, keyFile: "/nonexistent/master.key" },
          random: () => 0.5,
          tuning: { ...testTuning, maxAttempts: 2 },
          logger,
        });
        return { dataSync };
      },
    );
    logTo.logger = server.app.log;
    const { hub } = server;
    const replies: string[] = [];
    const call = async (
      method: string,
      path: string,
      options: Parameters<RunningServer["call"]>[2] = {},
    ) => {
      const answer = await server!.call<unknown>(method, path, options);
      replies.push(JSON.stringify(answer.body));
      return answer;
    };

    await hub.referenceData.addAttributeType({ name: "Hobby", dataType: "TEXT" });
    await hub.referenceData.addAttributeType({
      name: "Tier",
      dataType: "LIST",
      values: ["Silver", "Gold"],
    });
    await hub.referenceData.addAttributeType({ name: "Visited", dataType: "DATE" });

    // Every change is queued for the sync from the start.
    for (const [key, value] of Object.entries({
      DataSyncEnabled: "true",
      DataSyncApiUrl: `${receiver.url}/messages`,
      DataSyncTokenUrl: receiver.tokenUrl,
      DataSyncCredentialKeyName: "datasync",
    })) {
      await hub.settings.set(key, value);
    }
    // Writes that succeed.
    const added = await call("POST", "/api/v1/customers", { key: "operator", json: customerBody });
    expect(added.status).toBe(201);
    const id = (added.body as { customerID: string }).customerID;
    const invalidData = {
      individual: {
        names: { FIRST: PII.first, LAST: PII.last },
        emails: [{ emailAddress: PII.badEmail }],
        telephones: [{ phoneNumber: PII.badPhone }],
      },
    };
    expect(
      (await call("POST", "/api/v1/customers", { key: "operator", json: invalidData })).status,
    ).toBe(201);
    expect(
      (
        await call("PATCH", `/api/v1/customers/${id}`, {
          key: "operator",
          json: { individual: { nickName: `${PII.nick}2` } },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call("POST", `/api/v1/customers/${id}/notes`, {
          key: "operator",
          json: { text: `${PII.note} 2` },
        })
      ).status,
    ).toBe(201);
    // Reads and searches by every personal value.
    for (const query of [
      `email=${encodeURIComponent(PII.email)}`,
      `phone=${PII.phone}`,
      `name=${PII.last}`,
      `postalCode=${encodeURIComponent(PII.postal)}`,
      `alternateKeyType=EMAIL&alternateKeyId=${encodeURIComponent(PII.altEmail)}`,
      `alternateKeyType=EMAIL&alternateKeyId=${encodeURIComponent(`x${PII.altEmail}`)}`,
    ]) {
      await call("GET", `/api/v1/customers?${query}`, { key: "viewer" });
    }
    // Writes that fail: validation (400 with details), conflicts, 404s, malformed bodies.
    const failing: [string, string, unknown][] = [
      ["POST", "/api/v1/customers", { ...customerBody, notes: [] }],
      [
        "POST",
        "/api/v1/customers",
        { customAttributes: [{ name: "Tier", values: [PII.notInList] }] },
      ],
      [
        "POST",
        "/api/v1/customers",
        { customAttributes: [{ name: "Visited", values: [PII.badDate] }] },
      ],
      [
        "POST",
        "/api/v1/customers",
        { customAttributes: [{ name: PII.hobby, values: [PII.hobby] }] },
      ],
      [
        "POST",
        "/api/v1/customers",
        { individual: { birthDate: PII.badDate, names: { FIRST: PII.first } } },
      ],
      ["POST", "/api/v1/customers", { individual: { names: { SIDEWAYS: PII.first } } }],
      [
        "POST",
        "/api/v1/customers",
        {
          individual: { names: { FIRST: 42 } },
          alternateKeys: [{ typeCode: PII.hobby, alternateID: PII.altEmail }],
        },
      ],
      [
        "POST",
        "/api/v1/customers/add-or-update",
        {
          alternateKeys: [{ typeCode: "XSTORE_ID", alternateID: `${PII.storeKey}-new` }],
          unknownField: PII.first,
        },
      ],
      ["PATCH", "/api/v1/customers/999999", { individual: { names: { FIRST: PII.first } } }],
      [
        "PATCH",
        `/api/v1/customers/${id}`,
        {
          alternateKeys: [
            { typeCode: "EMAIL", alternateID: PII.altEmail, updateType: "Sometimes" },
          ],
        },
      ],
      [
        "POST",
        "/api/v1/customers/merge",
        {
          target: { alternateKey: { typeCode: "EMAIL", alternateID: `x${PII.altEmail}` } },
          sources: [{ customerID: id }],
        },
      ],
      ["POST", `/api/v1/customers/${id}/notes`, { text: `${PII.note} 2` }],
      ["POST", "/api/v1/customers/999999/notes", { text: PII.note }],
    ];
    const statuses: number[] = [];
    for (const [method, path, json] of failing) {
      statuses.push((await call(method, path, { key: "operator", json })).status);
    }
    // One of them is saved with its invalid values flagged (SPEC 2), not refused.
    expect(statuses.filter((status) => status >= 400)).toHaveLength(failing.length - 1);
    for (const raw of [
      `{"individual":{"names":{"FIRST":"${PII.first}" "LAST":"${PII.last}"}}}`,
      `{"individual":{"names":{"FIRST":${PII.first}}}}`,
      `{"individual":{"emails":[{"emailAddress":"${PII.email}"}]`,
    ]) {
      expect((await call("POST", "/api/v1/customers", { key: "operator", raw })).status).toBe(400);
    }
    // Personal values typed into a path by mistake, on routes that exist and on one that does not.
    for (const [method, path] of [
      ["GET", `/api/v1/customers/${encodeURIComponent(PII.email)}`],
      ["DELETE", `/api/v1/customers/${encodeURIComponent(`${PII.first} ${PII.last}`)}`],
      ["GET", `/api/v1/customers/${PII.nick}`],
      ["GET", `/api/v1/customers/${PII.phone}x`],
      ["GET", `/api/v1/custmers/${encodeURIComponent(PII.altEmail)}`],
      ["GET", `/api/v1/customers/${id}/notes/${encodeURIComponent(PII.street)}`],
    ] as const) {
      expect((await call(method, path, { key: "operator" })).status).toBeGreaterThanOrEqual(400);
    }
    // Refused keys.
    for (const key of [SECRETS.badApiKey, `Basic ${SECRETS.badApiKey}`]) {
      expect((await call("GET", `/api/v1/customers/${id}`, { key })).status).toBe(401);
    }
    await call("GET", `/api/v1/customers/${id}`, {
      headers: { authorization: SECRETS.badApiKey },
    });
    // An import with failing blocks, and one that stops part-way.
    const imported = await call("POST", "/api/v1/imports", {
      key: "operator",
      raw: importFile,
      headers: { "content-type": "application/xml" },
    });
    expect(imported.status).toBe(201);
    expect((imported.body as { failed: number }).failed).toBeGreaterThanOrEqual(3);
    await call("POST", "/api/v1/imports", {
      key: "operator",
      raw: importFile.replace("</Customers>", `<Customer Action="Add"><NickName>${PII.nick}</Nick`),
      headers: { "content-type": "application/xml" },
    });

    // Credentials saved through the API: the replies say where, never what.
    expect(
      (
        await call("PUT", "/api/v1/destinations/datasync/credentials", {
          key: "sysadmin",
          json: { fields: { clientId: SECRETS.clientId, clientSecret: SECRETS.clientSecret } },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call("POST", "/api/v1/datanuum/configs", {
          key: "sysadmin",
          json: { code: "SWEEP", apiUrl: `${receiver.url}/datanuum`, apiKey: SECRETS.datanuumKey },
        })
      ).status,
    ).toBe(201);
    const destinations = dataSync.destinations;
    await destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", "SWEEP");
    await destinations.setConfig(sysadmin, "newbase", "baseUrl", `${receiver.url}/newbase`);
    await destinations.setConfig(sysadmin, "newbase", "customerCodeKeyType", "EMAIL");
    await call("PUT", "/api/v1/destinations/newbase/credentials", {
      key: "sysadmin",
      json: { fields: { username: "sweep", password: SECRETS.newbasePassword } },
    });
    await destinations.setConfig(sysadmin, "socialhub", "baseUrl", `${receiver.url}/socialhub`);
    await destinations.setConfig(sysadmin, "socialhub", "customerCodeKeyType", "EMAIL");
    await call("PUT", "/api/v1/destinations/socialhub/credentials", {
      key: "sysadmin",
      json: { fields: { apiKey: SECRETS.socialhubKey } },
    });
    for (const name of ["datanuum", "newbase", "socialhub"]) {
      await destinations.setEnabled(sysadmin, name, true);
    }

    // Send Sample Message: the token endpoint refuses repeating the form, then the receiver
    // refuses repeating the bearer token.
    receiver.tokenStatus = 401;
    expect((await call("POST", "/api/v1/sync/sample", { key: "sysadmin" })).status).toBe(502);
    receiver.tokenStatus = 200;
    await call("POST", "/api/v1/sync/sample", { key: "sysadmin" });
    // Every destination runs against answers that repeat the request: 500 (retried, then dead
    // letters), then 400 (rejected at once) for a change made since.
    receiver.status = 500;
    await destinations.runEnabled(sysadmin, { trigger: "schedule" });
    await call("POST", "/api/v1/sync/run", { key: "jobadmin" });
    for (const name of ["datanuum", "newbase", "socialhub"]) {
      await call("POST", `/api/v1/destinations/${name}/run`, { key: "jobadmin" });
    }
    receiver.status = 400;
    await call("PATCH", `/api/v1/customers/${id}`, {
      key: "operator",
      json: { individual: { nickName: `${PII.nick}3` } },
    });
    await destinations.runEnabled(sysadmin, { trigger: "schedule" });
    // The token endpoint refusing a run.
    receiver.tokenStatus = 503;
    // New credentials drop the token the process has cached.
    await call("PUT", "/api/v1/destinations/datasync/credentials", {
      key: "sysadmin",
      json: { fields: { clientId: SECRETS.clientId, clientSecret: `${SECRETS.clientSecret}b` } },
    });
    await call("PATCH", `/api/v1/customers/${id}`, {
      key: "operator",
      json: { individual: { nickName: `${PII.nick}4` } },
    });
    await destinations.runEnabled(sysadmin, { trigger: "schedule" });
    for (const path of [
      "/api/v1/sync/status",
      "/api/v1/sync/dead-letters",
      "/api/v1/destinations/newbase/dead-letters",
      "/api/v1/destinations/socialhub/dead-letters",
      "/api/v1/destinations/datanuum/dead-letters",
      "/api/v1/destinations/datasync/runs",
      "/api/v1/destinations/newbase/runs",
      "/api/v1/destinations/datasync/credentials",
      "/api/v1/datanuum/configs",
    ]) {
      await call("GET", path, { key: "sysadmin" });
    }
    expect(receiver.requests.length).toBeGreaterThan(4);

    // A failure of custhub's own: the database refuses the write (GENERAL_ERROR, a stack).
    await hub.db.exec(
      `ALTER TABLE customers ADD CONSTRAINT sweep_refuses
         CHECK (substring(record from '${PII.crash}')::integer IS NULL)`,
    );
    expect(
      (
        await call("POST", "/api/v1/customers", {
          key: "operator",
          json: {
            ...customerBody,
            alternateKeys: [],
            notes: [],
            individual: { names: { FIRST: PII.first }, nickName: PII.crash },
          },
        })
      ).status,
    ).toBe(500);
    expect(
      (
        await call("PATCH", `/api/v1/customers/${id}`, {
          key: "operator",
          json: { individual: { nickName: PII.crash } },
        })
      ).status,
    ).toBe(500);

    const apiKeys = Object.values(server.keys);
    const secrets = [
      ...Object.entries(SECRETS),
      ...sentForms("clientSecret", SECRETS.clientId, SECRETS.clientSecret),
      ...sentForms("newbasePassword", "sweep", SECRETS.newbasePassword),
      ...sentForms("datanuumKey", "", SECRETS.datanuumKey).slice(0, 3),
      ...sentForms("socialhubKey", "", SECRETS.socialhubKey).slice(0, 3),
      ["clientSecret2", `${SECRETS.clientSecret}b`],
      ["masterKey", masterKey],
      ...apiKeys.map((key, at): [string, string] => [`apiKey${at}`, key]),
    ] as [string, string][];
    expect(lines.length).toBeGreaterThan(50);
    expect(lines.some((line) => line.includes("delivery failed"))).toBe(true);
    expect(leaks(lines, [...piiForms(), ...secrets])).toEqual([]);
    // Replies carry the caller's own data, but never a credential.
    expect(
      leaks(
        replies,
        secrets.filter(([name]) => name !== "badApiKey"),
      ),
    ).toEqual([]);
  });
});
