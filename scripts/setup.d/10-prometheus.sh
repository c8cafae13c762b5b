# promtool and prometheus, from Debian's "prometheus" package: promtool checks the exposition and the
# rules, a real Prometheus scrapes the exporter in the end-to-end tests.
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  apt_install prometheus
fi
