# Images for docker-compose.yml: the AWS emulator (with Debian's PostgreSQL,
# which it runs as the unprivileged postgres user) and the credstage worker.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
COPY client/go.mod client/go.sum ./client/
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/localaws ./cmd/localaws \
 && CGO_ENABLED=0 go build -trimpath -o /out/worker ./worker \
 && CGO_ENABLED=0 go build -trimpath -o /out/credstage ./starter

FROM debian:bookworm-slim AS localaws
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/localaws /usr/local/bin/localaws
VOLUME /var/lib/localaws
EXPOSE 4566
ENTRYPOINT ["/usr/local/bin/localaws", "--addr", "0.0.0.0:4566", "--data-dir", "/var/lib/localaws"]

FROM debian:bookworm-slim AS worker
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/worker /usr/local/bin/credstage-worker
COPY --from=build /out/credstage /usr/local/bin/credstage
USER 65534:65534
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/credstage-worker"]
