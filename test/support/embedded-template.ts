/**
 * vitest's global setup: one embedded-database template for the whole run, as the build writes
 * one for custhub (docs/storage.md, "A new embedded database"). Every test file's PGlite starts
 * from it instead of running initdb: seconds each.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeEmbeddedTemplate } from "../../src/store/embedded-database.js";

export default async function setup(): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), "custhub-template-"));
  const template = join(dir, "embedded-template.tar.gz");
  await writeEmbeddedTemplate(template);
  process.env.CUSTHUB_TEST_EMBEDDED_TEMPLATE = template;
  return () => rmSync(dir, { recursive: true, force: true });
}
