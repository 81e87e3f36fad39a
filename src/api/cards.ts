/**
 * Card routes (SPEC 5): put a card on file, and associate it with a customer (seeds/003 Card
 * Customer Association), which changes the customer and so queues its UPDATE (seeds/001 Table H-1,
 * associateCardToCustomer). Then the card's expiration date and status (Table H-1
 * resetCardExpirationDate, activateInstrument, deactivateInstrument, unblockTenderAccount, and
 * the block): each changes the holder's record and queues its UPDATE too.
 */
import type { FastifyInstance } from "fastify";
import type { NewCard, NewCardProgram } from "../services/cards.js";
import type { Hub } from "../services/hub.js";
import { changeContextOf } from "./customer-writes.js";
import { customerRefSchema } from "./schemas/customer-request.js";
import "./route-options.js";

const cardNumberSchema = { type: "string", pattern: "^[A-Za-z0-9-]{1,64}$" } as const;
const optionalText = (maxLength: number) =>
  ({ type: "string", maxLength, nullable: true }) as const;

const dateSchema = {
  type: "string",
  pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
  nullable: true,
} as const;

const newCardSchema = {
  type: "object",
  additionalProperties: false,
  required: ["cardNumber"],
  properties: {
    cardNumber: cardNumberSchema,
    instrumentID: optionalText(64),
    program: optionalText(60),
    expirationDate: dateSchema,
  },
} as const;

const newProgramSchema = {
  type: "object",
  additionalProperties: false,
  required: ["code", "kind"],
  properties: {
    code: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,60}$" },
    kind: { type: "string", enum: ["TENDER", "AWARD", "LOYALTY"] },
    effectiveDate: dateSchema,
    expiryDate: dateSchema,
    active: { type: "boolean" },
  },
} as const;

const programParams = {
  type: "object",
  additionalProperties: false,
  required: ["code"],
  properties: { code: { type: "string", pattern: "^[A-Za-z0-9_.-]{1,60}$" } },
} as const;

const cardParams = {
  type: "object",
  additionalProperties: false,
  required: ["cardNumber"],
  properties: { cardNumber: cardNumberSchema },
} as const;

interface CustomerRefBody {
  customerID?: string;
  alternateKey?: { typeCode: string; alternateID: string };
}

const CARD_BODY_LIMIT = 4 * 1024;

const resetExpirationSchema = {
  type: "object",
  additionalProperties: false,
  required: ["expirationDate"],
  properties: {
    expirationDate: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
  },
} as const;

/** The card status changes (seeds/001 Table H-1), each `POST /cards/{cardNumber}/<path>`. */
const STATUS_ROUTES = [
  {
    path: "activate",
    method: "activate",
    summary:
      "activateInstrument: an inactive card becomes active; 409 CARD_ALREADY_ACTIVE, ACCOUNT_BLOCKED, CARD_EXPIRED",
  },
  {
    path: "deactivate",
    method: "deactivate",
    summary:
      "deactivateInstrument: an active card becomes inactive; 409 CARD_NOT_ACTIVE, ACCOUNT_BLOCKED",
  },
  {
    path: "block",
    method: "block",
    summary: "Block the card (it remembers its status for the unblock); 409 CARD_ALREADY_BLOCKED",
  },
  {
    path: "unblock",
    method: "unblock",
    summary:
      "unblockTenderAccount: the card gets back the status it had when blocked; 409 CARD_NOT_BLOCKED",
  },
] as const;

export function registerCardRoutes(api: FastifyInstance, hub: Hub): void {
  api.post<{ Body: NewCard }>(
    "/cards",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: CARD_BODY_LIMIT,
      schema: {
        summary: "Put a card on file, inactive until it is associated; 409 CARD_ALREADY_EXISTS",
        tags: ["cards"],
        body: newCardSchema,
      },
    },
    async (request, reply) => reply.status(201).send(await hub.cards.add(request.body)),
  );

  api.post<{ Params: { cardNumber: string }; Body: CustomerRefBody }>(
    "/cards/:cardNumber/associate",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: CARD_BODY_LIMIT,
      schema: {
        summary:
          "Associate the card with a customer (by customerID or alternate key) and activate it; 409 with the document's refusal (CARD_EXPIRED, ACCOUNT_BLOCKED, PROGRAM_INACTIVE, ...)",
        tags: ["cards"],
        params: cardParams,
        body: customerRefSchema,
      },
    },
    async (request) =>
      hub.cards.associate(
        { cardNumber: request.params.cardNumber, ...request.body },
        changeContextOf(request),
      ),
  );
  api.post<{ Params: { cardNumber: string }; Body: { expirationDate: string } }>(
    "/cards/:cardNumber/reset-expiration",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: CARD_BODY_LIMIT,
      schema: {
        summary:
          "resetCardExpirationDate: a new expiration date, today or later; the holder's UPDATE is queued",
        tags: ["cards"],
        params: cardParams,
        body: resetExpirationSchema,
      },
    },
    async (request) =>
      hub.cards.resetExpiration(
        request.params.cardNumber,
        request.body.expirationDate,
        changeContextOf(request),
      ),
  );

  api.post<{ Body: NewCardProgram }>(
    "/card-programs",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: CARD_BODY_LIMIT,
      schema: {
        summary:
          "Define a card program (TENDER, AWARD, LOYALTY) that cards' program names; 201; 409 ALREADY_EXISTS",
        tags: ["cards"],
        body: newProgramSchema,
      },
    },
    async (request, reply) => reply.status(201).send(await hub.cards.addProgram(request.body)),
  );
  api.get(
    "/card-programs",
    {
      config: { access: "readCustomerData" },
      schema: { summary: "The card programs", tags: ["cards"] },
    },
    async () => ({ items: await hub.cards.programs() }),
  );
  for (const [path, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    api.post<{ Params: { code: string } }>(
      `/card-programs/:code/${path}`,
      {
        config: { access: "changeCustomerData" },
        bodyLimit: CARD_BODY_LIMIT,
        schema: {
          summary: active
            ? "Make the card program active again; 404 PROGRAM_NOT_FOUND"
            : "Make the card program inactive: its cards are refused PROGRAM_INACTIVE; 404 PROGRAM_NOT_FOUND",
          tags: ["cards"],
          params: programParams,
        },
      },
      async (request) => hub.cards.setProgramActive(request.params.code, active),
    );
  }

  for (const route of STATUS_ROUTES) {
    api.post<{ Params: { cardNumber: string } }>(
      `/cards/:cardNumber/${route.path}`,
      {
        config: { access: "changeCustomerData" },
        bodyLimit: CARD_BODY_LIMIT,
        schema: { summary: route.summary, tags: ["cards"], params: cardParams },
      },
      async (request) =>
        hub.cards[route.method](request.params.cardNumber, changeContextOf(request)),
    );
  }
}
