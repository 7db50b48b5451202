# wa-cloud serve in a container: a build stage with the Rust toolchain, and a small
# runtime stage that runs as an unprivileged user with the database on a volume.
#
#   docker build -t wa-cloud .
#   docker run -d --name wa-cloud -p 3000:3000 -v wa-cloud-data:/data \
#     -e WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID=... -e WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN=... \
#     -e WHATSAPP_CLOUD_WEBHOOKS_SECRET=... -e WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN=... \
#     wa-cloud
#   docker inspect --format '{{.State.Health.Status}}' wa-cloud      # healthy once /healthz answers 200
#
# A bot needs its own runtime: build FROM this image, install it as root, then go back
# to USER wa-cloud, and run `serve --handler /app/bot.py` (see README, "Going live").

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY . .
# The registry and the target directory are cached between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin wa-cloud \
    && install -m 0755 target/release/wa-cloud /usr/local/bin/wa-cloud

FROM debian:bookworm-slim
# tini reaps what a handler leaves behind and forwards signals: serve then stops as it
# does under systemd (see README, "Limits and timeouts: Shutdown always ends").
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin wa-cloud \
    && install -d -o wa-cloud -g wa-cloud -m 0700 /data
COPY --from=build /usr/local/bin/wa-cloud /usr/local/bin/wa-cloud
USER wa-cloud
WORKDIR /data
ENV WHATSAPP_CLOUD_MEDIA_DB_PATH=/data/wa-cloud.db \
    WHATSAPP_CLOUD_MEDIA_DOWNLOAD_DIR=/data/media \
    WHATSAPP_CLOUD_WEBHOOKS_PORT=3000
VOLUME ["/data"]
EXPOSE 3000
# No curl in the image: wa-cloud asks its own /healthz (https when webhooks.tls.* is set).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["wa-cloud", "healthcheck", "--timeout", "4s"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "wa-cloud"]
CMD ["serve"]
