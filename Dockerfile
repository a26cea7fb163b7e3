# The pipeline image used by docker-compose.yml: the compiled CLI and its production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY lib lib
COPY cli cli
COPY stack stack
COPY producer producer
COPY processors processors
COPY sinks sinks
COPY api api
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY stack/assets stack/assets
# Read at run time from the project root: the control panel's page, the native dashboards' pages
# and the dashboards they draw (uPlot comes with node_modules), and the connector templates.
COPY api/panel api/panel
COPY api/dashboards/web api/dashboards/web
COPY dashboards dashboards
COPY connect-config connect-config
ENTRYPOINT ["node", "dist/cli/main.js"]
