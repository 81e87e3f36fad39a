/**
 * API key authentication and role checks for /api/v1 (SPEC 5): `Authorization: Bearer <key>`;
 * 401 `UNAUTHORIZED` without a key or with a bad one, 403 `FORBIDDEN` with a key whose roles do
 * not grant the route's access. It runs on `onRequest`, before the body is read or validated, so
 * a caller without a key learns nothing about what the route accepts.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { CusthubError } from "../domain/errors.js";
import { grantedBy, roleSetsFor, setsInWords, type Actor, type Role } from "../domain/roles.js";
import type { ApiKeyService } from "../services/api-keys.js";
import type { RouteAccess } from "./route-options.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Every route of the instance must say who may call it: a route without `access` fails at start. */
export function requireDeclaredAccess(api: FastifyInstance): void {
  api.addHook("onRoute", (route) => {
    const access: RouteAccess | undefined = route.config?.access;
    if (access === undefined) {
      throw new Error(`Route ${route.method} ${route.url} declares no config.access.`);
    }
  });
}

export function authenticateApiKeys(api: FastifyInstance, apiKeys: ApiKeyService): void {
  api.decorateRequest("actor", null);
  // The role sets that grant each route, worked out on its first request.
  const grantingOf = new WeakMap<object, Role[][]>();
  // In callback form, answered at once when the key was read lately (nearly every request): a
  // promise per request is measurable on a cached read.
  api.addHook("onRequest", (request, _reply, done) => {
    const config = request.routeOptions.config;
    const { access, permissions } = config;
    if (access === undefined || access === "public") return done();
    let cached: Actor | undefined;
    try {
      cached = apiKeys.authenticateCached(bearerOf(request));
    } catch (error) {
      return done(error as Error);
    }
    const admit = (actor: Actor): void => {
      let granting = grantingOf.get(config);
      if (!granting) {
        granting = roleSetsFor(access, permissions);
        grantingOf.set(config, granting);
      }
      if (!grantedBy(granting, actor.roles)) {
        const needed = setsInWords(granting);
        return done(
          new CusthubError(
            "FORBIDDEN",
            `This key's roles (${actor.roles.join(", ")}) do not allow this route: it needs ${needed.join(", or ")}.`,
            { roles: [...actor.roles], needed },
          ),
        );
      }
      request.actor = actor;
      done();
    };
    if (cached) return admit(cached);
    apiKeys.authenticate(bearerOf(request)).then(admit, done);
  });
}

/**
 * The request's actor: every route but the public ones has one, its key's holder, set by
 * `authenticateApiKeys` before the handler runs.
 */
export function actorOf(actor: Actor | null): Actor {
  if (!actor) throw new CusthubError("UNAUTHORIZED", "A valid API key is needed.", {});
  return actor;
}

function bearerOf(request: FastifyRequest): string {
  const match = BEARER.exec(request.headers.authorization ?? "");
  if (!match) {
    throw new CusthubError(
      "UNAUTHORIZED",
      "A valid API key is needed: Authorization: Bearer <key>.",
    );
  }
  return match[1]!;
}
