// Writes dist/store/embedded-template.tar.gz: the new, empty embedded database that new data dirs
// are made from (src/store/embedded-database.ts, EMBEDDED_TEMPLATE). Made here, once, by initdb.
import { EMBEDDED_TEMPLATE, writeEmbeddedTemplate } from "../dist/store/embedded-database.js";

await writeEmbeddedTemplate(EMBEDDED_TEMPLATE);
