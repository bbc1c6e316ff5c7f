// Package deploy holds worldval's deployment material: the example
// configuration, the systemd unit, the Prometheus alert rules
// (prometheus/alerts.yml and their promtool unit tests) and the Grafana
// dashboard (grafana/world-validation.json). It has no code; its tests check
// that the rules and the dashboard are valid and name only metrics the
// service exports.
package deploy
