/**
 * Roles and what they allow (SPEC 5: at least `sysadmin`, `sysconfig`, `jobadmin`, `operator`,
 * `viewer`). Pure checks, so the CLI and the API decide the same way.
 *
 * The document fixes two rules (seeds/001, the notes under "Configuration"): saving the data-sync
 * client ID and secret needs `sysadmin`; Send Sample Message needs `sysadmin`, or `sysconfig` and
 * `jobadmin` together. The other sync permissions are custhub's choice (docs/sync.md).
 */
import { CusthubError } from "./errors.js";

export const ROLES = ["sysadmin", "sysconfig", "jobadmin", "operator", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Who asks: a name for the record, and the roles it holds. */
export interface Actor {
  name: string;
  roles: readonly Role[];
}

/** Each permission lists role sets; an actor holding every role of any one set is allowed. */
const PERMISSIONS = {
  /** Also changing a setting that decides where saved credentials are sent (`sendsCredentials`). */
  saveSyncCredentials: [["sysadmin"]],
  sendSampleMessage: [["sysadmin"], ["sysconfig", "jobadmin"]],
  runSyncJob: [["sysadmin"], ["jobadmin"]],
  manageDeadLetters: [["sysadmin"], ["jobadmin"]],
  viewSyncStatus: [["sysadmin"], ["sysconfig"], ["jobadmin"], ["operator"], ["viewer"]],
  /** Enabling a destination and changing its settings: as the data-sync settings (changeSettings). */
  configureDestinations: [["sysadmin"], ["sysconfig"]],
} as const satisfies Record<string, readonly (readonly Role[])[]>;

export type Permission = keyof typeof PERMISSIONS;

/**
 * The permission that saves credentials (the data-sync client secret, a destination's keys), and
 * changes a setting that decides where they are sent (`sendsCredentials`).
 */
export const CREDENTIALS_PERMISSION: Permission = "saveSyncCredentials";

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * @example
 * isAllowed("sendSampleMessage", ["sysconfig", "jobadmin"]) // => true
 * isAllowed("sendSampleMessage", ["sysconfig"])             // => false
 */
export function isAllowed(permission: Permission, roles: readonly Role[]): boolean {
  return grantedBy(PERMISSIONS[permission], roles);
}

/** Whether `roles` hold all the roles of one of `sets`. */
export const grantedBy = (sets: readonly (readonly Role[])[], roles: readonly Role[]): boolean =>
  sets.some((set) => set.every((role) => roles.includes(role)));

/** Each of `sets` as words: `["sysconfig and jobadmin", "sysadmin"]`. */
export const setsInWords = (sets: readonly (readonly Role[])[]): string[] =>
  sets.map((set) => set.join(" and "));

/**
 * Throws `FORBIDDEN` naming the roles that would do, unless the actor is allowed. `refused` says
 * what was refused when it is more than the permission's own words (a setting that decides where
 * the saved credentials are sent), with details naming it.
 */
export function assertAllowed(
  permission: Permission,
  actor: Actor,
  refused?: { action: string; details: Record<string, unknown> },
): void {
  if (isAllowed(permission, actor.roles)) return;
  const needed = setsInWords(PERMISSIONS[permission]);
  throw new CusthubError(
    "FORBIDDEN",
    `${actor.name} may not ${refused?.action ?? describe(permission)}: needs ${needed.join(", or ")}.`,
    {
      ...refused?.details,
      permission,
      roles: [...actor.roles],
      needed,
    },
  );
}

function describe(permission: Permission): string {
  return {
    saveSyncCredentials: "save the data-sync credentials",
    sendSampleMessage: "send the sample message",
    runSyncJob: "run the data-sync job",
    manageDeadLetters: "re-queue dead letters",
    viewSyncStatus: "view the data-sync status",
    configureDestinations: "configure the sync destinations",
  }[permission];
}

/**
 * Who may use the REST API's routes (SPEC 5: `operator` changes customer data, `viewer` reads).
 * An actor holding any one of the listed roles may. `sysadmin` may do everything.
 */
export const API_ACCESS = {
  readCustomerData: ["sysadmin", "operator", "viewer"],
  changeCustomerData: ["sysadmin", "operator"],
  /** The settings of seeds/001 "Configuration" belong to system configuration. */
  readSettings: ["sysadmin", "sysconfig", "jobadmin"],
  changeSettings: ["sysadmin", "sysconfig"],
  /** Any key; what it may then do is the data-sync permission's call (see PERMISSIONS above). */
  useDataSync: ["sysadmin", "sysconfig", "jobadmin", "operator", "viewer"],
} as const satisfies Record<string, readonly Role[]>;

export type ApiAccess = keyof typeof API_ACCESS;

/**
 * The smallest role sets that grant `access` and every one of `permissions` (a route's roles, as
 * the API's check applies them), each in the order of ROLES.
 *
 * @example
 * roleSetsFor("useDataSync", ["sendSampleMessage"]) // => [["sysadmin"], ["sysconfig", "jobadmin"]]
 */
export function roleSetsFor(access: ApiAccess, permissions: readonly Permission[] = []): Role[][] {
  let sets: Role[][] = API_ACCESS[access].map((role) => [role]);
  for (const permission of permissions) {
    const granting: readonly (readonly Role[])[] = PERMISSIONS[permission];
    sets = sets.flatMap((set) => granting.map((more) => [...new Set([...set, ...more])]));
  }
  const ordered = sets.map((set) => ROLES.filter((role) => set.includes(role)));
  // A set holding another adds nothing: the smaller one already grants.
  const minimal = ordered.filter(
    (set, at) =>
      !ordered.some(
        (other, otherAt) =>
          otherAt !== at &&
          other.every((role) => set.includes(role)) &&
          (other.length < set.length || otherAt < at),
      ),
  );
  return minimal.sort((a, b) => a.length - b.length);
}

/**
 * Reads a comma-separated role list (`operator,viewer`), or fails with `INVALID_REQUEST` naming
 * the unknown role.
 */
export function parseRoles(text: string): Role[] {
  const names = text
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  if (names.length === 0) {
    throw new CusthubError("INVALID_REQUEST", `Give at least one role: ${ROLES.join(", ")}.`, {
      field: "roles",
    });
  }
  const unknown = names.find((name) => !isRole(name));
  if (unknown !== undefined) {
    throw new CusthubError(
      "INVALID_REQUEST",
      `Role ${JSON.stringify(unknown)} is not one of ${ROLES.join(", ")}.`,
      { field: "roles", role: unknown },
    );
  }
  return [...new Set(names.filter(isRole))];
}
