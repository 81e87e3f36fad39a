/**
 * Canaries for the log sweeps (SPEC 9): a customer whose every personal value is a word nothing
 * else in custhub says, and `leaks`, which names the canaries a text carries and where.
 */

/** The customer's values: each a word nothing else in custhub says. */
export const PII = {
  first: "Zyxwanda",
  last: "Qorvbeck",
  nick: "Plimbix",
  email: "zq9wanda@ex.test",
  altEmail: "alt7qorv@ex.test",
  badEmail: "zq8wanda-at-nowhere",
  phone: "2125550147",
  badPhone: "5550199123",
  street: "77 Vrellish Row",
  city: "Mortenquay",
  postal: "Y9Z 8W7",
  storeKey: "XSQ-Vorpal-88",
  note: "Noteglimmer about the fence",
  hobby: "Quasselbrook",
  notInList: "Glorpinum",
  badDate: "Blorbtember",
  birthDate: "1961-07-23",
  /** The value the database is made to refuse. */
  crash: "Krastomir",
} as const;

/** How a canary may be written once custhub has normalized it. */
const PII_FORMS: Record<string, readonly string[]> = {
  phone: ["5550147", "555-0147"],
  badPhone: ["5550199123", "555-0199"],
  postal: ["Y9Z 8W7", "Y9Z8W7"],
  birthDate: ["1961-07-23", "07-23-1961", "07/23/1961"],
  email: ["zq9wanda"],
  altEmail: ["alt7qorv"],
  badEmail: ["zq8wanda"],
};

/** Every canary of the customer, in every form it may be written: `[name, form]`. */
export const piiForms = (): [string, string][] =>
  Object.entries(PII).flatMap(([name, value]) =>
    (PII_FORMS[name] ?? [value]).map((form): [string, string] => [name, form]),
  );

/** Which canaries any of `lines` carries, each with the first line that does. */
export function leaks(lines: readonly string[], canaries: readonly [string, string][]): string[] {
  const found: string[] = [];
  for (const [name, form] of canaries) {
    const line = lines.find((text) => text.toLowerCase().includes(form.toLowerCase()));
    if (line !== undefined) found.push(`${name} (${form}) in: ${line.slice(0, 600)}`);
  }
  return found;
}

/** A secret as a far side was sent it: as saved, form-encoded, URI-encoded, or in a Basic header. */
export const sentForms = (name: string, user: string, secret: string): [string, string][] => [
  [name, secret],
  [`${name} form-encoded`, new URLSearchParams({ secret }).toString().slice("secret=".length)],
  [`${name} URI-encoded`, encodeURIComponent(secret)],
  [`${name} in Basic`, Buffer.from(`${user}:${secret}`).toString("base64")],
  [
    `${name} URI-encoded in Basic`,
    Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(secret)}`).toString("base64"),
  ],
];
