/** The failures file of an import: its failed blocks, under the file's own root (seeds/003). */
import { once } from "node:events";
import { createWriteStream, rmSync, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { failuresName, freshTemporary, publish, replace, temporaryPath } from "./import-files.js";
import type { XmlFileHead } from "./xml-blocks.js";

/**
 * Writes failed blocks, as well-formed XML inside the file's own root element, under a temporary
 * name: the file takes its name in failed/ only when it is whole (`publish`).
 */
export class FailuresFile {
  private stream: WriteStream | undefined;
  readonly temporary: string;

  constructor(
    private readonly folder: string,
    private readonly fileName: string,
    private readonly importId: string,
    private readonly head: () => XmlFileHead | undefined,
  ) {
    this.temporary = temporaryPath(folder, failuresName(fileName), importId);
  }

  async add(source: string): Promise<void> {
    if (!this.stream) {
      const head = this.head();
      // A resumed run writes the file anew: what an earlier run wrote may be cut short.
      this.stream = createWriteStream(freshTemporary(this.temporary), { flags: "wx" });
      this.stream.write(
        `<?xml version="1.0" encoding="UTF-8"?>\n${head?.rootTag ?? "<Customers>"}\n`,
      );
    }
    if (!this.stream.write(`  ${source}\n`)) await once(this.stream, "drain");
  }

  /**
   * Ends the file and gives it its name, or puts it in the place of `earlier`, the file an
   * earlier run of the import wrote; null when no block failed, and there is none.
   */
  async close(earlier: string | null): Promise<string | null> {
    if (!this.stream) {
      if (earlier !== null) rmSync(earlier, { force: true });
      return null;
    }
    this.stream.end(`</${this.head()?.rootName ?? "Customers"}>\n`);
    await once(this.stream, "finish");
    return earlier !== null
      ? replace(this.temporary, earlier)
      : publish(this.temporary, this.folder, failuresName(this.fileName), this.importId);
  }

  /** Stops writing, for a run that stops unfinished: the next run writes the file anew. */
  async discard(): Promise<void> {
    if (this.stream) {
      this.stream.end();
      await finished(this.stream).catch(() => undefined);
    }
    rmSync(this.temporary, { force: true });
  }
}
