/**
 * What custhub's routes declare beside Fastify's own options, declared once (STYLE: decorators are
 * declared, not monkey-patched): who may call the route, what its body is sent as, and the words the
 * OpenAPI document shows.
 */
import type { Actor, ApiAccess, Permission } from "../domain/roles.js";

/** `public`: open to anyone (the API's own description); otherwise the access the key needs. */
export type RouteAccess = ApiAccess | "public";

/**
 * Path parameter values that need more than the route's own roles: a setting that decides where
 * a saved secret is sent needs the permission that saves the secret. The route's service checks
 * them once it knows what is asked; the OpenAPI document shows them in `x-roles-by-parameters`.
 */
export interface GuardedParameters {
  /** The path parameters, by name, that pick what is guarded (`{key: "DataSyncTokenUrl"}`). */
  parameters: Readonly<Record<string, string>>;
  /** The permissions needed beyond the route's. */
  permissions: readonly Permission[];
  /** Why, in words, for the document. */
  reason: string;
}

declare module "fastify" {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /**
     * The permissions of src/domain/roles.ts the route's service checks, checked with `access` as
     * the request arrives and shown as the route's roles in the OpenAPI document.
     */
    permissions?: readonly Permission[];
    /** Path parameter values that need more (GuardedParameters); checked by the service. */
    guardedParameters?: readonly GuardedParameters[];
    /** The media types the route's body is sent as: `application/json` unless it says. */
    bodyTypes?: readonly string[];
    /** A request with no body at all is taken as `{}` (its body schema's fields are optional). */
    bodyOptional?: boolean;
  }
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
  }
  interface FastifyRequest {
    /** The holder of the request's API key; null on open routes. */
    actor: Actor | null;
  }
}
