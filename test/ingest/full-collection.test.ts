import { setImmediate as nextTurn } from "node:timers/promises";
import { getHeapStatistics } from "node:v8";
import { describe, expect, it } from "vitest";
import { boundHeap, fullCollection, HEAP_BOUND_BYTES } from "../../src/ingest/full-collection.js";

describe("full collection between import groups", () => {
  it("collects an object nothing refers to any more", async () => {
    const ref = new WeakRef({ rows: Array.from({ length: 1000 }, (_, at) => ({ at })) });
    // A WeakRef's target is kept to the end of the job that made it.
    await nextTurn();
    fullCollection();
    expect(ref.deref()).toBeUndefined();
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
    const kept = new WeakRef({ small: true });
    await nextTurn();
    boundHeap();
    // Under the bound nothing was collected: the unreferenced object is still there.
    expect(kept.deref()).toBeDefined();
  });

  it("bounds a heap that keeps more live at 1.5 times what was live after its last collection", async () => {
    // 60 MB kept live, as `serve`'s record cache may keep: over the fixed bound for good.
    const live = Array.from({ length: 7_500_000 }, (_, at) => at + 0.5);
    const held: { doubles: number[] | null } = {
      doubles: Array.from({ length: 2_000_000 }, (_, at) => at + 0.25),
    };
    held.doubles = null;
    boundHeap();
    const liveAfter = getHeapStatistics().used_heap_size;
    expect(liveAfter).toBeGreaterThan(HEAP_BOUND_BYTES);
    // Garbage well under the live heap's size: no collection after every group.
    const garbage = new WeakRef({ rows: Array.from({ length: 1000 }, (_, at) => ({ at })) });
    await nextTurn();
    boundHeap();
    expect(garbage.deref()).toBeDefined();
    // Garbage past the live heap's size again (100 MB, dropped just before): collected.
    held.doubles = Array.from({ length: 12_500_000 }, (_, at) => at + 0.75);
    held.doubles = null;
    const before = getHeapStatistics().used_heap_size;
    expect(before).toBeGreaterThan(1.5 * liveAfter);
    boundHeap();
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before - 90_000_000);
    expect(live.length).toBe(7_500_000);
  });
});
