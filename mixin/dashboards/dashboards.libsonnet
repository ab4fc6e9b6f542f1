(import 'probes.libsonnet') + (import 'heartbeats.libsonnet')
