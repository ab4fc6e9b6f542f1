# docker build -t django_health_exporter .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build && mkdir -p /data

# distroless's nonroot user (65532) runs the exporter: the heartbeat
# store's directory is created here, owned by it, before it becomes a
# volume (a directory Docker creates for a VOLUME belongs to root).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/django_health_exporter /bin/django_health_exporter
COPY --from=build --chown=65532:65532 /data /var/lib/django-health-exporter
USER 65532:65532
EXPOSE 9716
VOLUME ["/var/lib/django-health-exporter"]
ENTRYPOINT ["/bin/django_health_exporter"]
CMD ["--storage.path=/var/lib/django-health-exporter"]
