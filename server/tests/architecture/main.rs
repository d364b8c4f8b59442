//! The architecture test: the server's module imports follow DESIGN.md §2, and no module
//! cycle exists. Run it alone with `cargo nextest run architecture`.
//!
//! Each rule carries its one-line rationale, printed with every violation; ARCHITECTURE.md
//! ("Architecture invariants") states the same rules for readers.

mod checker;

use checker::{Forbidden, Layer};
use std::path::{Path, PathBuf};

/// Who may import whom. A layer always may use itself; the crate root (`lib.rs`, the
/// composition root) may use everything.
const LAYERS: &[Layer] = &[
    Layer {
        name: "domain",
        may_use: &[],
        why: "the business rules do no I/O, so they are tested exhaustively and quickly",
    },
    Layer { name: "clock", may_use: &[], why: "the one \"now\" is a leaf every layer may read" },
    Layer { name: "telemetry", may_use: &[], why: "logging and metrics set-up is a leaf every layer may use" },
    Layer { name: "db", may_use: &[], why: "connecting and migrating knows no business rule" },
    Layer {
        name: "store",
        may_use: &["domain"],
        why: "the database layer knows tables and the rules it enforces, never who calls it",
    },
    Layer {
        name: "providers",
        may_use: &["domain"],
        why: "outside systems sit behind small interfaces that know nothing of the services using them",
    },
    Layer {
        name: "shopify",
        may_use: &["domain", "providers"],
        why: "the platform's protocols are outside systems too; only the TLS set-up of providers is shared",
    },
    Layer {
        name: "jobs",
        may_use: &["domain", "store"],
        why: "the job runner is plumbing below the services: it knows no job kind (the registry is in lib.rs)",
    },
    Layer {
        name: "config",
        may_use: &["domain", "providers", "shopify"],
        why: "configuration builds the settings of the outside systems and nothing else",
    },
    Layer {
        name: "preflight",
        may_use: &["domain", "config", "db", "providers"],
        why: "configuration checking probes the outside systems the configuration names, and changes nothing",
    },
    Layer {
        name: "state",
        may_use: &["domain", "clock", "config", "providers", "shopify", "jobs"],
        why: "the application state holds the outside systems; it must not reach up into services or transports",
    },
    Layer {
        name: "services",
        may_use: &["domain", "store", "providers", "shopify", "jobs", "state", "config", "clock", "telemetry"],
        why: "a service serves a resolver, a webhook and a job alike; a transport type inside it would tie it to one",
    },
    Layer {
        name: "graphql",
        may_use: &["domain", "services", "providers", "state", "config"],
        why: "resolvers parse, authorize, call one service and map the result; SQL and rules live below",
    },
    Layer {
        name: "http",
        may_use: &["domain", "services", "graphql", "providers", "shopify", "state", "config", "db", "telemetry"],
        why: "handlers parse, verify, call one service and map the result; SQL and rules live below",
    },
];

/// Modules a layer must not import although their layer is allowed.
const FORBIDDEN: &[Forbidden] = &[
    Forbidden {
        from: "services",
        to: "jobs::runner",
        why: "services depend on the job trait and enqueue through the store, never on the runner",
    },
    Forbidden {
        from: "graphql",
        to: "providers::storage",
        why: "resolvers reach media through services (links come from `AppState::playback_url`)",
    },
    Forbidden {
        from: "http",
        to: "providers::storage",
        why: "handlers reach media through services and `AppState::playback_url`",
    },
    Forbidden {
        from: "graphql",
        to: "providers::email",
        why: "resolvers never send; the services that own a message do",
    },
];

/// Public store functions that need no shop id although their name does not say so: each
/// *finds* the tenant from something that names it.
const UNSCOPED_ALLOWED: &[&str] = &[
    // The shop's domain names the tenant; this is how a verified session token becomes a shop.
    "find_by_domain",
    // Creates the tenant itself (install), keyed by its domain.
    "insert_if_absent",
    // Runs no query: wraps a unit of work and lists the shops whose storefront it changed.
    "tracked",
    // Runs no query on a table: sets how the rest of the caller's transaction is planned.
    "reuse_plans",
    "plan_for_values",
];

