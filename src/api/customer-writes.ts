/**
 * Customer change routes (SPEC 10): add, add-or-update, update, delete, merge. Each calls one
 * customer service operation, which writes the customer, its history and (with DataSyncEnabled)
 * its pending-queue row in one transaction (seeds/001 Table H-1).
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { CusthubError } from "../domain/errors.js";
import { checkRequestForm, holdsCustomerData, type CustomerRequest } from "../domain/requests.js";
import type { ChangeContext, OperationOutcome } from "../services/customers.js";
import type { MergeRequest } from "../services/customer-merge.js";
import type { Hub } from "../services/hub.js";
import { customerParams } from "./customers.js";
import {
  changeReplySchema,
  deleteReplySchema,
  mergeReplySchema,
} from "./schemas/customer-record.js";
import { customerRequestSchema, mergeRequestSchema } from "./schemas/customer-request.js";
import { answer, failures } from "./schemas/replies.js";
import "./route-options.js";

/** A customer request is a few KiB; 64 KiB leaves room for many notes and attributes. */
export const CUSTOMER_BODY_LIMIT = 64 * 1024;
/**
 * A merge body: as many targets as the merge limit may be set to allow (1,000), each named by a key
 * of up to 500 characters.
 */
export const MERGE_BODY_LIMIT = 1024 * 1024;

/** What a change answers: the customer, the queue action it stands for, and its findings. */
const changeReply = (outcome: OperationOutcome & { ok: true }) => ({
  customerID: outcome.customerID,
  change: outcome.change,
  record: outcome.record,
  validationIssues: outcome.validationIssues,
});

/**
 * An add (or add-or-update) with nothing to add or to find a customer by is refused, as the import
 * refuses such a block (docs/import.md "Error codes"), with the code its review row ends with.
 */
function requireCustomerData(body: CustomerRequest, action: "Add" | "AddorUpdate"): void {
  if (holdsCustomerData(body, action)) return;
  throw new CusthubError(
    "INVALID_REQUEST",
    "The body holds no customer data: an anonymous customer needs an alternate key at least " +
      '(seeds/003 "Anonymous Customer").',
    { field: "body" },
  );
}

export function changeContextOf(request: FastifyRequest): ChangeContext {
  return { actor: request.actor?.name ?? "api", channel: "api" };
}

export function registerCustomerWriteRoutes(api: FastifyInstance, hub: Hub): void {
  const writeOptions = {
    config: { access: "changeCustomerData" as const },
    bodyLimit: CUSTOMER_BODY_LIMIT,
  };

  api.post<{ Body: CustomerRequest }>(
    "/customers",
    {
      ...writeOptions,
      schema: {
        summary:
          "Add a customer (seeds/003 Add); 409 CUSTOMER_ALREADY_EXISTS for a held alternate key",
        tags: ["customers"],
        body: customerRequestSchema,
        response: {
          201: answer("Added", changeReplySchema),
          ...failures("CUSTOMER_ALREADY_EXISTS"),
        },
      },
    },
    async (request, reply) => {
      // The form first, as the import reads it while mapping the block.
      checkRequestForm(request.body);
      requireCustomerData(request.body, "Add");
      const outcome = await hub.customers.add(request.body, changeContextOf(request));
      return reply.status(201).send(changeReply(outcome));
    },
  );

  api.post<{ Body: CustomerRequest }>(
    "/customers/add-or-update",
    {
      ...writeOptions,
      schema: {
        summary: "Add the customer, or update the one its customerID or alternate keys find",
        tags: ["customers"],
        body: customerRequestSchema,
        response: {
          200: answer("Updated", changeReplySchema),
          201: answer("Added", changeReplySchema),
          ...failures("CUSTOMER_ALREADY_EXISTS"),
        },
      },
    },
    async (request, reply) => {
      // The form first, as the import reads it while mapping the block.
      checkRequestForm(request.body);
      requireCustomerData(request.body, "AddorUpdate");
      const outcome = await hub.customers.addOrUpdate(request.body, changeContextOf(request));
      return reply.status(outcome.change === "CREATE" ? 201 : 200).send(changeReply(outcome));
    },
  );

  api.patch<{ Params: { customerID: string }; Body: CustomerRequest }>(
    "/customers/:customerID",
    {
      ...writeOptions,
      schema: {
        summary: "Update the customer by the updateType rules of seeds/003",
        tags: ["customers"],
        params: customerParams,
        body: customerRequestSchema,
        response: {
          200: answer("Updated; `change` null when nothing changed", changeReplySchema),
          ...failures("CUSTOMER_NOT_FOUND", "CUSTOMER_ALREADY_EXISTS"),
        },
      },
    },
    async (request) => {
      const { customerID } = request.params;
      const inBody = request.body.customerID;
      if (inBody !== undefined && inBody !== null && inBody !== customerID) {
        throw new CusthubError(
          "INVALID_REQUEST",
          `body/customerID ${inBody} differs from the path's customerID ${customerID}.`,
          { field: "body/customerID" },
        );
      }
      checkRequestForm(request.body);
      const outcome = await hub.customers.update(
        { ...request.body, customerID },
        changeContextOf(request),
      );
      return changeReply(outcome);
    },
  );

  api.delete<{ Params: { customerID: string } }>(
    "/customers/:customerID",
    {
      config: writeOptions.config,
      schema: {
        summary: "Delete the customer: queued as DELETE after its earlier queued rows are dropped",
        tags: ["customers"],
        params: customerParams,
        response: {
          200: answer("Deleted", deleteReplySchema),
          ...failures("CUSTOMER_NOT_FOUND"),
        },
      },
    },
    async (request) => {
      const outcome = await hub.customers.delete(
        { customerID: request.params.customerID },
        changeContextOf(request),
      );
      return { customerID: outcome.customerID, change: outcome.change };
    },
  );

  api.post<{ Body: MergeRequest }>(
    "/customers/merge",
    {
      ...writeOptions,
      bodyLimit: MERGE_BODY_LIMIT,
      schema: {
        summary: "Merge duplicates into one new customer (seeds/003 Customer Merge)",
        tags: ["customers"],
        body: mergeRequestSchema,
        response: {
          201: answer("The new customer the duplicates were merged into", mergeReplySchema),
          ...failures("CUSTOMER_NOT_FOUND"),
        },
      },
    },
    async (request, reply) => {
      const outcome = await hub.customers.merge(request.body, changeContextOf(request));
      return reply.status(201).send(outcome);
    },
  );
}
