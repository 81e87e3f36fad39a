/** Customer routes: read one by customerID, look up by alternate key, search with paging (SPEC 10). */
import type { FastifyInstance } from "fastify";
import { MAX_ALTERNATE_ID_LENGTH } from "../domain/request-keys.js";
import { CusthubError } from "../domain/errors.js";
import type { Hub } from "../services/hub.js";
import { customerPageSchema, customerRecordSchema } from "./schemas/customer-record.js";
import { customerIDSchema } from "./schemas/customer-request.js";
import { answer, failures } from "./schemas/replies.js";
import "./route-options.js";

/** Set on the record of a deleted (`deleted`) or merged-away (`merged`) customer. */
const CUSTOMER_STATUS_HEADER = "Custhub-Customer-Status";

export const customerParams = {
  type: "object",
  required: ["customerID"],
  properties: { customerID: customerIDSchema },
  additionalProperties: false,
} as const;

const searchQuery = {
  type: "object",
  properties: {
    alternateKeyType: { type: "string", minLength: 1, maxLength: 30 },
    alternateKeyId: { type: "string", minLength: 1, maxLength: MAX_ALTERNATE_ID_LENGTH },
    email: { type: "string", minLength: 1, maxLength: 254 },
    phone: { type: "string", minLength: 1, maxLength: 40 },
    name: { type: "string", minLength: 1, maxLength: 200 },
    postalCode: { type: "string", minLength: 1, maxLength: 20 },
    limit: { type: "integer", minimum: 1, maximum: 500 },
    cursor: { type: "string", maxLength: 100 },
  },
  additionalProperties: false,
} as const;

interface SearchQuery {
  alternateKeyType?: string;
  alternateKeyId?: string;
  email?: string;
  phone?: string;
  name?: string;
  postalCode?: string;
  limit?: number;
  cursor?: string;
}

export function registerCustomerRoutes(api: FastifyInstance, hub: Hub): void {
  api.get<{ Params: { customerID: string } }>(
    "/customers/:customerID",
    {
      config: { access: "readCustomerData" },
      schema: {
        summary: "The customer's record",
        tags: ["customers"],
        params: customerParams,
        response: {
          200: {
            ...answer("The record", customerRecordSchema),
            headers: {
              [CUSTOMER_STATUS_HEADER]: {
                description:
                  "Set when the customer is inactive: `deleted`, or `merged` into another customer",
                schema: { type: "string", enum: ["deleted", "merged"] },
              },
              Link: {
                description:
                  'For a merged-away customer: `</api/v1/customers/{id}>; rel="successor-version"`, the customer it went into',
                schema: { type: "string" },
              },
            },
          },
          ...failures("CUSTOMER_NOT_FOUND"),
        },
      },
    },
    async (request, reply) => {
      const { text, inactive } = await hub.customers.getJson(request.params.customerID);
      if (inactive !== null) {
        // The record's shape (also the sync payload's) has no word for it: headers say it.
        reply.header(CUSTOMER_STATUS_HEADER, inactive.mergedInto === null ? "deleted" : "merged");
        if (inactive.mergedInto !== null) {
          reply.header(
            "Link",
            `</api/v1/customers/${inactive.mergedInto}>; rel="successor-version"`,
          );
        }
      }
      return reply.type("application/json; charset=utf-8").send(text);
    },
  );

  api.get<{ Querystring: SearchQuery }>(
    "/customers",
    {
      config: { access: "readCustomerData" },
      schema: {
        summary: "Look up by alternate key, or search by email, phone, name, postal code; paged",
        tags: ["customers"],
        querystring: searchQuery,
        response: {
          200: answer(
            "A page of the records found, and the cursor of the next page (null: the last)",
            customerPageSchema,
          ),
        },
      },
    },
    async (request) => {
      const query = request.query;
      if ((query.alternateKeyType === undefined) !== (query.alternateKeyId === undefined)) {
        throw new CusthubError(
          "INVALID_REQUEST",
          "alternateKeyType and alternateKeyId go together: give both or neither.",
          { field: query.alternateKeyType === undefined ? "alternateKeyType" : "alternateKeyId" },
        );
      }
      return hub.customers.find({
        ...query,
        alternateKey:
          query.alternateKeyType !== undefined && query.alternateKeyId !== undefined
            ? { typeCode: query.alternateKeyType, alternateID: query.alternateKeyId }
            : undefined,
      });
    },
  );
}
