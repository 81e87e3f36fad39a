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
    // A test that runs the built CLI starts a process per command, each opening its store (seconds
    // on PGlite); on a loaded two-core machine one such test took a minute. The timeout is there
    // to end a test that hangs, not to time the ones that work.
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // .ci/run reads this report to prove the PostgreSQL-backed tests ran.
    reporters: report ? ["default", ["json", { outputFile: report }]] : ["default"],
  },
});
