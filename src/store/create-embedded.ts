/**
 * Makes a new embedded database in a data dir from the template, and exits: run by
 * `startEmbedded` in a process of its own, so that unpacking the template does not leave its
 * memory in the process that goes on to use the database.
 *
 *   node create-embedded.js DATA_DIR TEMPLATE
 */
import { startEmbedded } from "./embedded-database.js";

const [dataDir, template] = process.argv.slice(2);
if (dataDir === undefined || template === undefined) {
  process.stderr.write("usage: create-embedded.js DATA_DIR TEMPLATE\n");
  process.exit(2);
}
const db = await startEmbedded(dataDir, { template, here: true });
await db.close();
