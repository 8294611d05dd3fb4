#!/usr/bin/env python3
"""Checks what yamllint cannot: the manifests and the compose file agree with each other and
with Worklife's settings and endpoints. Run by deploy/check.sh (and so by .ci/run)."""

import pathlib
import re
import sys
import tomllib

import yaml

here = pathlib.Path(__file__).resolve().parent
problems = []


def check(ok, message):
    if not ok:
        problems.append(message)


def setting_keys():
    """Every setting in the example file, commented-out ones included, as env-var names."""
    text = here.joinpath("worklife.example.toml").read_text()
    uncommented = re.sub(r"(?m)^# ([a-z_]+ = )", r"\1", text)
    keys = set()

    def walk(table, prefix):
        for key, value in table.items():
            if isinstance(value, dict):
                walk(value, prefix + key + "__")
            else:
                keys.add("WORKLIFE_" + (prefix + key).upper())

    walk(tomllib.loads(uncommented), "")
    return keys


settings = setting_keys()


def check_env(names, where):
    for name in names:
        if name.startswith("WORKLIFE_"):
            check(name in settings, f"{where}: {name} is not a setting in worklife.example.toml")


docs = {}
for path in sorted(here.joinpath("k8s").glob("*.yaml")):
    for doc in yaml.safe_load_all(path.read_text()):
        for field in ("apiVersion", "kind"):
            check(field in doc, f"{path.name}: no {field}")
        docs.setdefault(doc["kind"], []).append((path.name, doc))

kustomization = docs["Kustomization"][0][1]
for resource in kustomization["resources"]:
    check(here.joinpath("k8s", resource).is_file(), f"kustomization: {resource} missing")

config = docs["ConfigMap"][0][1]
secret = docs["Secret"][0][1]
check_env(config["data"], "configmap.yaml")
check_env(secret["stringData"], "secret.example.yaml")
check("WORKLIFE_DATABASE_URL" not in config["data"], "the database URL belongs in the Secret")

deployment = docs["Deployment"][0][1]
spec = deployment["spec"]
pod = spec["template"]["spec"]
pod_labels = spec["template"]["metadata"]["labels"]
check(spec["replicas"] >= 2, "deployment: fewer than 2 replicas")
check(spec["selector"]["matchLabels"].items() <= pod_labels.items(), "deployment: selector misses the pod labels")
container = pod["containers"][0]
check(container["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe is not /readyz")
check(container["livenessProbe"]["httpGet"]["path"] == "/healthz", "liveness probe is not /healthz")
for kind in ("requests", "limits"):
    for resource in ("cpu", "memory"):
        check(resource in container["resources"].get(kind, {}), f"deployment: no {resource} {kind}")
check(pod["securityContext"]["runAsNonRoot"] is True, "deployment: may run as root")
timeout = int(config["data"]["WORKLIFE_SHUTDOWN_TIMEOUT_SECS"])
check(pod["terminationGracePeriodSeconds"] > timeout, "grace period not above the shutdown timeout")
refs = {r.get("configMapRef", r.get("secretRef"))["name"] for r in container["envFrom"]}
check(refs == {config["metadata"]["name"], secret["metadata"]["name"]}, "deployment: envFrom names")

for kind in ("Service", "PodDisruptionBudget"):
    name, doc = docs[kind][0]
    selector = doc["spec"]["selector"]
    selector = selector.get("matchLabels", selector)
    check(selector.items() <= pod_labels.items(), f"{name}: selector does not match the pods")

job = docs["Job"][0][1]
job_container = job["spec"]["template"]["spec"]["containers"][0]
check(job_container["args"] == ["migrate"], "migrate job does not run `worklife migrate`")
check(job_container["image"] == container["image"], "migrate job and deployment use different images")

compose = yaml.safe_load(here.joinpath("compose.yaml").read_text())
services = compose["services"]
for name in ("worklife", "postgres", "mailpit", "migrate"):
    check(name in services, f"compose: no {name} service")
check_env(services["worklife"]["environment"], "compose.yaml")
check(
    services["worklife"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully",
    "compose: worklife does not wait for migrate",
)
for name in ("worklife", "postgres", "mailpit"):
    check("healthcheck" in services[name], f"compose: {name} has no healthcheck")
check(services["migrate"]["build"]["dockerfile"] == "deploy/Dockerfile", "compose: builds another Dockerfile")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"deploy manifests: consistent ({len(settings)} settings known)")
