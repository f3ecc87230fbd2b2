# syntax=docker/dockerfile:1
# Herald's container image: docker build -t herald . (docs/deploy.md).
#
# The image runs what test/install.test.ts verifies: both packages packed as npm publish
# would, laid out by scripts/runtime-project.mjs, installed with npm ci --omit=dev, started
# with herald serve on deploy/herald.container.yaml, checked by the HEALTHCHECK below (the
# test runs that very command). No other step runs in the runtime layers.

ARG NODE_IMAGE=node:20-slim

# 1. Build and pack. TypeScript and Biome need no install scripts, and nothing native is
#    needed to compile, so the dev install skips them.
FROM ${NODE_IMAGE} AS pack
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build --silent \
 && npm pack --ignore-scripts --pack-destination /pkg \
 && (cd packages/sdk && npm pack --ignore-scripts --pack-destination /pkg) \
 && node scripts/runtime-project.mjs /opt/herald /pkg/herald-[0-9]*.tgz /pkg/herald-sdk-*.tgz

# 2. Install the tarballs with the repository's locked versions; better-sqlite3 fetches its
#    prebuilt binary here (a platform without one needs python3, make and g++ in this stage).
FROM ${NODE_IMAGE} AS install
WORKDIR /opt/herald
COPY --from=pack /opt/herald ./
RUN npm ci --omit=dev --no-audit --no-fund && rm -f ./*.tgz && npm cache clean --force

# 3. Runtime: no build tools, no npm cache, a non-root user, state on the /data volume.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=128 \
    HERALD_CONFIG=/etc/herald/herald.yaml \
    HERALD_LISTEN=0.0.0.0:9470 \
    HERALD_STORAGE=sqlite:/data/herald.db
COPY --from=install /opt/herald /opt/herald
COPY deploy/herald.container.yaml /etc/herald/herald.yaml
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
VOLUME /data
EXPOSE 9470
# slim has no curl: Node's fetch asks /readyz on the port HERALD_LISTEN names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HERALD_LISTEN||'').split(':').pop()+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/opt/herald/node_modules/.bin/herald", "serve"]
