import { describe, expect, it } from "vitest";
import { WriteCoalescer } from "../../src/services/write-coalescer.js";

/** An `apply` whose batches the test finishes by hand, recording what each batch held. */
function controlled() {
  const batches: { operations: number[]; context: string; finish(fail?: Error): void }[] = [];
  const apply = (operations: number[], context: string) =>
    new Promise<number[]>((resolve, reject) => {
      batches.push({
        operations,
        context,
        finish: (fail) => (fail ? reject(fail) : resolve(operations.map((op) => op * 10))),
      });
    });
  return { batches, apply };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("write coalescer", () => {
  it("sends a lone request at once, and those that arrive meanwhile together after it", async () => {
    const { batches, apply } = controlled();
    const coalescer = new WriteCoalescer(apply, (context: string) => context, {
      maxInFlight: 1,
      maxBatch: 3,
    });
    const first = coalescer.submit(1, "api");
    expect(batches.map((batch) => batch.operations)).toEqual([[1]]);
    const later = [2, 3, 4, 5].map((op) => coalescer.submit(op, "api"));
    batches[0]!.finish();
    expect(await first).toBe(10);
    await settle();
    // At most maxBatch at once; the rest wait for the next turn.
    expect(batches.map((batch) => batch.operations)).toEqual([[1], [2, 3, 4]]);
    batches[1]!.finish();
    await settle();
    expect(batches.map((batch) => batch.operations)).toEqual([[1], [2, 3, 4], [5]]);
    batches[2]!.finish();
    expect(await Promise.all(later)).toEqual([20, 30, 40, 50]);
  });

  it("batches only requests of one context, and lets contexts take turns", async () => {
    const { batches, apply } = controlled();
    const coalescer = new WriteCoalescer(apply, (context: string) => context, {
      maxInFlight: 1,
      maxBatch: 10,
    });
    const all = [
      coalescer.submit(1, "a"),
      coalescer.submit(2, "b"),
      coalescer.submit(3, "a"),
      coalescer.submit(4, "b"),
    ];
    for (let turn = 0; turn < 3; turn += 1) {
      batches[turn]!.finish();
      await settle();
    }
    expect(batches.map((batch) => `${batch.context}:${batch.operations.join(",")}`)).toEqual([
      "a:1",
      "b:2,4",
      "a:3",
    ]);
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40]);
  });

  it("keeps up to maxInFlight batches going, and fails a whole batch whose apply throws", async () => {
    const { batches, apply } = controlled();
    const coalescer = new WriteCoalescer(apply, () => "api", { maxInFlight: 2, maxBatch: 10 });
    const one = coalescer.submit(1, "api");
    const two = coalescer.submit(2, "api");
    const three = coalescer.submit(3, "api");
    expect(batches.map((batch) => batch.operations)).toEqual([[1], [2]]);
    batches[1]!.finish(new Error("database gone"));
    await expect(two).rejects.toThrow("database gone");
    await settle();
    expect(batches.map((batch) => batch.operations)).toEqual([[1], [2], [3]]);
    batches[0]!.finish();
    batches[2]!.finish();
    expect([await one, await three]).toEqual([10, 30]);
  });
});
