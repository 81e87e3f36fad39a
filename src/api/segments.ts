/**
 * Segment routes (SPEC 5 "add/remove customer to/from segment"): the segment definitions, and a
 * customer's membership, whose changes queue the customer's UPDATE (seeds/001 Table H-1
 * `addCustomerToSegment`, `removeCustomerFromSegment`).
 */
import type { FastifyInstance } from "fastify";
import type { NewSegment } from "../services/segments.js";
import type { Hub } from "../services/hub.js";
import { changeContextOf } from "./customer-writes.js";
import { editReplySchema } from "./schemas/customer-record.js";
import { customerIDSchema } from "./schemas/customer-request.js";
import {
  answer,
  closedObject,
  failures,
  integer,
  listOf,
  nullableText,
  text,
  timestamp,
} from "./schemas/replies.js";
import "./route-options.js";

const newSegmentSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: {
    name: { type: "string", minLength: 1, maxLength: 60 },
    description: { type: "string", maxLength: 255, nullable: true },
  },
} as const;

const membershipParams = {
  type: "object",
  additionalProperties: false,
  required: ["customerID", "segmentId"],
  properties: {
    customerID: customerIDSchema,
    segmentId: { type: "string", pattern: "^[0-9]{1,18}$" },
  },
} as const;

const SEGMENT_BODY_LIMIT = 4 * 1024;

const segmentFields = {
  segmentId: text,
  name: text,
  description: nullableText,
  createdAt: timestamp,
};

type MembershipParams = { customerID: string; segmentId: string };

export function registerSegmentRoutes(api: FastifyInstance, hub: Hub): void {
  api.post<{ Body: NewSegment }>(
    "/segments",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: SEGMENT_BODY_LIMIT,
      schema: {
        summary: "Define a segment; 201 with its segmentId; 409 ALREADY_EXISTS for a name held",
        tags: ["segments"],
        body: newSegmentSchema,
        response: {
          201: answer("Defined", closedObject(segmentFields)),
          ...failures("ALREADY_EXISTS"),
        },
      },
    },
    async (request, reply) => reply.status(201).send(await hub.segments.create(request.body)),
  );

  api.get(
    "/segments",
    {
      config: { access: "readCustomerData" },
      schema: {
        summary: "The segment definitions, each with its number of active customers",
        tags: ["segments"],
        response: {
          200: answer(
            "Every segment",
            closedObject({
              items: listOf(closedObject({ ...segmentFields, customerCount: integer })),
            }),
          ),
        },
      },
    },
    async () => ({ items: await hub.segments.list() }),
  );

  api.put<{ Params: MembershipParams }>(
    "/customers/:customerID/segments/:segmentId",
    {
      config: { access: "changeCustomerData" },
      schema: {
        summary:
          "addCustomerToSegment: queues the customer's UPDATE; already in it: 200, change null; 404 SEGMENT_NOT_FOUND",
        tags: ["segments"],
        params: membershipParams,
        response: {
          200: answer("In the segment; `change` null when it already was", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "SEGMENT_NOT_FOUND"),
        },
      },
    },
    async (request) =>
      hub.segments.addCustomer(
        request.params.customerID,
        request.params.segmentId,
        changeContextOf(request),
      ),
  );

  api.delete<{ Params: MembershipParams }>(
    "/customers/:customerID/segments/:segmentId",
    {
      config: { access: "changeCustomerData" },
      schema: {
        summary:
          "removeCustomerFromSegment: queues the customer's UPDATE; 404 CUSTOMER_NOT_IN_SEGMENT",
        tags: ["segments"],
        params: membershipParams,
        response: {
          200: answer("Out of the segment", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "SEGMENT_NOT_FOUND", "CUSTOMER_NOT_IN_SEGMENT"),
        },
      },
    },
    async (request) =>
      hub.segments.removeCustomer(
        request.params.customerID,
        request.params.segmentId,
        changeContextOf(request),
      ),
  );
}
