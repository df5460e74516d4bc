# syntax=docker/dockerfile:1
#
# jitbot container image.
#   docker build -t jitbot:0.1.0 .
#   docker run --read-only --tmpfs /tmp -v jitbot-data:/data \
#     -v "$PWD/jitbot.yaml:/etc/jitbot/jitbot.yaml:ro" --env-file .env -p 3000:3000 jitbot:0.1.0
#
# Stages: build-tools (compilers for the better-sqlite3 addon) → build (all deps + tsc)
#         → prod-deps (production deps only, addon compiled) → runtime (no compilers, no dev deps).

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build-tools
# better-sqlite3 falls back to compiling from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The official image ships Node's headers, so node-gyp needs no download to compile.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./

FROM build-tools AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM build-tools AS prod-deps
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# A fixed numeric uid lets Kubernetes verify runAsNonRoot; HOME and TMPDIR point at /tmp so the
# root filesystem can stay read-only (mount a tmpfs/emptyDir at /tmp, a volume at /data).
RUN groupadd --system --gid 10001 jitbot \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin jitbot \
 && mkdir -p /data /etc/jitbot \
 && chown 10001:10001 /data
ENV NODE_ENV=production \
    PORT=3000 \
    JITBOT_DB=/data/jitbot.db \
    JITBOT_CONFIG=/etc/jitbot/jitbot.yaml \
    HOME=/tmp \
    TMPDIR=/tmp
WORKDIR /app
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
# tsc copies no static files: the playground page is served from here (dist/playground/public).
COPY --from=build --chown=root:root /app/src/playground/public ./dist/playground/public
COPY --chown=root:root package.json ./
USER 10001:10001
EXPOSE 3000
# slim has no curl: ask Node itself (global fetch) whether the process answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `npm start` equivalent on compiled output. The CLI: docker run --entrypoint node IMAGE dist/cli.js doctor
# (in Kubernetes: kubectl -n jitbot exec jitbot-0 -- node dist/cli.js doctor).
# The heap flags keep RSS near 150 MB under a burst of Slack requests (live heap ~30 MB; with V8's
# defaults on a large machine the heap grew to ~280 MB of garbage before collecting). A young
# generation of 16 MB keeps scavenges rare; a smaller one cost a third of the throughput.
# `npm run bench` starts the bot with the same flags. Keep the old space at half the pod's limit.
ENTRYPOINT ["node", "--max-old-space-size=256", "--max-semi-space-size=16", "dist/main.js"]
