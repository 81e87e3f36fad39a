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
import { cardFields, customerRecordSchema } from "./schemas/customer-record.js";
import { customerRefSchema } from "./schemas/customer-request.js";
import {
  answer,
  boolean,
  closedObject,
  component,
  failures,
  listOf,
  nullableText,
  oneOfText,
  orNull,
  text,
} from "./schemas/replies.js";
import type { ErrorCode } from "../domain/errors.js";
import { PROGRAM_KINDS } from "../domain/cards.js";
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

const cardReplySchema = component(
  "Card",
  closedObject({ ...cardFields, customerID: nullableText }),
);

const programReplySchema = component(
  "CardProgram",
  closedObject({
    code: text,
    kind: oneOfText(PROGRAM_KINDS),
    effectiveDate: nullableText,
    expiryDate: nullableText,
    active: boolean,
  }),
);

/** A card status or expiration change: the card, and its holder's record (null: none). */
const cardChangeReplySchema = closedObject({
  card: cardReplySchema,
  record: orNull(customerRecordSchema),
});

/** The card association's refusals (seeds/003 Card Customer Association). */
const ASSOCIATION_REFUSALS: ErrorCode[] = [
  "CARD_EXPIRED",
  "ACCOUNT_BLOCKED",
  "ACCOUNT_EXPIRED",
  "PROGRAM_INACTIVE",
  "PROGRAM_EXPIRED",
  "PROGRAM_NOT_EFFECTIVE",
  "AWARD_PROGRAM_EXPIRED",
  "AWARD_PROGRAM_NOT_EFFECTIVE",
  "LYL_PROGRAM_EXPIRED",
  "LYL_PROGRAM_NOT_EFFECTIVE",
];

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
    refusals: ["CARD_ALREADY_ACTIVE", "ACCOUNT_BLOCKED", "CARD_EXPIRED"],
  },
  {
    path: "deactivate",
    method: "deactivate",
    summary:
      "deactivateInstrument: an active card becomes inactive; 409 CARD_NOT_ACTIVE, ACCOUNT_BLOCKED",
    refusals: ["CARD_NOT_ACTIVE", "ACCOUNT_BLOCKED"],
  },
  {
    path: "block",
    method: "block",
    summary: "Block the card (it remembers its status for the unblock); 409 CARD_ALREADY_BLOCKED",
    refusals: ["CARD_ALREADY_BLOCKED"],
  },
  {
    path: "unblock",
    method: "unblock",
    summary:
      "unblockTenderAccount: the card gets back the status it had when blocked; 409 CARD_NOT_BLOCKED",
    refusals: ["CARD_NOT_BLOCKED"],
  },
] as const satisfies readonly {
  path: string;
  method: string;
  summary: string;
  refusals: readonly ErrorCode[];
}[];

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
        response: {
          201: answer("On file, inactive", cardReplySchema),
          ...failures("CARD_ALREADY_EXISTS"),
        },
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
        response: {
          200: answer("The customer's record, holding the card", customerRecordSchema),
          ...failures("CARD_NOT_FOUND", "CUSTOMER_NOT_FOUND", ...ASSOCIATION_REFUSALS),
        },
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
        response: {
          200: answer("The card, and its holder's record", cardChangeReplySchema),
          ...failures("CARD_NOT_FOUND"),
        },
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
        response: {
          201: answer("Defined", programReplySchema),
          ...failures("ALREADY_EXISTS"),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await hub.cards.addProgram(request.body)),
  );
  api.get(
    "/card-programs",
    {
      config: { access: "readCustomerData" },
      schema: {
        summary: "The card programs",
        tags: ["cards"],
        response: {
          200: answer("Every card program", closedObject({ items: listOf(programReplySchema) })),
        },
      },
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
          response: {
            200: answer("The program", programReplySchema),
            ...failures("PROGRAM_NOT_FOUND"),
          },
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
        schema: {
          summary: route.summary,
          tags: ["cards"],
          params: cardParams,
          response: {
            200: answer("The card, and its holder's record", cardChangeReplySchema),
            ...failures("CARD_NOT_FOUND", ...route.refusals),
          },
        },
      },
      async (request) =>
        hub.cards[route.method](request.params.cardNumber, changeContextOf(request)),
    );
  }
}
