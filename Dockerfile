# The dfs API on Node, as `npm start` runs it, with the web UI. With S3_* set (see README) it
# uses that store. The build stage compiles the CLI and bundles the UI (`npm ci` runs prepare);
# the image keeps production dependencies only.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund

FROM node:24-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY src ./src
COPY infra ./infra
COPY --from=build /app/dist ./dist
ENV DFS_HOST=0.0.0.0 DFS_PORT=8787 DFS_DATA_DIR=/data
VOLUME /data
EXPOSE 8787 8788
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8787/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "src/runtime/node.ts"]
