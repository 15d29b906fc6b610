# syntax=docker/dockerfile:1
# One image for every process of the suite; the command picks the process:
#   docker run smartcity run traffic      (a sector service)
#   docker run smartcity                  (the gateway: HTTP edge + platform service)
# Configuration is environment only (AMQP_URI, DATABASE_URL_TEMPLATE, METRICS_PORT, ...).

# Build stage: wheels for the package and its pinned runtime dependencies (no test or dev
# extras), so that the runtime stage needs neither build tools nor the source tree.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY shared ./shared
COPY services ./services
COPY gateway ./gateway
COPY smartcity ./smartcity
RUN pip wheel --wheel-dir /wheels .

# The portals' browser libraries from the npm registry (portals/package-lock.json), as
# `make install` does; the runtime stage copies node_modules and needs no node.
FROM node:20-slim AS portals
WORKDIR /portals
COPY portals/package.json portals/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
LABEL org.opencontainers.image.title="smartcity" \
      org.opencontainers.image.description="Smart Shenyang services, gateway and operator CLI" \
      org.opencontainers.image.licenses="MIT"
# SMARTCITY_VAR_DIR: where the embedded defaults keep their files (the JWT secret, and the
# embedded database when no DATABASE_URL_TEMPLATE is given); it must be writable by the
# non-root user. No METRICS_PORT here on purpose: each service then uses its own default (the
# metrics port of its row in shared/services_table.py), so that processes sharing a host (or
# a network namespace) never collide; compose and Kubernetes set METRICS_PORT=9100.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    SMARTCITY_VAR_DIR=/var/lib/smartcity \
    PORTALS_DIR=/opt/smartcity/portals \
    LOG_FORMAT=json \
    EVENTLET_NO_GREENDNS=yes
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels smartcity
# The portals the gateway serves (gateway/portals.py): their pages and the installed libraries.
COPY portals /opt/smartcity/portals
COPY --from=portals /portals/node_modules /opt/smartcity/portals/node_modules

# A numeric, non-root user so that orchestrators enforcing runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 smartcity \
    && useradd --system --uid 10001 --gid smartcity --create-home --home-dir /home/smartcity \
       smartcity \
    && install -d -o smartcity -g smartcity /var/lib/smartcity /var/lib/smartcity/documents
USER 10001:10001
WORKDIR /home/smartcity

# 8000: the gateway's HTTP API; 9100: Prometheus metrics (compose sets METRICS_PORT=9100).
EXPOSE 8000 9100
# No HEALTHCHECK: what "healthy" means differs per process (the gateway answers /healthz, the
# services their metrics port), so docker-compose.yml defines one per service.
ENTRYPOINT ["smartcity"]
CMD ["run", "gateway"]
