/**
 * Customer note routes (SPEC 5 "add or update note"; seeds/001 Table H-1 addOrUpdateCustomerNote
 * queues the customer's UPDATE). A note change is an Update request carrying one note with its
 * action, so it takes the customer update path and its one transaction.
 *
 * The Update path drops a duplicate note silently (seeds/003: AddorUpdate and Update "check for
 * duplicate comments"); this API tells the caller instead: 409 `DUPLICATE_NOTE` for a sequence or
 * a text and type already held, and 404 `NOTE_NOT_FOUND` for a sequence not held. Those checks
 * read the customer before the update's transaction; two callers adding the same note at once can
 * both be answered 201, and the Update path still stores it only once.
 */
import type { FastifyInstance } from "fastify";
import { sameNoteType } from "../domain/apply-lists.js";
import type { CustomerState } from "../domain/customer.js";
import { CusthubError } from "../domain/errors.js";
import type { NoteAction, NoteInput } from "../domain/requests.js";
import { inactiveCustomer } from "../services/customer-edits.js";
import type { Hub } from "../services/hub.js";
import { changeContextOf } from "./customer-writes.js";
import { editReplySchema } from "./schemas/customer-record.js";
import { customerIDSchema } from "./schemas/customer-request.js";
import { answer, failures } from "./schemas/replies.js";
import "./route-options.js";

const optionalText = (maxLength: number) =>
  ({ type: "string", maxLength, nullable: true }) as const;

const noteBody = {
  type: "object",
  additionalProperties: false,
  required: ["text"],
  properties: {
    text: { type: "string", minLength: 1, maxLength: 4000 },
    type: optionalText(30),
    privateFlag: { type: "boolean", nullable: true },
    createDate: optionalText(40),
    createUser: optionalText(100),
    location: optionalText(100),
  },
} as const;

const newNoteBody = {
  ...noteBody,
  properties: {
    ...noteBody.properties,
    sequence: { type: "integer", minimum: 0, maximum: 2_147_483_647 },
  },
} as const;

const customerParams = {
  type: "object",
  additionalProperties: false,
  required: ["customerID"],
  properties: { customerID: customerIDSchema },
} as const;

const noteParams = {
  type: "object",
  additionalProperties: false,
  required: ["customerID", "sequence"],
  properties: {
    customerID: customerIDSchema,
    sequence: { type: "integer", minimum: 0, maximum: 2_147_483_647 },
  },
} as const;

type NoteBody = Omit<NoteInput, "action" | "sequence"> & { text: string };

const NOTE_BODY_LIMIT = 16 * 1024;

function heldNote(state: CustomerState, sequence: number): void {
  if (!state.notes.some((note) => note.sequence === sequence)) {
    throw new CusthubError(
      "NOTE_NOT_FOUND",
      `Customer ${state.customerID} has no note ${sequence}.`,
      { customerID: state.customerID, sequence },
    );
  }
}

/**
 * Refuses a note the customer holds already: its sequence, or the same text and type. `replacing`
 * is the sequence a PUT replaces, which may of course hold the same text.
 */
function refuseDuplicate(
  state: CustomerState,
  note: NoteBody & { sequence?: number },
  replacing?: number,
): void {
  const type = note.type?.trim() || "COMMENT";
  const duplicate = state.notes.find(
    (held) =>
      held.sequence !== replacing &&
      ((note.sequence !== undefined && held.sequence === note.sequence) ||
        (held.text === note.text.trim() && sameNoteType(held.type, type))),
  );
  if (duplicate) {
    throw new CusthubError(
      "DUPLICATE_NOTE",
      `Customer ${state.customerID} already has this note (sequence ${duplicate.sequence}).`,
      { customerID: state.customerID, sequence: duplicate.sequence },
    );
  }
}

export function registerNoteRoutes(api: FastifyInstance, hub: Hub): void {
  const changeNote = async (
    customerID: string,
    note: NoteInput & { action: NoteAction },
    request: Parameters<typeof changeContextOf>[0],
  ) => {
    const outcome = await hub.customers.update(
      { customerID, notes: [note] },
      changeContextOf(request),
    );
    return { customerID: outcome.customerID, change: outcome.change, record: outcome.record };
  };

  /** The customer as stored; 404 `CUSTOMER_NOT_FOUND` for an unknown, deleted or merged one. */
  const activeCustomer = async (customerID: string): Promise<CustomerState> => {
    const state = await hub.customers.getState(customerID);
    if (!state.active) throw inactiveCustomer(state);
    return state;
  };

  api.post<{ Params: { customerID: string }; Body: NoteBody & { sequence?: number } }>(
    "/customers/:customerID/notes",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: NOTE_BODY_LIMIT,
      schema: {
        summary: "Add a note; 409 DUPLICATE_NOTE for a held sequence or the same text and type",
        tags: ["notes"],
        params: customerParams,
        body: newNoteBody,
        response: {
          201: answer("Added", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "DUPLICATE_NOTE"),
        },
      },
    },
    async (request, reply) => {
      const { customerID } = request.params;
      refuseDuplicate(await activeCustomer(customerID), request.body);
      const result = await changeNote(customerID, { ...request.body, action: "ADD" }, request);
      return reply.status(201).send(result);
    },
  );

  api.put<{ Params: { customerID: string; sequence: number }; Body: NoteBody }>(
    "/customers/:customerID/notes/:sequence",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: NOTE_BODY_LIMIT,
      schema: {
        summary:
          "Replace the note with this sequence; 404 NOTE_NOT_FOUND; 409 DUPLICATE_NOTE for another note's text and type",
        tags: ["notes"],
        params: noteParams,
        body: noteBody,
        response: {
          200: answer("Replaced", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "NOTE_NOT_FOUND", "DUPLICATE_NOTE"),
        },
      },
    },
    async (request) => {
      const { customerID, sequence } = request.params;
      const state = await activeCustomer(customerID);
      heldNote(state, sequence);
      refuseDuplicate(state, request.body, sequence);
      return changeNote(customerID, { ...request.body, action: "UPDATE", sequence }, request);
    },
  );

  api.delete<{ Params: { customerID: string; sequence: number } }>(
    "/customers/:customerID/notes/:sequence",
    {
      config: { access: "changeCustomerData" },
      schema: {
        summary: "Delete the note with this sequence; 404 NOTE_NOT_FOUND",
        tags: ["notes"],
        params: noteParams,
        response: {
          200: answer("Deleted", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "NOTE_NOT_FOUND"),
        },
      },
    },
    async (request) => {
      const { customerID, sequence } = request.params;
      heldNote(await activeCustomer(customerID), sequence);
      return changeNote(customerID, { action: "DELETE", sequence }, request);
    },
  );
}
