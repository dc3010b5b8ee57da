# The engine image: `billing run` (or a worker) on Node 20, TypeScript loaded by tsx at run
# time (no build step). Dependencies are installed into the image once, at build time; the
# checkout is not mounted, so `docker compose up` never runs `npm ci` again.
FROM node:20-bookworm-slim

WORKDIR /app
ENV NODE_ENV=production

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY drizzle ./drizzle
COPY src ./src
COPY workers ./workers

# State that must survive a container restart (the built-in sandbox's customers, cards and
# charges) lives here; mount a volume on it.
RUN mkdir -p /var/lib/billing && chown node:node /var/lib/billing
VOLUME ["/var/lib/billing"]
USER node

ENV BILLING_HTTP_HOST=0.0.0.0 \
    BILLING_HTTP_PORT=8080 \
    BILLING_SANDBOX_STATE=/var/lib/billing/sandbox-state.json
EXPOSE 8080 8091

HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "bin/healthcheck.mjs"]

# Exec form: node is the container's main process and receives SIGTERM itself (no npm or
# shell in between), so `docker stop` drains in-flight charges.
CMD ["node", "bin/billing.mjs", "run"]
