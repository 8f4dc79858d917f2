"""What the rendered Tend chart must say, beyond being valid Kubernetes: the seed's numbers, the
admin-port-only metrics, the NetworkPolicies matching who calls whom, Secrets per service, and
Prometheus Operator objects only when their CRDs exist.

    python chart_facts.py default.yaml production.yaml minimal.yaml operator.yaml
"""

import re
import sys

import yaml

SEED_REPLICAS = {"voice": 3, "conversation": 5, "health": 3}
SERVICES = ("voice", "conversation", "health", "notification", "external")


def callers_in_code(path="apps/server/src/services.ts"):
    """Who calls whom over gRPC, read from the code: each service factory's `transportTo('x')`
    calls; the gateway calls every service."""
    with open(path) as f:
        source = f.read()
    callers = {name: {"gateway"} for name in SERVICES}
    blocks = re.split(r"^    (\w+): async \(\) =>", source, flags=re.M)
    for caller, body in zip(blocks[1::2], blocks[2::2]):
        for callee in re.findall(r"transportTo\('(\w+)'\)", body):
            callers[callee].add(caller)
    return callers


CALLERS = callers_in_code()
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def service_of(doc):
    return doc["metadata"]["labels"].get("app.kubernetes.io/name")


def default_set(docs):
    hpas = {service_of(d): d for d in by_kind(docs, "HorizontalPodAutoscaler").values()}
    for name, count in SEED_REPLICAS.items():
        spec = hpas[name]["spec"]
        check(spec["minReplicas"] == count, f"HPA {name}: minReplicas {spec['minReplicas']}, seed says {count}")
    for name, hpa in hpas.items():
        spec = hpa["spec"]
        check(spec["maxReplicas"] == 10, f"HPA {name}: maxReplicas {spec['maxReplicas']} != 10")
        targets = {m["resource"]["name"]: m["resource"]["target"]["averageUtilization"] for m in spec["metrics"]}
        check(targets == {"cpu": 70, "memory": 80}, f"HPA {name}: targets {targets} != cpu 70 / memory 80")
    deployments = {service_of(d): d for d in by_kind(docs, "Deployment").values()}
    check(set(deployments) == set(CALLERS) | {"gateway"}, f"Deployments: {sorted(deployments)}")
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        check(container["resources"]["limits"] == {"cpu": "2000m", "memory": "4Gi"}, f"{name}: limits")
        live, ready = container["livenessProbe"], container["readinessProbe"]
        check((live["periodSeconds"], live["failureThreshold"]) == (30, 3), f"{name}: liveness 30 s x 3")
        check((ready["periodSeconds"], ready["failureThreshold"]) == (10, 3), f"{name}: readiness 10 s x 3")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            check(container[probe]["httpGet"]["port"] == "admin", f"{name}: {probe} not on the admin port")
        check(len(pod["topologySpreadConstraints"]) == 2, f"{name}: topology spread over zones and nodes")
        check("replicas" not in deployment["spec"], f"{name}: replicas set although the HPA owns them")
    check(
        {service_of(d) for d in by_kind(docs, "PodDisruptionBudget").values()} == set(deployments),
        "a PodDisruptionBudget per service",
    )
    config = next(iter(by_kind(docs, "ConfigMap").values()))
    check(config["data"].get("OPS_ROUTES") == "admin", "ConfigMap: OPS_ROUTES=admin (no /metrics on the public port)")
    ingress = next(iter(by_kind(docs, "Ingress").values()))
    paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    check(
        [(p["path"], p["backend"]["service"]["port"]) for p in paths] == [("/", {"name": "http"})],
        f"Ingress: only / to the gateway's http port, got {paths}",
    )
    gateway_service = next(d for d in by_kind(docs, "Service").values() if service_of(d) == "gateway")
    http = next(p for p in gateway_service["spec"]["ports"] if p["name"] == "http")
    admin = next(p for p in gateway_service["spec"]["ports"] if p["name"] == "admin")
    check(http["port"] != admin["port"], "gateway: http and admin ports differ")
    policies = by_kind(docs, "NetworkPolicy")
    for name, callers in CALLERS.items():
        policy = next(p for p in policies.values() if p["spec"]["podSelector"]["matchLabels"].get("app.kubernetes.io/name") == name)
        allowed = {
            peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for rule in policy["spec"]["ingress"]
            for peer in rule["from"]
        }
        check(allowed == callers, f"NetworkPolicy {name}: allows {sorted(allowed)}, the code's callers are {sorted(callers)}")
    check(any(p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/instance") and "ingress" not in p["spec"] for p in policies.values()), "a default-deny NetworkPolicy")
    check(not by_kind(docs, "ServiceMonitor") and not by_kind(docs, "PrometheusRule"), "no Prometheus Operator objects without its CRDs")
    check(not by_kind(docs, "Secret"), "no Secret rendered when no secret values are given")


def production_set(docs):
    for deployment in by_kind(docs, "Deployment").values():
        name = service_of(deployment)
        refs = [e["secretRef"]["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"] if "secretRef" in e]
        check(refs == [f"tend-{name}-secrets"], f"{name}: envFrom its own existing Secret only, got {refs}")
    check(not by_kind(docs, "Secret"), "existingSecret: the chart creates no Secret")
    check(len(by_kind(docs, "Namespace")) == 1, "namespace.create renders the Namespace")
    hpa = next(d for d in by_kind(docs, "HorizontalPodAutoscaler").values() if service_of(d) == "conversation")
    check(hpa["spec"]["maxReplicas"] == 20, "a service's own autoscaling values win over the defaults")


def minimal_set(docs):
    deployments = {service_of(d): d for d in by_kind(docs, "Deployment").values()}
    check(set(deployments) == {"gateway", "health"}, f"disabled services render nothing, got {sorted(deployments)}")
    check(all(d["spec"]["replicas"] == 1 for d in deployments.values()), "replicas without an HPA")
    check(not by_kind(docs, "HorizontalPodAutoscaler") and not by_kind(docs, "NetworkPolicy") and not by_kind(docs, "Ingress"), "toggles off")
    secrets = by_kind(docs, "Secret")
    check({service_of(s) for s in secrets.values()} == {"gateway", "health"}, "one Secret per service from values")
    image = deployments["health"]["spec"]["template"]["spec"]["containers"][0]["image"]
    check("@sha256:" in image, f"a digest pins the image, got {image}")


def operator_set(docs):
    monitors = by_kind(docs, "ServiceMonitor")
    check(len(monitors) == 1, "ServiceMonitor when the CRD exists")
    for monitor in monitors.values():
        check([e["port"] for e in monitor["spec"]["endpoints"]] == ["admin"], "ServiceMonitor scrapes the admin port only")
    rules = by_kind(docs, "PrometheusRule")
    check(len(rules) == 1 and rules[next(iter(rules))]["spec"]["groups"], "PrometheusRule with the alert groups")


for path, facts in zip(sys.argv[1:], (default_set, production_set, minimal_set, operator_set)):
    try:
        facts(load(path))
    except (KeyError, StopIteration, TypeError) as error:
        failures.append(f"{path}: missing {error!r}")
for failure in failures:
    print(f"chart: {failure}", file=sys.stderr)
print(f"chart facts: {len(failures)} failed")
sys.exit(1 if failures else 0)
