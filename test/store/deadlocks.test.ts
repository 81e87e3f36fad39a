import { describe, expect, it } from "vitest";
import { retryingDeadlocks } from "../../src/store/database.js";
import { engines } from "../support/databases.js";

const deadlock = () => Object.assign(new Error("deadlock detected"), { code: "40P01" });

describe("retryingDeadlocks", () => {
  it("runs a transaction the server rolled back to break a deadlock again, up to three times in all", async () => {
    let runs = 0;
    await expect(
      retryingDeadlocks(async () => {
        runs += 1;
        throw deadlock();
      }),
    ).rejects.toMatchObject({ code: "40P01" });
    expect(runs).toBe(3);
    runs = 0;
    await expect(
      retryingDeadlocks(async () => {
        runs += 1;
        if (runs === 1) throw deadlock();
        return "done";
      }),
    ).resolves.toBe("done");
    expect(runs).toBe(2);
  });

  it("passes any other failure on at once", async () => {
    let runs = 0;
    const refused = Object.assign(new Error("duplicate key"), { code: "23505" });
    await expect(
      retryingDeadlocks(async () => {
        runs += 1;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(runs).toBe(1);
  });
});

// PGlite has one session: nothing there can wait on another.
describe.each(engines.filter((engine) => engine.name === "postgres"))(
  "a real deadlock on $name",
  (engine) => {
    it("completes both transactions that took two rows' locks in opposite orders", async () => {
      const hub = await engine.freshHub();
      await hub.db.exec(
        "CREATE TABLE rows_to_lock (id int PRIMARY KEY); INSERT INTO rows_to_lock VALUES (1), (2)",
      );
      // Each first run takes its first lock, then waits until the other has taken its own.
      const signal = () => {
        let resolve = (): void => undefined;
        const promise = new Promise<void>((done) => (resolve = done));
        return { promise, resolve: () => resolve() };
      };
      const holding = { a: signal(), b: signal() };
      const runs = { a: 0, b: 0 };
      const lockBoth = (name: "a" | "b", first: number, second: number) =>
        retryingDeadlocks(() =>
          hub.db.transaction(async (tx) => {
            runs[name] += 1;
            await tx.query("SELECT id FROM rows_to_lock WHERE id = $1 FOR UPDATE", [first]);
            if (runs[name] === 1) {
              holding[name].resolve();
              await holding[name === "a" ? "b" : "a"].promise;
            }
            await tx.query("SELECT id FROM rows_to_lock WHERE id = $1 FOR UPDATE", [second]);
          }),
        );
      await Promise.all([lockBoth("a", 1, 2), lockBoth("b", 2, 1)]);
      // The server rolled at least one of them back and it ran again and took both locks. Under
      // load both waits can reach the deadlock check together, and then both are rolled back once.
      expect(runs.a + runs.b).toBeGreaterThanOrEqual(3);
      expect(Math.max(runs.a, runs.b)).toBe(2);
      await hub.close();
    });
  },
);
