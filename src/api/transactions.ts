/**
 * Transaction routes (SPEC 10 `POST /api/v1/transactions`; seeds/001 `postTransaction`): post a
 * PosLog transaction in the `TransactionType` shape of the data-sync document. The schema covers
 * the parts custhub reads and lets the rest through, kept as given.
 */
import type { FastifyInstance } from "fastify";
import { MAX_ALTERNATE_ID_LENGTH } from "../domain/request-keys.js";
import { MAX_AMOUNT, MAX_LINE_ITEMS, MAX_QUANTITY } from "../domain/transactions.js";
import type { Hub } from "../services/hub.js";
import { changeContextOf } from "./customer-writes.js";
import { customerRecordSchema } from "./schemas/customer-record.js";
import {
  answer,
  boolean,
  closedObject,
  failures,
  nullableText,
  text,
  timestamp,
} from "./schemas/replies.js";
import "./route-options.js";

const transactionSchema = {
  type: "object",
  required: ["retailTransactionId", "businessDate", "subtotal"],
  properties: {
    retailTransactionId: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" },
    businessDate: { type: "string", pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" },
    customerId: { type: "string", pattern: "^[0-9]{1,18}$", nullable: true },
    customerKey: {
      type: "object",
      nullable: true,
      additionalProperties: false,
      required: ["typeCode", "alternateID"],
      properties: {
        typeCode: { type: "string", minLength: 1, maxLength: 30 },
        alternateID: { type: "string", minLength: 1, maxLength: MAX_ALTERNATE_ID_LENGTH },
      },
    },
    voidFlag: { type: "boolean", nullable: true },
    subtotal: { type: "number", minimum: -MAX_AMOUNT, maximum: MAX_AMOUNT },
    lineItems: {
      type: "array",
      nullable: true,
      maxItems: MAX_LINE_ITEMS,
      items: {
        type: "object",
        properties: {
          lineItemTypeCode: nullableText,
          voidFlag: { type: "boolean", nullable: true },
          quantity: { type: "number", minimum: 0, maximum: MAX_QUANTITY, nullable: true },
        },
      },
    },
  },
} as const;

const transactionParams = {
  type: "object",
  additionalProperties: false,
  required: ["retailTransactionId"],
  properties: { retailTransactionId: { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" } },
} as const;

const postedReplySchema = closedObject({
  retailTransactionId: text,
  customerID: text,
  created: { ...boolean, description: "false: the same transaction posted again, a retry" },
  counted: { ...boolean, description: "Whether it counts in the summaries (not when voided)" },
  record: customerRecordSchema,
});

/** A transaction of a thousand line items is some 600 KiB. */
const TRANSACTION_BODY_LIMIT = 1024 * 1024;

export function registerTransactionRoutes(api: FastifyInstance, hub: Hub): void {
  api.post<{ Body: Record<string, unknown> }>(
    "/transactions",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: TRANSACTION_BODY_LIMIT,
      schema: {
        summary:
          "postTransaction: store a PosLog transaction, count it in its customer's summaries, queue both; 201, or 200 for a retry; 409 TRANSACTION_ALREADY_EXISTS",
        tags: ["transactions"],
        body: transactionSchema,
        response: {
          200: answer("Posted before with this content: nothing done again", postedReplySchema),
          201: answer("Posted", postedReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "TRANSACTION_ALREADY_EXISTS"),
        },
      },
    },
    async (request, reply) => {
      const posted = await hub.transactions.post(request.body, changeContextOf(request));
      return reply.status(posted.created ? 201 : 200).send(posted);
    },
  );

  api.get<{ Params: { retailTransactionId: string } }>(
    "/transactions/:retailTransactionId",
    {
      config: { access: "readCustomerData" },
      schema: {
        summary: "A posted transaction as given, with its customer; 404 TRANSACTION_NOT_FOUND",
        tags: ["transactions"],
        params: transactionParams,
        response: {
          200: answer(
            "The transaction as posted",
            closedObject({
              retailTransactionId: text,
              customerID: text,
              businessDate: text,
              counted: boolean,
              postedAt: timestamp,
              transaction: {
                type: "object",
                additionalProperties: true,
                description: "The transaction as it was posted",
              },
            }),
          ),
          ...failures("TRANSACTION_NOT_FOUND"),
        },
      },
    },
    async (request) => {
      const stored = await hub.transactions.get(request.params.retailTransactionId);
      return {
        retailTransactionId: stored.retailTransactionId,
        customerID: stored.customerID,
        businessDate: stored.businessDate,
        counted: stored.counted,
        postedAt: stored.postedAt,
        transaction: stored.transaction,
      };
    },
  );
}
