/** Import routes: a batch file posted as the body, and the batch import review (SPEC 4, 10). */
import type { FastifyInstance } from "fastify";
import { Readable } from "node:stream";
import { importFile } from "../ingest/import-file.js";
import { resumeImport } from "../ingest/resume-import.js";
import type { Hub } from "../services/hub.js";
import { reviewJson } from "../services/imports.js";
import { mediaTypeOf, replyUnsupportedBodyType } from "./error-replies.js";
import {
  answer,
  closedObject,
  component,
  failures,
  integer,
  listOf,
  nullableInteger,
  nullableText,
  nullableTimestamp,
  number,
  oneOfText,
  orNull,
  text,
  timestamp,
} from "./schemas/replies.js";
import "./route-options.js";

const importQuery = {
  type: "object",
  properties: {
    fileset: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$" },
    fileName: { type: "string", minLength: 1, maxLength: 200 },
  },
  additionalProperties: false,
} as const;

const importParams = {
  type: "object",
  required: ["id"],
  properties: { id: { type: "string", pattern: "^[0-9]{1,18}$" } },
  additionalProperties: false,
} as const;

const listQuery = {
  type: "object",
  properties: { limit: { type: "integer", minimum: 1, maximum: 500 } },
  additionalProperties: false,
} as const;

const XML_BODY = ["application/xml", "text/xml"];

const counts = {
  total: integer,
  succeeded: integer,
  failed: integer,
  warnings: integer,
  byAction: {
    type: "object",
    description: "By the blocks' action (Add, Update, ...)",
    additionalProperties: closedObject({ succeeded: integer, failed: integer }),
  },
};

/** Why the file could not be read to its end (malformed XML): null when it was. */
const stopSchema = orNull(
  closedObject({
    code: text,
    message: text,
    line: nullableInteger,
    column: nullableInteger,
  }),
);

const paths = {
  archivedPath: nullableText,
  failedFilePath: nullableText,
  failuresPath: nullableText,
};

/** What an import answers (SPEC 10 `custhub import --json`, and more). */
const summarySchema = component(
  "ImportSummary",
  closedObject({
    importId: text,
    file: text,
    fileset: text,
    ...counts,
    ...paths,
    error: stopSchema,
    resumedBlocks: integer,
    seconds: number,
  }),
);

const importFields = {
  id: text,
  fileName: text,
  fileset: text,
  channel: text,
  status: oneOfText(["running", "completed", "failed"]),
  startedAt: timestamp,
  finishedAt: nullableTimestamp,
  ...counts,
  error: stopSchema,
  ...paths,
};

const reviewRowSchema = closedObject({
  blockNumber: integer,
  line: integer,
  action: nullableText,
  key: nullableText,
  outcome: oneOfText(["failed", "warning"]),
  errorCodes: listOf(text),
  message: text,
});

export function registerImportRoutes(api: FastifyInstance, hub: Hub, dataDir: string): void {
  // In a context of their own, so that the XML parser serves the batch file alone: registered in
  // the /api/v1 scope it took the JSON routes' XML bodies too, as streams their schemas refused
  // ("body/_events is not a known field") where docs/api.md says 415.
  api.register(async (imports) => registerInContext(imports, hub, dataDir));
}

function registerInContext(api: FastifyInstance, hub: Hub, dataDir: string): void {
  // The body is streamed to the archive as it arrives: a batch file can be far larger than memory.
  api.addContentTypeParser(XML_BODY, (_request, payload, done) => done(null, payload));

  api.post<{ Querystring: { fileset?: string; fileName?: string }; Body: Readable }>(
    "/imports",
    {
      config: { access: "changeCustomerData", bodyTypes: XML_BODY },
      schema: {
        summary:
          "Import a batch XML file sent as the body (application/xml, streamed); 201 with the summary, 422 when malformed",
        tags: ["imports"],
        querystring: importQuery,
        response: {
          201: answer("Imported: the summary, failed blocks counted", summarySchema),
          422: answer(
            "The file could not be read to its end (malformed XML): the summary, its `error` set",
            summarySchema,
          ),
          ...failures("IMPORT_INTERRUPTED"),
        },
      },
      // A body another parser took (JSON, say), or none, is no batch file: refused before
      // anything is recorded or written.
      preValidation: async (request, reply) => {
        if (!XML_BODY.includes(mediaTypeOf(request)))
          await replyUnsupportedBodyType(request, reply);
      },
    },
    async (request, reply) => {
      const summary = await importFile(
        hub,
        { stream: request.body, fileName: request.query.fileName ?? `upload-${Date.now()}.xml` },
        { fileset: request.query.fileset, channel: "api", actor: "api", dataDir },
      );
      return reply.status(summary.error ? 422 : 201).send(summary);
    },
  );

  api.post<{ Params: { id: string } }>(
    "/imports/:id/resume",
    {
      config: { access: "changeCustomerData" },
      schema: {
        summary:
          'Apply the rest of an import that did not complete, each block once (docs/import.md, "Interrupted imports"); 200 with the summary, 409 while a process is running it',
        tags: ["imports"],
        params: importParams,
        response: {
          200: answer("Resumed to its end: the summary", summarySchema),
          ...failures("IMPORT_NOT_FOUND", "IMPORT_IN_PROGRESS", "IMPORT_INTERRUPTED"),
        },
      },
    },
    async (request) => resumeImport(hub, request.params.id, { actor: "api", dataDir }),
  );

  api.get<{ Querystring: { limit?: number } }>(
    "/imports",
    {
      config: { access: "readCustomerData" },
      schema: {
        summary: "The latest imports",
        tags: ["imports"],
        querystring: listQuery,
        response: { 200: answer("The imports, newest first", listOf(closedObject(importFields))) },
      },
    },
    async (request) => hub.imports.list(request.query.limit),
  );

  api.get<{ Params: { id: string } }>(
    "/imports/:id",
    {
      config: { access: "readCustomerData" },
      schema: {
        summary: "One import's review rows",
        tags: ["imports"],
        params: importParams,
        response: {
          200: answer(
            "The import and its review rows: the blocks that failed or warned",
            closedObject({ ...importFields, rows: listOf(reviewRowSchema) }),
          ),
          ...failures("IMPORT_NOT_FOUND"),
        },
      },
    },
    async (request, reply) => {
      const row = await hub.imports.get(request.params.id);
      // Sent as its rows are read, a page at a time: the review of a million failed blocks is
      // never held whole in the server's memory.
      return reply
        .type("application/json; charset=utf-8")
        .send(Readable.from(reviewJson(row, hub.imports.rows(row.id))));
    },
  );
}
