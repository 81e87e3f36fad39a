/**
 * The credential store and the master key (SPEC 6): AES-256-GCM at rest, the key from
 * CUSTHUB_MASTER_KEY or a 0600 key file, values never returned and never logged.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Hub } from "../../src/services/hub.js";
import { DataSync } from "../../src/sync/data-sync.js";
import {
  loadMasterKey,
  masterKeyFileOf,
  parseMasterKey,
} from "../../src/sync/secrets/master-key.js";
import { Secret } from "../../src/sync/secrets/secret.js";
import type { SyncLogger } from "../../src/sync/types.js";
import { engines } from "../support/databases.js";
import { DataSyncReceiver } from "../simulators/datasync-receiver.js";
import {
  addCustomers,
  configureSync,
  keyOf,
  newDataSync,
  sysadmin,
  testMasterKey,
} from "./helpers.js";

describe("the master key", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "custhub-key-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads 32 bytes as 64 hex digits or base64, and describes a bad value without repeating it", () => {
    const bytes = Buffer.alloc(32, 7);
    expect(parseMasterKey(bytes.toString("hex"), "CUSTHUB_MASTER_KEY").id).toBe(
      parseMasterKey(bytes.toString("base64"), "CUSTHUB_MASTER_KEY").id,
    );
    for (const bad of ["too-short", Buffer.alloc(16).toString("base64"), "zz".repeat(32)]) {
      let message = "";
      try {
        parseMasterKey(bad, "CUSTHUB_MASTER_KEY");
      } catch (error) {
        expect(error).toMatchObject({ code: "MASTER_KEY_INVALID" });
        message = (error as Error).message;
      }
      expect(message).toContain("CUSTHUB_MASTER_KEY must hold a 32-byte key");
      expect(message).not.toContain(bad);
    }
  });

  it("creates the key file with mode 0600 when asked, and reads the same key back", () => {
    const source = { fromEnvironment: undefined, keyFile: masterKeyFileOf(dir) };
    expect(() => loadMasterKey(source, { create: false })).toThrow(
      expect.objectContaining({
        code: "MASTER_KEY_INVALID",
        message: expect.stringContaining("No master key"),
      }),
    );
    const created = loadMasterKey(source, { create: true });
    expect(statSync(source.keyFile).mode & 0o777).toBe(0o600);
    expect(loadMasterKey(source, { create: false }).id).toBe(created.id);
    expect(loadMasterKey(source, { create: true }).id).toBe(created.id);
    // The key never shows when the object is printed.
    const key = readFileSync(source.keyFile, "utf8").trim();
    expect(inspect(created)).not.toContain(key);
    expect(JSON.stringify({ created })).not.toContain(key);
  });

  it("refuses a key file others can read, and prefers CUSTHUB_MASTER_KEY", () => {
    const keyFile = masterKeyFileOf(dir);
    writeFileSync(keyFile, `${Buffer.alloc(32, 1).toString("base64")}\n`);
    chmodSync(keyFile, 0o644);
    expect(() => loadMasterKey({ fromEnvironment: undefined, keyFile }, { create: false })).toThrow(
      expect.objectContaining({ message: expect.stringContaining("chmod 600") }),
    );
    const fromEnvironment = testMasterKey();
    expect(loadMasterKey({ fromEnvironment, keyFile }, { create: false }).id).toBe(
      parseMasterKey(fromEnvironment, "x").id,
    );
  });

  it("keeps secrets out of strings, JSON and inspection", () => {
    const secret = new Secret("hunter2");
    expect(`${secret}`).toBe("[redacted]");
    expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
    expect(inspect({ secret })).not.toContain("hunter2");
    expect(secret.reveal()).toBe("hunter2");
  });
});

describe.each(engines)("the credential store on $name", (engine) => {
  let hub: Hub;
  let receiver: DataSyncReceiver;
  beforeEach(async () => {
    hub = await engine.freshHub();
    receiver = await DataSyncReceiver.start({ echoCredentialsInErrors: true });
  });
  afterEach(async () => receiver.close());

  it("keeps only ciphertext at rest, sealed to its map and key, under the master key", async () => {
    const sync = await configureSync(hub, receiver);
    const [row] = await hub.db.query<Record<string, unknown>>("SELECT * FROM credential_store");
    expect(row).toMatchObject({ map_name: "ce_credentials", key_name: "datasync" });
    const raw = JSON.stringify(row);
    expect(raw).not.toContain(receiver.clientSecret);
    expect(raw).not.toContain(receiver.clientId);
    expect(String(row?.encrypted_value)).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(row?.master_key_id).toBe(parseMasterKey(keyOf(hub), "x").id);
    expect(await sync.sendSample(sysadmin)).toMatchObject({ status: 200, accepted: true });

    // Another master key cannot open it, and says so.
    const stranger = newDataSync(hub, {}, testMasterKey());
    await expect(stranger.sendSample(sysadmin)).rejects.toMatchObject({
      code: "MASTER_KEY_INVALID",
      message: expect.stringContaining("saved under another master key"),
    });
    // A sealed value copied under another key name does not open there.
    await hub.db.query(
      `INSERT INTO credential_store (map_name, key_name, encrypted_value, master_key_id)
       SELECT map_name, 'copied', encrypted_value, master_key_id FROM credential_store`,
    );
    await hub.settings.set("DataSyncCredentialKeyName", "copied");
    await expect(sync.sendSample(sysadmin)).rejects.toMatchObject({ code: "MASTER_KEY_INVALID" });
  });

  it("lets only sysadmin save them, needs both values, and never hands them out", async () => {
    const sync = await configureSync(hub, receiver);
    const values = { clientId: "id-1", clientSecret: "secret-1" };
    for (const roles of [["sysconfig", "jobadmin"], ["operator"], []] as const) {
      await expect(sync.saveCredentials({ name: "someone", roles }, values)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    }
    await expect(
      sync.saveCredentials(sysadmin, { clientId: "id-1", clientSecret: "" }),
    ).rejects.toMatchObject({ code: "INVALID_REQUEST" });
    const saved = await sync.saveCredentials(sysadmin, values);
    expect(Object.keys(saved).sort()).toEqual(["keyName", "mapName", "saved", "updatedAt"]);
    const status = JSON.stringify(await sync.status(sysadmin));
    expect(status).toContain('"saved":true');
    expect(status).not.toContain("secret-1");
    expect(status).not.toContain("id-1");

    await hub.settings.set("DataSyncCredentialKeyName", "");
    await expect(sync.saveCredentials(sysadmin, values)).rejects.toMatchObject({
      code: "SYNC_NOT_CONFIGURED",
    });
  });

  it("keeps the client ID without the spaces around it and the secret as given, on both ways of saving them", async () => {
    type Values = { clientId: string; clientSecret: string };
    const saveBy: Record<string, (sync: DataSync, values: Values) => Promise<unknown>> = {
      "credentials set": (sync, values) => sync.saveCredentials(sysadmin, values),
      "destinations credentials datasync": (sync, values) =>
        sync.destinations.saveCredentials(sysadmin, "datasync", values),
    };
    const cases: { given: Values; kept?: Values }[] = [
      // Spaces around a client ID are a paste's: it is kept without them.
      {
        given: { clientId: "  custhub-client\t", clientSecret: "s3cret" },
        kept: { clientId: "custhub-client", clientSecret: "s3cret" },
      },
      // A secret is kept as given, every space of it, even one of spaces only.
      {
        given: { clientId: "custhub-client", clientSecret: "  spaced s3cret  " },
        kept: { clientId: "custhub-client", clientSecret: "  spaced s3cret  " },
      },
      {
        given: { clientId: "custhub-client", clientSecret: "   " },
        kept: { clientId: "custhub-client", clientSecret: "   " },
      },
      // Nothing to save: refused.
      { given: { clientId: "   ", clientSecret: "s3cret" } },
      { given: { clientId: "custhub-client", clientSecret: "" } },
    ];
    for (const [way, save] of Object.entries(saveBy)) {
      for (const { given, kept } of cases) {
        const what = `${way} ${JSON.stringify(given)}`;
        const far = await DataSyncReceiver.start(kept ?? {});
        try {
          const sync = await configureSync(hub, far);
          if (!kept) {
            await expect(save(sync, given), what).rejects.toMatchObject({
              code: "INVALID_REQUEST",
            });
            continue;
          }
          await save(sync, given);
          const sent = await sync.sendSample(sysadmin).catch((error: Error) => error.message);
          expect(sent, what).toMatchObject({ accepted: true });
          expect(far.tokenRequests, what).toEqual([{ authentication: "basic", granted: true }]);
        } finally {
          await far.close();
        }
      }
    }
  });

  it("lets sysadmin, or sysconfig with jobadmin, send the sample message", async () => {
    const sync = await configureSync(hub, receiver);
    expect(await sync.sendSample({ name: "ops", roles: ["sysconfig", "jobadmin"] })).toMatchObject({
      accepted: true,
    });
    await expect(sync.sendSample({ name: "ops", roles: ["jobadmin"] })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect(receiver.accepted).toMatchObject([
      { action: "CUSTOMERCRE", payload: "Test message", type: "CUSTOMER", uniqueId: "0" },
    ]);
  });

  it("never writes the secret to a log, a run record or an error, whatever fails", async () => {
    const lines: string[] = [];
    const capture: SyncLogger = {
      info: (fields, message) => lines.push(JSON.stringify({ fields, message })),
      warn: (fields, message) => lines.push(JSON.stringify({ fields, message })),
      error: (fields, message) => lines.push(JSON.stringify({ fields, message })),
    };
    await configureSync(hub, receiver);
    const sync = new DataSync(hub, {
      masterKey: { fromEnvironment: keyOf(hub), keyFile: "/nonexistent" },
      logger: capture,
      tuning: { retry: { baseMs: 0, maxMs: 0 }, timeoutMs: 2000, leaseSeconds: 30 },
    });
    await addCustomers(hub, ["A", "B"]);
    receiver.respondWith((message) => ({ status: 500, body: `bad ${message.key}` }));
    const failed = await sync.runOnce(sysadmin);
    await sync.saveCredentials(sysadmin, { clientId: receiver.clientId, clientSecret: "not-it" });
    await addCustomers(hub, ["C"]);
    const refused = await sync.runOnce(sysadmin);
    const sample = await sync.sendSample(sysadmin).catch((error: unknown) => error);
    expect(refused.error).toContain("invalid_client");
    const everything = [
      ...lines,
      JSON.stringify(failed),
      JSON.stringify(refused),
      JSON.stringify(sample),
      String(sample),
      JSON.stringify(await sync.status(sysadmin)),
      JSON.stringify(await sync.deadLetters(sysadmin)),
      JSON.stringify(await hub.db.query("SELECT * FROM data_sync_job_runs")),
      JSON.stringify(await hub.db.query("SELECT * FROM data_sync_progress_queue")),
    ].join("\n");
    expect(lines.length).toBeGreaterThan(2);
    for (const secret of [receiver.clientSecret, "not-it"])
      expect(everything).not.toContain(secret);
  });
});

describe.each(engines)("bearer tokens on $name", (engine) => {
  it("never keeps or hands out a token the messages endpoint repeats in its answer", async () => {
    const hub = await engine.freshHub();
    const receiver = await DataSyncReceiver.start({ echoTokens: true });
    try {
      await hub.settings.set("DataSyncMaxAttempts", "2");
      const sync = await configureSync(hub, receiver);
      const sample = await sync.sendSample(sysadmin);
      expect(sample).toMatchObject({ accepted: true, body: expect.stringContaining("received") });
      // The next send meets an expired token (a 401 that repeats it), then is refused with the new one.
      receiver.expireTokens();
      const [refused, failing] = (await addCustomers(hub, ["Refused", "Failing"])) as [
        string,
        string,
      ];
      receiver.respondWith((message) =>
        message.key === refused
          ? { status: 400 }
          : message.key === failing
            ? { status: 500 }
            : undefined,
      );
      await sync.runOnce(sysadmin);
      // A manual run keeps each delivery's result, the receiver's words with it.
      const manual = await sync.destinations.run(sysadmin, "datasync", { customers: [refused] });
      expect(manual.run.outcome).toBe("failed");
      const kept = [
        JSON.stringify(sample),
        JSON.stringify(manual),
        JSON.stringify(await sync.status(sysadmin)),
        JSON.stringify(await sync.deadLetters(sysadmin)),
        JSON.stringify(await hub.db.query("SELECT * FROM data_sync_progress_queue")),
        JSON.stringify(await hub.db.query("SELECT * FROM data_sync_dead_letters")),
        JSON.stringify(await hub.db.query("SELECT * FROM sync_run_results")),
      ].join("\n");
      // The receiver's words are kept, without the tokens in them.
      expect(kept.includes("told to answer 400 (token [redacted])")).toBe(true);
      expect(receiver.issuedTokens.length).toBeGreaterThanOrEqual(2);
      expect(receiver.issuedTokens.filter((token) => kept.includes(token))).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
