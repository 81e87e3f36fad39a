/**
 * SPEC 9 swept through `custhub serve --watch` as a real process, on every engine: everything it
 * writes to stdout and stderr is its log. A customer whose every personal value is a canary is
 * queued for every destination, each pointed at a receiver that refuses repeating the whole
 * request; the schedule's runs fail against it; a batch file with failing blocks that stops
 * part-way (at an entity reference made of a customer's value) is dropped into `incoming/`; CLI
 * commands carrying personal values and secrets run beside it (handed to the server on PGlite);
 * requests are refused. No canary may be in the log, and no secret in what any command prints
 * (its stdout and stderr are the operator's answer, not a log: they may show the customer data
 * asked for, never a credential).
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Actor } from "../../src/domain/roles.js";
import { DataSync } from "../../src/sync/data-sync.js";
import { EchoReceiver } from "../simulators/echo-receiver.js";
import { leaks, PII, piiForms, sentForms } from "../support/canaries.js";
import { runCli, type CliResult } from "../support/cli.js";
import { killServers, startServe } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dirs.js";
import { waitFor } from "../support/wait.js";
import { cliEngines } from "../sync/cli-engines.js";
import { testMasterKey } from "../sync/helpers.js";

const sysadmin: Actor = { name: "sweep sysadmin", roles: ["sysadmin"] };

const SECRETS = {
  clientId: "dsClientCanary51",
  clientSecret: "dsSecret+Canary/52=",
  cliClientSecret: "dsSecret+Canary/53=",
  token: "oauthTokenCanary54",
  datanuumKey: "dnKey+Canary/55=",
  newbasePassword: "nbPass+Canary/56=",
  cliNewbasePassword: "nbPass+Canary/57=",
  socialhubKey: "shKey+Canary/58=",
  badApiKey: "chk_badKeyCanary59",
};

/** A batch file with failing blocks carrying the canaries, that stops part-way. */
const droppedFile = [
  '<?xml version="1.0"?>',
  "<Customers>",
  `<Customer Action="Update"><AlternateKey TypeCode="EMAIL"><AlternateID>${PII.email}</AlternateID></AlternateKey><EntityInformation><Individual><NickName>${PII.nick}</NickName></Individual></EntityInformation></Customer>`,
  `<Customer Action="Add"><EntityInformation><Individual><Name><Name Location="Sideways">${PII.first}</Name></Name><PersonalSummary><BirthDate>${PII.badDate}</BirthDate></PersonalSummary></Individual></EntityInformation></Customer>`,
  `<Customer Action="Add"><CustomAttribute name="${PII.hobby}"><AttributeValue>${PII.notInList}</AttributeValue></CustomAttribute></Customer>`,
  // An "&" in a value, read as an entity reference: the file stops at it.
  `<Customer Action="Add"><OrgName>${PII.first}&${PII.last};</OrgName></Customer>`,
].join("\n");

afterEach(() => killServers());

