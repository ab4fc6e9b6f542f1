# docker build -t django_health_exporter .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/django_health_exporter /bin/django_health_exporter
EXPOSE 9716
VOLUME ["/var/lib/django-health-exporter"]
ENTRYPOINT ["/bin/django_health_exporter"]
CMD ["--storage.path=/var/lib/django-health-exporter"]
