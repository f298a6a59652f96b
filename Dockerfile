# Sluice's container image: `sluice run` as PID 1 (it reads signals
# synchronously and reaps its workers, so no init is needed) on Debian slim.
# Built and proven without a container engine by `make verify-container`
# (README.md, "Container"): the same static build, the same runtime libraries.
#
#   docker build -t sluice .
#   docker run --rm -v sluice-spool:/var/lib/sluice -e STRIPE_API_KEY_FILE=… sluice

# --- build: the Swift toolchain, sluice with the Swift runtime linked in -----
ARG SWIFT_IMAGE=swift:6.3-bookworm
FROM ${SWIFT_IMAGE} AS build
# libcurl's development files: harmless to the build, which no longer links it
# (the workers dlopen libcurl.so.4 at run time, see README "Security").
# Unpinned on purpose: the Debian release pins the versions, and a pinned
# point release disappears from the archive at the next security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
RUN swift build -c release --static-swift-stdlib --product sluice \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/sluice" /out/sluice

# --- runtime: libc, libstdc++, libcurl (dlopened by workers) and CA roots -----
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 sluice \
    && useradd --system --uid 10001 --gid sluice --home-dir /var/lib/sluice --shell /usr/sbin/nologin sluice \
    && install -d -o sluice -g sluice -m 0700 /var/lib/sluice
COPY --from=build /out/sluice /usr/local/bin/sluice
COPY examples/sluice.json /etc/sluice/sluice.json
# The spool goes to $STATE_DIRECTORY/spool: mount a volume here to keep tasks.
ENV STATE_DIRECTORY=/var/lib/sluice
VOLUME ["/var/lib/sluice"]
USER 10001:10001
EXPOSE 9464
# SIGTERM drains: unstarted tasks back to the spool, requests in flight get
# shutdownTimeout. Give `docker stop` more than that: docker stop -t 45.
STOPSIGNAL SIGTERM
# /healthz on the configured listener (127.0.0.1:9464 by default); bash's
# /dev/tcp, because the slim image has no HTTP client binary.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/sluice"]
CMD ["run", "--config", "/etc/sluice/sluice.json"]
