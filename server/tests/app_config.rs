//! `shopify.app.toml` and the server agree: every topic the server handles is subscribed and
//! every subscribed topic is handled, the API version, the app proxy and the scopes are the
//! server's own, and the checked-in file is exactly what `reelproof shopify-config` prints for
//! the example deployment.

use server::shopify::admin_api::API_VERSION;
use server::shopify::app_config::{self, EXAMPLE_API_KEY, EXAMPLE_PUBLIC_URL};
use server::shopify::webhooks::Topic;
use std::collections::BTreeSet;
use std::path::Path;

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the server is one folder below the root")
}

fn checked_in() -> String {
    std::fs::read_to_string(repo_root().join("shopify.app.toml")).expect("shopify.app.toml at the repository root")
}

fn strings(v: &toml::Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(|s| s.as_str().expect("a string").to_owned()).collect()
}

#[test]
fn app_config_matches_what_the_server_handles() {
    let t: toml::Table = checked_in().parse().expect("valid TOML");
    let subs = t["webhooks"]["subscriptions"].as_array().expect("[[webhooks.subscriptions]]");
    let mut declared = BTreeSet::new();
    let mut compliance = BTreeSet::new();
    for s in subs {
        assert!(s["uri"].as_str().unwrap().ends_with("/webhooks/shopify"), "every topic goes to the one endpoint");
        if let Some(topics) = s.get("topics") {
            declared.extend(strings(topics));
        }
        if let Some(topics) = s.get("compliance_topics") {
            compliance.extend(strings(topics));
        }
    }
    for topic in declared.iter().chain(&compliance) {
        assert!(Topic::parse(topic).is_some(), "{topic} is declared but /webhooks/shopify has no handler for it");
    }
    for topic in Topic::ALL {
        let set = if topic.is_compliance() { &compliance } else { &declared };
        assert!(set.contains(topic.as_str()), "{} is handled but not subscribed in shopify.app.toml", topic.as_str());
    }
    assert!(declared.contains("shop/update"), "the shop's facts are kept current");
    assert_eq!(
        compliance,
        ["customers/data_request", "customers/redact", "shop/redact"].map(str::to_owned).into_iter().collect()
    );
    assert_eq!(t["webhooks"]["api_version"].as_str(), Some(API_VERSION), "one API version");
    assert_eq!(t["app_proxy"]["subpath"].as_str(), Some(app_config::PROXY_SUBPATH));
    assert_eq!(t["app_proxy"]["prefix"].as_str(), Some(app_config::PROXY_PREFIX));
    assert!(t["app_proxy"]["url"].as_str().unwrap().ends_with("/proxy"), "the proxy reaches /proxy/*");
    let scopes: Vec<&str> = t["access_scopes"]["scopes"].as_str().unwrap().split(',').collect();
    assert_eq!(scopes, app_config::SCOPES);
    assert_eq!(t["embedded"].as_bool(), Some(true));
    assert_eq!(t["access_scopes"]["use_legacy_install_flow"].as_bool(), Some(false), "Shopify-managed install");
    // Every extension folder holds its TOML; a `dir/*` pattern names folders of extensions.
    let mut extensions = Vec::new();
    for d in strings(&t["extension_directories"]) {
        match d.strip_suffix("/*") {
            Some(parent) => {
                for e in std::fs::read_dir(repo_root().join(parent)).expect("the extensions folder") {
                    extensions.push(e.unwrap().path().join("shopify.extension.toml"));
                }
            }
            None => extensions.push(repo_root().join(&d).join("shopify.extension.toml")),
        }
    }
    assert!(extensions.iter().all(|e| e.is_file()), "{extensions:?}");
    let flow = extensions
        .iter()
        .map(|e| std::fs::read_to_string(e).unwrap().parse::<toml::Table>().expect("extension TOML parses"))
        .filter_map(|t| t.get("extensions").and_then(|x| x.as_array()).and_then(|x| x.first()).cloned())
        .find(|e| e["type"].as_str() == Some("flow_trigger"))
        .expect("a Flow trigger extension");
    assert_eq!(flow["handle"].as_str(), Some(server::services::flow::SUBMITTED_HANDLE), "the handle the server fires");
}

#[test]
fn the_checked_in_app_config_is_the_commands_output_for_the_example_deployment() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reelproof"))
        .args(["shopify-config", "--public-url", EXAMPLE_PUBLIC_URL, "--api-key", EXAMPLE_API_KEY])
        .env_remove("REELPROOF_PUBLIC_URL")
        .env_remove("SHOPIFY_API_KEY")
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(
        printed == checked_in(),
        "shopify.app.toml is stale; regenerate it:\n  cargo run -p server --bin reelproof -- shopify-config --public-url {EXAMPLE_PUBLIC_URL} --api-key {EXAMPLE_API_KEY} > shopify.app.toml"
    );
}

#[test]
fn a_deployment_with_a_bad_url_or_key_is_refused_with_a_reason() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reelproof"))
        .args(["shopify-config", "--public-url", "http://shop.example.com", "--api-key", EXAMPLE_API_KEY])
        .output()
        .expect("the binary runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must be https://"), "{err}");
}
