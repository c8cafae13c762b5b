# swr-exporter container image.
#
# Build:   scripts/build-image            (podman/buildah; `docker build .` works too)
# Run:     podman run --rm -p 9878:9878 localhost/swr-exporter:dev --demo
# Config:  mount it at /etc/swr-exporter/config.yml (the default command reads it there) and the
#          credentials as files, e.g. /etc/swr-exporter/secret/ak and .../sk.

# The official base. `scripts/build-image --stand-in-base` (no registry at hand) passes its own offline
# stand-in here with --build-arg PYTHON_IMAGE=localhost/swr-exporter-stand-in-base:...; nothing ever
# tags a stand-in with this name.
ARG PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm

# Stage 1: build the wheel from the sources and install it with its dependencies into a venv, so the
# runtime stage gets one self-contained directory and no compilers, pip caches or sources.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
RUN python3 -m venv /opt/swr-exporter \
 && /opt/swr-exporter/bin/pip wheel --no-deps --wheel-dir /tmp/wheels . \
 && /opt/swr-exporter/bin/pip install /tmp/wheels/*.whl \
 && /opt/swr-exporter/bin/pip uninstall --yes pip setuptools \
 && rm -rf /tmp/wheels

# Stage 2: the same Python, the venv, nothing else.
FROM ${PYTHON_IMAGE}
ARG VERSION=dev
LABEL org.opencontainers.image.title="swr-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Huawei Cloud SWR (SoftWare Repository for Container)" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /opt/swr-exporter /opt/swr-exporter
# The root filesystem may be read-only (Kubernetes readOnlyRootFilesystem): the .pyc files were written
# at install time, and nothing is written at run time.
ENV PATH=/opt/swr-exporter/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
WORKDIR /etc/swr-exporter
# Numeric, so that Kubernetes' runAsNonRoot can verify it without an /etc/passwd entry.
USER 65532:65532
EXPOSE 9878
# The exporter is PID 1 and handles SIGTERM itself (stops the poller and the server, exits 0); it starts
# no child processes, so there is nothing to reap and no init is needed.
STOPSIGNAL SIGTERM
ENTRYPOINT ["swr-exporter"]
CMD ["--config.file=/etc/swr-exporter/config.yml"]
