import { defineConfig } from "vitest/config";

// Every test talks to a live server: run through test.sh, or
// `bash ../with-server.sh npx vitest run` from this directory.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Two cores: the browser test is heavy enough to run beside one other file.
    maxWorkers: 2,
  },
});