fn server_src() -> PathBuf {
    std::env::var("ARCH_SRC").map(PathBuf::from).unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn report(what: &str, problems: &[String]) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

#[test]
fn architecture_layers_point_one_way() {
    let graph = checker::scan(&server_src()).expect("the sources parse");
    assert!(graph.edges.len() > 100, "the scan found the imports ({} edges)", graph.edges.len());
    report("imports that break DESIGN.md §2", &checker::layer_violations(&graph, LAYERS, FORBIDDEN));
}

#[test]
fn architecture_has_no_module_cycles() {
    let graph = checker::scan(&server_src()).expect("the sources parse");
    let problems: Vec<String> = checker::cycles(&graph)
        .iter()
        .map(|c| {
            let edges: Vec<String> =
                checker::cycle_edges(&graph, c).iter().map(|e| format!("{} → {} ({})", e.from, e.to, e.file)).collect();
            format!("cycle among {}: {}", c.join(", "), edges.join("; "))
        })
        .collect();
    // Why: a cycle makes the modules in it one module in all but name; none can be understood,
    // tested or moved alone.
    report("module cycles", &problems);
}

#[test]
fn architecture_store_functions_take_the_shop_or_say_all_shops() {
    // Why: a forgotten `WHERE shop_id` is a cross-tenant leak; a `ShopId` parameter makes it
    // impossible to forget silently, and `_all_shops` makes the rare global query visible.
    let dir = server_src().join("store");
    let mut problems = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("store/ exists") {
        let path = entry.expect("readable").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let file = syn::parse_file(&text).expect("parses");
        checked += file
            .items
            .iter()
            .filter(|i| matches!(i, syn::Item::Fn(f) if matches!(f.vis, syn::Visibility::Public(_))))
            .count();
        for name in checker::unscoped_store_functions(&file, UNSCOPED_ALLOWED) {
            problems.push(format!(
                "store/{}: `{name}` takes no `ShopId` and does not say `_all_shops`",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(checked > 50, "the store's public functions were found ({checked})");
    report("store functions without a tenant", &problems);
}

/// A copy of the server's sources, to break on purpose.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

fn append(path: &Path, text: &str) {
    let mut s = std::fs::read_to_string(path).unwrap();
    s.push_str(text);
    std::fs::write(path, s).unwrap();
}

#[test]
fn architecture_checker_names_a_back_edge_and_the_cycle_it_closes() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&server_src(), dir.path());
    // The store reaching up into a service: a back-edge, and with services → store a cycle.
    append(
        &dir.path().join("store/shops.rs"),
        "\n#[allow(dead_code)]\nfn back_edge() { let _ = crate::services::shops::provision; }\n",
    );
    let graph = checker::scan(dir.path()).unwrap();
    let problems = checker::layer_violations(&graph, LAYERS, FORBIDDEN);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with("store/shops.rs: `store::shops` imports `crate::services::shops::provision` — `store` may not depend on `services`"),
        "{}",
        problems[0]
    );
    assert!(problems[0].contains("Why: the database layer"), "the rule's rationale is printed");
    let cycles = checker::cycles(&graph);
    assert!(
        cycles.iter().any(|c| c.contains(&"store::shops".to_owned()) && c.contains(&"services::shops".to_owned())),
        "{cycles:?}"
    );
}

#[test]
fn architecture_checker_reads_use_trees_super_paths_and_macros() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("services")).unwrap();
    std::fs::create_dir_all(src.join("store")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod services; pub mod store; pub mod http;").unwrap();
    std::fs::write(src.join("services/mod.rs"), "pub mod a; pub mod b; pub fn helper() {}").unwrap();
    // A grouped use, a `super` path to a sibling, a path inside a macro, and a comment and a
    // string that mention `crate::http` (which must not count).
    std::fs::write(
        src.join("services/a.rs"),
        "use crate::{store::x, services::b as bee};\n// crate::http::y\nfn f() { super::b::g(); let _ = \"crate::http::z\"; assert!(matches!(1, crate::http::K)); super::helper(); }",
    )
    .unwrap();
    std::fs::write(src.join("services/b.rs"), "pub fn g() { crate::services::a::h(); }").unwrap();
    std::fs::write(src.join("store/x.rs"), "").unwrap();
    std::fs::write(src.join("store/mod.rs"), "pub mod x;").unwrap();
    std::fs::write(src.join("http.rs"), "pub const K: i32 = 1;").unwrap();
    let graph = checker::scan(src).unwrap();
    let from_a: Vec<(&str, &str)> =
        graph.edges.iter().filter(|e| e.from == "services::a").map(|e| (e.to.as_str(), e.import.as_str())).collect();
    assert_eq!(
        from_a,
        vec![
            ("http", "crate::http::K"),
            ("services", "super::helper"),
            ("services::b", "crate::services::b"),
            ("services::b", "super::b::g"),
            ("store::x", "crate::store::x"),
        ]
    );
    let layers = &[Layer { name: "services", may_use: &["store"], why: "test" }];
    let v = checker::layer_violations(&graph, layers, &[]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].contains("`crate::http::K` — `services` may not depend on `http`"), "{}", v[0]);
    // a ↔ b is a cycle; a → services (its parent's prelude) is not.
    assert_eq!(checker::cycles(&graph), vec![vec!["services::a".to_owned(), "services::b".to_owned()]]);
}

#[test]
fn architecture_checker_flags_an_unscoped_store_function() {
    let file = syn::parse_file(
        "pub async fn get(db: &Db, shop_id: ShopId, id: CampaignId) {}\n\
         pub async fn claim_next_all_shops(db: &Db) {}\n\
         pub async fn leak(db: &Db, id: CampaignId) {}\n\
         pub async fn many(db: &Db, shops: &[ShopId]) {}\n\
         async fn private_helper(db: &Db) {}",
    )
    .unwrap();
    assert_eq!(checker::unscoped_store_functions(&file, &[]), vec!["leak".to_owned()]);
}

/// The fuzz targets' copy of the server library (`fuzz/server/Cargo.toml`) compiles
/// `server/src` with its own manifest: a dependency added to the server and not to the copy
/// would break only the fuzz build, and one declared differently would resolve differently and
/// compile its dependents twice. Its `[dependencies]` must be the server's, entry for entry.
#[test]
fn the_fuzz_builds_copy_of_the_server_declares_the_servers_dependencies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the server is one folder below the root");
    let dependencies = |manifest: &str| -> toml::Table {
        let text = std::fs::read_to_string(root.join(manifest)).unwrap_or_else(|e| panic!("{manifest}: {e}"));
        let mut table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{manifest}: {e}"));
        match table.remove("dependencies") {
            Some(toml::Value::Table(deps)) => deps,
            other => panic!("{manifest} has no [dependencies] table: {other:?}"),
        }
    };
    let server = dependencies("server/Cargo.toml");
    let copy = dependencies("fuzz/server/Cargo.toml");
    let names = |t: &toml::Table| t.keys().cloned().collect::<std::collections::BTreeSet<_>>();
    assert_eq!(names(&copy), names(&server), "fuzz/server/Cargo.toml must list the server's dependencies");
    for (name, spec) in &server {
        assert_eq!(&copy[name], spec, "`{name}` is declared differently in fuzz/server/Cargo.toml");
    }
}
