/** An import that stops after its first group, as if its process died there: for resume tests. */
import { expect } from "vitest";
import { importFile } from "../../src/ingest/import-file.js";
import type { ImportOptions } from "../../src/ingest/import-run.js";
import type { Hub } from "../../src/services/hub.js";

export async function cutOffImport(
  hub: Hub,
  file: string,
  options: Pick<ImportOptions, "channel" | "dataDir" | "groupSize">,
): Promise<string> {
  await expect(
    importFile(hub, file, {
      actor: options.channel,
      ...options,
      onProgress: () => {
        throw new Error("cut off");
      },
    }),
  ).rejects.toThrow("cut off");
  const [cut] = await hub.imports.list(1);
  return cut!.id;
}
