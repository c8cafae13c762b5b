# The dashboards' schema check and the landing page's browser check:
# - Node.js, npm and the pinned npm packages of tools/grafana-schema (Grafana's own dashboard schema,
#   @grafana/schema, and TypeScript's checker), installed from its package-lock.json;
# - Chromium, from Debian's "chromium" package, which renders the landing page headless.
if ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
if [ ! -d tools/grafana-schema/node_modules/@grafana/schema ] || [ ! -d tools/grafana-schema/node_modules/typescript ]; then
  (cd tools/grafana-schema && npm ci --no-audit --no-fund --loglevel=error)
fi
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium
fi
