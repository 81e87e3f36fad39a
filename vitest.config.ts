import { defineConfig } from "vitest/config";

const report = process.env.CUSTHUB_TEST_REPORT;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/embedded-template.ts"],
    // PGlite instances are heavy (seconds to start, hundreds of MB): one per test file, and few
    // files at once on a small machine.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // .ci/run reads this report to prove the PostgreSQL-backed tests ran.
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
  },
});
