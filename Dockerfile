# Release image: the `shoutout` binary on a slim Debian. Migrations are embedded in the binary
# and applied at start-up. Build with `docker compose build` (see docker-compose.yml).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
COPY openapi openapi
RUN cargo build --release --locked --bin shoutout

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 shoutout
COPY --from=build /src/target/release/shoutout /usr/local/bin/shoutout
USER shoutout
ENV SHOUTOUT_BIND=0.0.0.0:8080 SHOUTOUT_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["shoutout"]
CMD ["serve"]
