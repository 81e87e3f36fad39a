/**
 * Card routes (SPEC 5): put a card on file, and associate it with a customer (seeds/003 Card
 * Customer Association), which changes the customer and so queues its UPDATE (seeds/001 Table H-1,
 * associateCardToCustomer).
 */
import type { FastifyInstance } from "fastify";
import type { NewCard } from "../services/cards.js";
import type { Hub } from "../services/hub.js";
import { changeContextOf } from "./customer-writes.js";
import { customerRefSchema } from "./schemas/customer-request.js";
import "./route-options.js";

const cardNumberSchema = { type: "string", pattern: "^[A-Za-z0-9-]{1,64}$" } as const;
const optionalText = (maxLength: number) =>
  ({ type: "string", maxLength, nullable: true }) as const;

const newCardSchema = {
  type: "object",
  additionalProperties: false,
  required: ["cardNumber"],
  properties: {
    cardNumber: cardNumberSchema,
    instrumentID: optionalText(64),
    program: optionalText(60),
    expirationDate: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", nullable: true },
  },
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
          "Associate the card with a customer (by customerID or alternate key) and activate it",
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
}
