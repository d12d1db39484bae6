// Package deploy holds what runs Backbeat in production, and the tests that
// keep it valid: the Dockerfile and the image build without Docker
// (image/build.sh), the Kubernetes manifests (k8s/, a kustomize base with
// overlays), the Prometheus alerting rules (prometheus/) and the Prometheus
// adapter's rules for autoscaling. The runbook is server/docs/operations.md.
// Nothing here is imported by the server.
package deploy
