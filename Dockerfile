# envoy-doctor container image (docs/cronjob.md): built on Node.js 24, run as a non-root user from a read-only root
# filesystem; the only place it writes is the temp directory (/tmp, an emptyDir in deploy/).
#
#   docker build -t envoy-doctor .
#   docker run --rm envoy-doctor list

# Build: the full install (TypeScript among the dev dependencies); npm ci's prepare script compiles src/ to dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --no-audit --no-fund && test -f dist/cli/main.js
COPY docs ./docs
COPY samples ./samples

# Production dependencies only. None of them has an install script, and the package's own prepare script (the build)
# needs the dev dependencies, so scripts are skipped here.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# Runtime: Node.js, the compiled CLI, its production dependencies, and the docs pages `envoy-doctor explain` prints.
FROM node:24-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="envoy-doctor" \
      org.opencontainers.image.description="Diagnose Envoy proxies: from admin stats and config dumps to a named root cause and the config fix." \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/docs ./docs
COPY --from=build /app/samples ./samples
# envoy-doctor on PATH; npm, npx and yarn are not needed to run it and are removed.
RUN ln -s /app/bin/envoy-doctor.js /usr/local/bin/envoy-doctor \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
# A numeric user, so Kubernetes can check runAsNonRoot without a passwd entry.
USER 65532:65532
ENTRYPOINT ["envoy-doctor"]
CMD ["--help"]