describe.each(cliEngines)("custhub serve's log carries no canary, on $name", (engine) => {
  it("keeps customer PII and credentials out of everything serve writes", async () => {
    const store = await engine.setUp();
    const receiver = await new EchoReceiver(SECRETS.token).start();
    receiver.status = 500;
    const masterKey = testMasterKey();
    const env = { ...store.env, CUSTHUB_MASTER_KEY: masterKey };
    try {
      // Configured beforehand, so the schedule's first run (at start) sends to the receiver.
      await store.openDirect(async (hub) => {
        const settings = {
          DataSyncEnabled: "true",
          DataSyncApiUrl: `${receiver.url}/messages`,
          DataSyncTokenUrl: receiver.tokenUrl,
          DataSyncCredentialKeyName: "datasync",
          DataSyncMaxAttempts: "1",
        };
        for (const [key, value] of Object.entries(settings)) await hub.settings.set(key, value);
        const sync = new DataSync(hub, {
          masterKey: { fromEnvironment: masterKey, keyFile: store.masterKey.keyFile },
        });
        await sync.saveCredentials(sysadmin, {
          clientId: SECRETS.clientId,
          clientSecret: SECRETS.clientSecret,
        });
        const destinations = sync.destinations;
        await destinations.addRewardConfig(sysadmin, {
          code: "SWEEP",
          apiUrl: `${receiver.url}/datanuum`,
          apiKey: SECRETS.datanuumKey,
        });
        await destinations.setConfig(sysadmin, "datanuum", "rewardPointsConfig", "SWEEP");
        for (const name of ["newbase", "socialhub"]) {
          await destinations.setConfig(sysadmin, name, "baseUrl", `${receiver.url}/${name}`);
          await destinations.setConfig(sysadmin, name, "customerCodeKeyType", "EMAIL");
        }
        await destinations.saveCredentials(sysadmin, "newbase", {
          username: "sweep",
          password: SECRETS.newbasePassword,
        });
        await destinations.saveCredentials(sysadmin, "socialhub", {
          apiKey: SECRETS.socialhubKey,
        });
        for (const name of ["datanuum", "newbase", "socialhub"]) {
          await destinations.setEnabled(sysadmin, name, true);
        }
        const [added] = await hub.customers.applyBatch(
          [
            {
              action: "Add",
              request: {
                individual: {
                  names: { FIRST: PII.first, LAST: PII.last },
                  birthDate: PII.birthDate,
                  emails: [{ emailAddress: PII.email }],
                  telephones: [{ phoneNumber: PII.phone }],
                  addresses: [{ addressLine1: PII.street, city: PII.city, postalCode: PII.postal }],
                },
                alternateKeys: [{ typeCode: "EMAIL", alternateID: PII.altEmail }],
                notes: [{ text: PII.note }],
              },
            },
          ],
          { actor: "sweep", channel: "api" },
        );
        expect(added?.ok).toBe(true);
      });

      const serve = await startServe(store.dataDir, { env, args: ["--watch"] });
      // The schedule's first run: every destination refused, with the request repeated.
      await waitFor(
        async () =>
          ["data-sync", "datanuum", "newbase", "socialhub"].every((name) =>
            serve.output().includes(`"${name} run finished"`),
          ),
        60_000,
      );

      // A batch file dropped into incoming/: failing blocks, then malformed XML.
      const incoming = join(store.dataDir, "incoming", "default");
      mkdirSync(incoming, { recursive: true });
      writeFileSync(join(incoming, ".sweep.xml"), droppedFile);
      renameSync(join(incoming, ".sweep.xml"), join(incoming, "sweep.xml"));
      await waitFor(async () => serve.output().includes("stopped importing"), 60_000);

      // Commands beside it, with personal values and secrets on their command lines.
      const file = join(tempDir(), "sweep.xml");
      writeFileSync(file, droppedFile);
      const answers: CliResult[] = [];
      const cli = async (...args: string[]): Promise<CliResult> => {
        const result = await runCli(args, env);
        answers.push(result);
        return result;
      };
      await cli("customers", "find", "--email", PII.email);
      await cli("customers", "find", "--name", PII.last, "--postal-code", PII.postal);
      await cli("customers", "get", "--alt", `EMAIL:${PII.altEmail}`);
      await cli("customers", "get", "--alt", `EMAIL:x${PII.altEmail}`);
      await cli("import", file);
      await cli(
        "credentials",
        "set",
        "--client-id",
        SECRETS.clientId,
        "--client-secret",
        SECRETS.cliClientSecret,
      );
      await cli(
        "destinations",
        "credentials",
        "newbase",
        "--field",
        "username=sweep",
        "--field",
        `password=${SECRETS.cliNewbasePassword}`,
      );
      await cli("sync", "sample");
      await cli("sync", "dead-letters", "list");
      await cli("destinations", "dead-letters", "newbase");
      await cli("destinations", "runs", "socialhub");
      const created = await cli("apikeys", "create", "--name", "sweep", "--roles", "operator");
      const apiKey = created.stdout.trim().split("\n").at(-1)!;

      // Requests: a write, a refused key, a malformed body, a search by email.
      const base = /Server listening at (http:\/\/[\d.:]+)/.exec(serve.output())![1]!;
      const request = (path: string, init: RequestInit & { key?: string } = {}) =>
        fetch(`${base}${path}`, {
          ...init,
          headers: {
            authorization: `Bearer ${init.key ?? apiKey}`,
            "content-type": "application/json",
          },
        });
      await request("/api/v1/customers", {
        method: "POST",
        body: JSON.stringify({ individual: { names: { FIRST: PII.first }, nickName: PII.nick } }),
      });
      await request(`/api/v1/customers?email=${encodeURIComponent(PII.email)}`);
      await request("/api/v1/customers/1000", { key: SECRETS.badApiKey });
      await request("/api/v1/customers", {
        method: "POST",
        body: `{"individual":{"names":{"FIRST":"${PII.first}" "LAST":"${PII.last}"}}}`,
      });

      expect(await serve.stop()).toBe(0);
      const log = serve.output().split("\n");
      expect(receiver.requests.length).toBeGreaterThan(3);
      expect(log.some((line) => line.includes("delivery failed"))).toBe(true);
      const secrets: [string, string][] = [
        ...Object.entries(SECRETS),
        ...sentForms("clientSecret", SECRETS.clientId, SECRETS.clientSecret),
        ...sentForms("newbasePassword", "sweep", SECRETS.newbasePassword),
        ...sentForms("datanuumKey", "", SECRETS.datanuumKey).slice(0, 3),
        ...sentForms("socialhubKey", "", SECRETS.socialhubKey).slice(0, 3),
        ["masterKey", masterKey],
        ["apiKey", apiKey],
      ];
      expect(leaks(log, [...piiForms(), ...secrets])).toEqual([]);
      const printed = answers.flatMap((answer) => [answer.stdout, answer.stderr]);
      expect(
        leaks(
          printed,
          secrets.filter(([name]) => name !== "apiKey"),
        ),
      ).toEqual([]);
    } finally {
      await receiver.stop();
      await store.tearDown();
    }
  });
});
