import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Files run in parallel; each gets its own database and queue prefix.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
