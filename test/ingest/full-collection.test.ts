import { setImmediate as nextTurn } from "node:timers/promises";
import { getHeapStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { boundHeap, fullCollection, HEAP_BOUND_BYTES } from "../../src/ingest/full-collection.js";

describe("full collection between import groups", () => {
  it("collects an object nothing refers to any more", async () => {
    let ref: WeakRef<object> | undefined;
    (() => {
      ref = new WeakRef({ rows: Array.from({ length: 1000 }, (_, at) => ({ at })) });
    })();
    // A WeakRef's target is kept to the end of the job that made it.
    await nextTurn();
    fullCollection();
    expect(ref?.deref()).toBeUndefined();
  });

  it("brings a heap over the bound back under it, and leaves one under it alone", async () => {
    // 8 million doubles in one array: 64 MB of heap, dropped just before the bound is checked.
    const held: { doubles: number[] | null } = {
      doubles: Array.from({ length: 8_000_000 }, (_, at) => at + 0.5),
    };
    expect(getHeapStatistics().used_heap_size).toBeGreaterThan(HEAP_BOUND_BYTES);
    held.doubles = null;
    boundHeap();
    const after = getHeapStatistics().used_heap_size;
    expect(after).toBeLessThan(HEAP_BOUND_BYTES);
    let kept: WeakRef<object> | undefined;
    (() => {
      kept = new WeakRef({ small: true });
    })();
    await nextTurn();
    boundHeap();
    // Under the bound nothing was collected: the unreferenced object is still there.
    expect(kept?.deref()).toBeDefined();
  });
});
