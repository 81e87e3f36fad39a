/**
 * Keeping an import's heap small on the embedded database, which shares the process's memory
 * (docs/storage.md, "Memory"). Between V8's own full collections the old generation fills with
 * groups of blocks already written (a group lives long enough to be promoted), and grew to four
 * times the 20 MB or so that is live: about 70 MB more peak RSS. A full collection takes about
 * 10 ms.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * The used heap above which `boundHeap` collects, at the least: about twice what an import keeps
 * live. A process that keeps more live (`serve`, with its record cache) collects at half as much again.
 */
export const HEAP_BOUND_BYTES = 48 * 1024 * 1024;

let collect: (() => void) | undefined;
/** The heap in use right after `boundHeap`'s last collection. */
let liveAfterCollection = 0;

/** A full collection now; V8's `gc`, exposed to this process on first use. */
export function fullCollection(): void {
  if (collect === undefined) {
    // `gc` is present in a context made after the flag is set; a process started with
    // --expose-gc has it already.
    if (typeof globalThis.gc !== "function") setFlagsFromString("--expose-gc");
    collect = globalThis.gc ?? (runInNewContext("gc") as () => void);
  }
  collect();
}

/**
 * A full collection if the used heap is over `HEAP_BOUND_BYTES`, or over 1.5 times what was live
 * after the last one if that is more; run between groups.
 */
export function boundHeap(): void {
  const bound = Math.max(HEAP_BOUND_BYTES, 1.5 * liveAfterCollection);
  if (getHeapStatistics().used_heap_size <= bound) return;
  fullCollection();
  liveAfterCollection = getHeapStatistics().used_heap_size;
}
