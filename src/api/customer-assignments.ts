/**
 * A customer's franchisees and associate assignments (SPEC 5; seeds/001 Table H-1
 * `addOrDeleteCustomerFranchisees`, `updateAssociateAssignment`: each change queues the customer's
 * UPDATE).
 */
import type { FastifyInstance } from "fastify";
import type { AssociateAssignmentInput } from "../services/associate-assignments.js";
import type { Hub } from "../services/hub.js";
import { changeContextOf } from "./customer-writes.js";
import { customerParams } from "./customers.js";
import { editReplySchema } from "./schemas/customer-record.js";
import { customerIDSchema } from "./schemas/customer-request.js";
import { answer, failures } from "./schemas/replies.js";
import "./route-options.js";

const franchiseeParams = {
  type: "object",
  additionalProperties: false,
  required: ["customerID", "franchiseeId"],
  properties: {
    customerID: customerIDSchema,
    franchiseeId: { type: "integer", minimum: 1, maximum: 2_147_483_647 },
  },
} as const;

const franchiseeBody = {
  type: "object",
  additionalProperties: false,
  required: ["franchiseeName"],
  properties: { franchiseeName: { type: "string", minLength: 1, maxLength: 100 } },
} as const;

const associateAssignmentsBody = {
  type: "object",
  additionalProperties: false,
  required: ["associateAssignment"],
  properties: {
    associateAssignment: {
      type: "array",
      maxItems: 50,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["role", "associateID"],
        properties: {
          role: { type: "string", minLength: 1, maxLength: 30 },
          associateID: { type: "string", minLength: 1, maxLength: 64 },
          retailStoreID: { type: "string", maxLength: 64, nullable: true },
        },
      },
    },
  },
} as const;

const ASSIGNMENT_BODY_LIMIT = 16 * 1024;

type FranchiseeParams = { customerID: string; franchiseeId: number };

export function registerCustomerAssignmentRoutes(api: FastifyInstance, hub: Hub): void {
  api.put<{ Params: FranchiseeParams; Body: { franchiseeName: string } }>(
    "/customers/:customerID/franchisees/:franchiseeId",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: ASSIGNMENT_BODY_LIMIT,
      schema: {
        summary:
          "addOrDeleteCustomerFranchisees: add the franchisee, or rename the customer's entry with its id",
        tags: ["franchisees"],
        params: franchiseeParams,
        body: franchiseeBody,
        response: {
          200: answer("Set; `change` null when it already was so named", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND"),
        },
      },
    },
    async (request) =>
      hub.franchisees.set(
        request.params.customerID,
        {
          franchiseeId: request.params.franchiseeId,
          franchiseeName: request.body.franchiseeName,
        },
        changeContextOf(request),
      ),
  );

  api.delete<{ Params: FranchiseeParams }>(
    "/customers/:customerID/franchisees/:franchiseeId",
    {
      config: { access: "changeCustomerData" },
      schema: {
        summary: "addOrDeleteCustomerFranchisees: delete the entry; 404 FRANCHISEE_NOT_FOUND",
        tags: ["franchisees"],
        params: franchiseeParams,
        response: {
          200: answer("Deleted", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "FRANCHISEE_NOT_FOUND"),
        },
      },
    },
    async (request) =>
      hub.franchisees.delete(
        request.params.customerID,
        request.params.franchiseeId,
        changeContextOf(request),
      ),
  );

  api.put<{
    Params: { customerID: string };
    Body: { associateAssignment: AssociateAssignmentInput[] };
  }>(
    "/customers/:customerID/associate-assignments",
    {
      config: { access: "changeCustomerData" },
      bodyLimit: ASSIGNMENT_BODY_LIMIT,
      schema: {
        summary:
          "updateAssociateAssignment: replace the customer's assignments (one associate per role); [] removes them",
        tags: ["associates"],
        params: customerParams,
        body: associateAssignmentsBody,
        response: {
          200: answer("Replaced; `change` null when they were the same", editReplySchema),
          ...failures("CUSTOMER_NOT_FOUND"),
        },
      },
    },
    async (request) =>
      hub.associateAssignments.set(
        request.params.customerID,
        request.body.associateAssignment,
        changeContextOf(request),
      ),
  );
}
