"""The configuration files `agora stack` writes: HAProxy in front of the API replicas, and
Prometheus with the jobs of deploy/prometheus/prometheus.yml at local addresses."""

from __future__ import annotations

import json
from pathlib import Path


def haproxy_config(*, port: int, apis: list[str]) -> str:
    """Round robin over the replicas; a replica failing /healthz leaves within a second, and a
    request whose connection fails (or gets no answer) is retried on another replica."""
    servers = "\n".join(f"    server api-{i} {target} check inter 500ms fall 2 rise 2"
                        for i, target in enumerate(apis, start=1))
    return f"""global
    maxconn 4096

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend lb
    bind 127.0.0.1:{port}
    default_backend api

backend api
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


def prometheus_config(*, scrape: dict[str, list[str]], self_port: int, key_file: Path) -> str:
    """Every job scrapes every 2 s; the analytics job reads the ops key from `key_file`."""
    paths = {"agora-analytics": "/v1/analytics/metrics"}
    jobs: list[dict[str, object]] = []
    for job, targets in scrape.items():
        entry: dict[str, object] = {"job_name": job, "metrics_path": paths.get(job, "/metrics"),
                                    "static_configs": [{"targets": targets}]}
        if job == "agora-analytics":
            entry["authorization"] = {"type": "Bearer", "credentials_file": str(key_file)}
        jobs.append(entry)
    jobs.append({"job_name": "prometheus",
                 "static_configs": [{"targets": [f"127.0.0.1:{self_port}"]}]})
    return json.dumps({  # JSON is YAML: no YAML writer needed at run time
        "global": {"scrape_interval": "2s", "evaluation_interval": "2s",
                   "external_labels": {"system": "agora-stack"}},
        "rule_files": ["alerts.yml"], "scrape_configs": jobs}, indent=2)
