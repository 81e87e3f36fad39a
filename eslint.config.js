// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/**
 * The layering of docs/architecture.md, enforced: each folder lists the folders of ours it may not
 * import. An arrow pointing the wrong way fails `npm run lint` (and so `npm test`).
 */
const forbidden = {
  domain: ["store", "services", "ingest", "sync", "api", "ui", "cli"],
  store: ["services", "ingest", "sync", "api", "ui", "cli"],
  services: ["ingest", "sync", "api", "ui", "cli"],
  ingest: ["store", "sync", "api", "ui", "cli"],
  sync: ["ingest", "api", "ui", "cli"],
  api: ["store", "ui", "cli"],
  ui: ["store", "cli"],
  cli: ["store", "ui"],
};

const layerRules = Object.entries(forbidden).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    "no-restricted-imports": [
      "error",
      {
        patterns: banned.flatMap((other) => [
          {
            group: [`../${other}/*`, `../../${other}/*`, `../../../${other}/*`],
            message: `src/${layer} may not import src/${other} (docs/architecture.md).`,
          },
        ]),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "data/", "coverage/", ".bench-data/", ".scratch/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["scripts/**/*.mjs", "bench/**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  ...layerRules,
);
