/**
 * `custhub destinations ...` and `custhub datanuum configs ...` as a user runs them: the built
 * binary as a real process, against the Datanuum simulator, on PGlite and PostgreSQL. The API key
 * is read from stdin and never appears in any output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../support/cli.js";
import { DatanuumReceiver } from "../simulators/datanuum-receiver.js";
import { cliEngines, type CliStore } from "./cli-engines.js";
import { addCustomers } from "./helpers.js";

describe.each(cliEngines)("custhub destinations CLI on $name", (engine) => {
  let store: CliStore;
  let datanuum: DatanuumReceiver;
  const outputs: string[] = [];
  const secret = "client-secret-that-stays-hidden";

  const cli = async (args: string[], input?: string): Promise<CliResult> => {
    const result = await runCli(args, store.env, input);
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const json = async (args: string[], input?: string): Promise<unknown> => {
    const result = await cli([...args, "--json"], input);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    store = await engine.setUp();
    datanuum = await DatanuumReceiver.start();
  });
  afterAll(async () => {
    await datanuum.close();
    await store.tearDown();
  });

  it("adds a reward-points configuration, the API key from stdin, and names it in the settings", async () => {
    const added = (await json(
      ["datanuum", "configs", "add", "DATANUUM_CONFIG_01", "--api-url", datanuum.apiUrl],
      `${datanuum.apiKey}\n`,
    )) as { id: string };
    expect(added).toMatchObject({ code: "DATANUUM_CONFIG_01", enabled: true });
    const listed = await cli(["datanuum", "configs", "list"]);
    expect(listed.stdout).toMatch(/DATANUUM_CONFIG_01 +yes/);

    const bad = await cli(["destinations", "config", "datanuum", "posRegisterField", "ref5"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("error INVALID_SETTING: datanuum posRegisterField");
    expect(
      await json(["destinations", "config", "datanuum", "rewardPointsConfig", added.id]),
    ).toMatchObject({ name: "datanuum", problem: null });
    const shown = await cli(["destinations", "config", "datanuum"]);
    expect(shown.stdout).toMatch(/rewardPointsConfig +1 /);
    expect(shown.stdout).toContain("customAttribute:POS_REGISTER");
  });

  it("lists, enables and runs destinations; a manual run prints each customer's result", async () => {
    const before = (await json(["destinations", "list"])) as { name: string; enabled: boolean }[];
    expect(before.map((item) => [item.name, item.enabled])).toEqual([
      ["datasync", false],
      ["datanuum", false],
      ["newbase", false],
      ["socialhub", false],
    ]);
    expect(await json(["destinations", "enable", "datanuum"])).toMatchObject({
      name: "datanuum",
      enabled: true,
    });
    const [ann, bo] = (await store.openDirect((hub) => addCustomers(hub, ["Ann", "Bo"]))) as [
      string,
      string,
    ];
    const list = await cli(["destinations", "list"]);
    expect(list.stdout).toMatch(/datanuum +yes +2 /);

    datanuum.override((code) => (code === bo ? { status: 400, body: "no Bo" } : undefined));
    const run = await cli(["destinations", "run", "datanuum", "--customer", ann, "--customer", bo]);
    expect(run.code).toBe(1);
    // Ann's queued CREATE went first (201), then her current record (200): the last result shows.
    expect(run.stdout).toMatch(new RegExp(`${ann} +UPDATE +sent +200`));
    expect(run.stdout).toMatch(new RegExp(`${bo} +UPDATE +dead +400 +HTTP 400: no Bo`));

    datanuum.override(() => undefined);
    const report = (await json(["destinations", "run", "datanuum"])) as {
      run: { id: string; outcome: string };
    };
    expect(report.run.outcome).toBe("succeeded");
    const runs = (await json(["destinations", "runs", "datanuum"])) as { id: string }[];
    expect(runs).toHaveLength(2);
    const again = await cli(["destinations", "runs", "datanuum", runs[1]!.id]);
    expect(again.stdout).toContain("HTTP 400: no Bo");
    // Another destination's run, or none, is not found (exit 1); a run id that is no number is bad usage.
    for (const run of ["424242", runs[1]!.id]) {
      const missing = await cli(["destinations", "runs", "newbase", run]);
      expect(missing.code, run).toBe(1);
      expect(missing.stderr).toContain(`error RUN_NOT_FOUND: newbase has no run ${run}.`);
    }
    expect((await cli(["destinations", "runs", "datanuum", "last"])).code).toBe(2);

    const letters = (await json(["destinations", "dead-letters", "datanuum"])) as { id: string }[];
    // Bo's CREATE and his current record were both refused.
    expect(letters).toHaveLength(2);
    expect(await json(["destinations", "requeue", "datanuum", "--all"])).toEqual({ requeued: 2 });
    expect(
      ((await json(["destinations", "run", "datanuum"])) as { run: { delivered: number } }).run
        .delivered,
    ).toBe(2);
    expect(await json(["destinations", "disable", "datanuum"])).toMatchObject({ enabled: false });
    const unknown = await cli(["destinations", "enable", "nowhere"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error DESTINATION_NOT_FOUND");
  });

  it("saves a destination's credentials, the secret fields from stdin", async () => {
    await store.openDirect(async (hub) => {
      await hub.settings.set("DataSyncCredentialKeyName", "datasync");
    });
    const empty = await cli(
      ["destinations", "credentials", "datasync", "--field", "clientId=custhub"],
      "\n",
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("clientSecret is needed");
    expect(
      await json(
        ["destinations", "credentials", "datasync", "--field", "clientId=custhub"],
        `${secret}\n`,
      ),
    ).toEqual({
      mapName: "ce_credentials",
      keyName: "datasync",
      saved: true,
      updatedAt: expect.any(String),
    });
    const shown = (await json(["destinations", "config", "datasync"])) as {
      credentials: { saved: boolean };
    };
    expect(shown.credentials.saved).toBe(true);
    const own = await cli(["destinations", "credentials", "datanuum", "--field", "apiKey=x"]);
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("reward-points configuration has its own");
  });

  it("never printed the API key or a secret, in any output of any command", () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const output of outputs) {
      expect(output).not.toContain(datanuum.apiKey);
      expect(output).not.toContain(secret);
    }
  });
});
