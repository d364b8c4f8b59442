//! Reads a source tree's module imports and checks them against the layering rules.
//!
//! Every `.rs` file under the source folder is one module (`store/shops.rs` is
//! `store::shops`, `lib.rs` and `main.rs` the crate root). Every path that names a module of
//! the crate — in `use` trees, in expressions and types, and inside macro calls — is an
//! import: `crate::…`, `super::…`, `self::…`, or a child module's name. syn parses the files,
//! so comments and strings never count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// One layer (a top-level module of the crate) and what it may import.
pub struct Layer {
    pub name: &'static str,
    pub may_use: &'static [&'static str],
    /// The one-line rationale, printed with every violation.
    pub why: &'static str,
}

/// A module a layer must not import although it may use the module's layer.
pub struct Forbidden {
    pub from: &'static str,
    pub to: &'static str,
    pub why: &'static str,
}

/// One import of one module by another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// The importing module, e.g. `services::media`.
    pub from: String,
    /// The imported module, e.g. `store::media_assets`.
    pub to: String,
    /// The file the import is written in, relative to the source folder.
    pub file: String,
    /// The path as written after resolution, e.g. `crate::store::media_assets::get`.
    pub import: String,
}

/// The crate's modules and the imports between them.
#[derive(Debug, Default)]
pub struct Graph {
    /// Module path → file (relative to the source folder).
    pub modules: BTreeMap<String, String>,
    pub edges: Vec<Edge>,
}

/// The name the crate root goes by in rules and messages.
pub const ROOT: &str = "crate";

fn module_path_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && !(parts.is_empty() && (stem == "lib" || stem == "main")) {
        parts.push(stem.to_owned());
    }
    if parts.is_empty() { ROOT.to_owned() } else { parts.join("::") }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every `.rs` file under `src` and collects the imports between the crate's modules.
pub fn scan(src: &Path) -> Result<Graph, String> {
    let mut files = Vec::new();
    rust_files(src, &mut files).map_err(|e| format!("reading {}: {e}", src.display()))?;
    files.sort();
    let mut graph = Graph::default();
    let mut parsed = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(src).expect("under src").to_owned();
        let text = std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let file = syn::parse_file(&text).map_err(|e| format!("parsing {}: {e}", rel.display()))?;
        let module = module_path_of(&rel);
        graph.modules.insert(module.clone(), rel.display().to_string());
        parsed.push((module, rel.display().to_string(), file));
    }
    let known: BTreeSet<String> = graph.modules.keys().cloned().collect();
    for (module, rel, file) in &parsed {
        let mut v = Collector {
            known: &known,
            file_module: module,
            inline: Vec::new(),
            aliases: BTreeMap::new(),
            paths: Vec::new(),
        };
        v.visit_file(file);
        let mut seen = BTreeSet::new();
        for (segments, written) in v.paths {
            let Some(target) = longest_module(&known, &segments) else { continue };
            if &target == module || !seen.insert((target.clone(), written.clone())) {
                continue;
            }
            graph.edges.push(Edge { from: module.clone(), to: target, file: rel.clone(), import: written });
        }
    }
    graph.edges.sort();
    Ok(graph)
}

/// The longest prefix of `segments` that names a module (`ROOT` for none but the crate).
fn longest_module(known: &BTreeSet<String>, segments: &[String]) -> Option<String> {
    (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|p| known.contains(p))
}

struct Collector<'a> {
    known: &'a BTreeSet<String>,
    /// The module of the file being read.
    file_module: &'a str,
    /// Inline modules (`mod tests { … }`) entered inside the file.
    inline: Vec<String>,
    /// Names bound by `use` to something of this crate (`use crate::store;` binds `store`).
    aliases: BTreeMap<String, Vec<String>>,
    /// Absolute module segments of each crate path, with the path as written.
    paths: Vec<(Vec<String>, String)>,
}

impl Collector<'_> {
    /// The current module as segments (the crate root is empty).
    fn here(&self) -> Vec<String> {
        let mut s: Vec<String> = if self.file_module == ROOT {
            Vec::new()
        } else {
            self.file_module.split("::").map(str::to_owned).collect()
        };
        s.extend(self.inline.iter().cloned());
        s
    }

    /// Turns a written path into absolute segments when it names something in this crate;
    /// returns them.
    fn resolve(&mut self, written: &[String]) -> Option<Vec<String>> {
        let first = written.first()?;
        let mut abs = self.here();
        let rest: &[String] = match first.as_str() {
            "crate" => {
                abs.clear();
                &written[1..]
            }
            "self" => &written[1..],
            "super" => {
                let mut rest = written;
                while rest.first().is_some_and(|s| s == "super") {
                    abs.pop();
                    rest = &rest[1..];
                }
                rest
            }
            _ => {
                if let Some(target) = self.aliases.get(first) {
                    // A name brought in by `use` (`store::shops::get` after `use crate::store;`).
                    abs = target.clone();
                    &written[1..]
                } else {
                    // A child module named without `self::` (`media::enqueue` in `services/mod.rs`).
                    let mut child = abs.clone();
                    child.push(first.clone());
                    if !self.known.contains(&child.join("::")) {
                        return None;
                    }
                    written
                }
            }
        };
        abs.extend(rest.iter().cloned());
        if abs.is_empty() {
            return None;
        }
        self.paths.push((abs.clone(), written.join("::")));
        Some(abs)
    }

    /// `use prefix::item as name;`: records the import and what `name` stands for from now on.
    fn bind(&mut self, prefix: &mut Vec<String>, item: &syn::Ident, name: &syn::Ident) {
        prefix.push(item.to_string());
        let p = prefix.clone();
        if let Some(abs) = self.resolve(&p) {
            self.aliases.insert(name.to_string(), abs);
        }
        prefix.pop();
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.bind(prefix, &n.ident, &n.ident),
            syn::UseTree::Rename(r) => self.bind(prefix, &r.ident, &r.rename),
            syn::UseTree::Glob(_) => {
                let p = prefix.clone();
                self.resolve(&p);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    /// Paths inside a macro call's tokens (`matches!(e, super::live::Next::Closed)`).
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let trees: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                proc_macro2::TokenTree::Ident(id) if ["crate", "super", "self"].contains(&id.to_string().as_str()) => {
                    let mut path = vec![id.to_string()];
                    let mut j = i + 1;
                    loop {
                        let colons = matches!((trees.get(j), trees.get(j + 1)),
                            (Some(proc_macro2::TokenTree::Punct(a)), Some(proc_macro2::TokenTree::Punct(b)))
                                if a.as_char() == ':' && b.as_char() == ':');
                        match (colons, trees.get(j + 2)) {
                            (true, Some(proc_macro2::TokenTree::Ident(next))) => {
                                path.push(next.to_string());
                                j += 3;
                            }
                            _ => break,
                        }
                    }
                    if path.len() > 1 {
                        let _ = self.resolve(&path);
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let written: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        let _ = self.resolve(&written);
        syn::visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
        syn::visit::visit_macro(self, m);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() {
            self.inline.push(m.ident.to_string());
            syn::visit::visit_item_mod(self, m);
            self.inline.pop();
        }
    }
}

/// The layer a module belongs to: its first segment.
pub fn layer_of(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// Every import that breaks a layer rule, as a sentence naming the file and the import.
pub fn layer_violations(graph: &Graph, layers: &[Layer], forbidden: &[Forbidden]) -> Vec<String> {
    let mut out = Vec::new();
    for e in &graph.edges {
        let (from, to) = (layer_of(&e.from), layer_of(&e.to));
        if from == to || from == ROOT {
            continue;
        }
        match layers.iter().find(|l| l.name == from) {
            None => out.push(format!(
                "{}: module `{}` is in no layer; add `{from}` to the architecture rules with its rationale",
                e.file, e.from
            )),
            Some(l) if !l.may_use.contains(&to) => out.push(format!(
                "{}: `{}` imports `{}` — `{from}` may not depend on `{to}` (may use: {}). Why: {}",
                e.file,
                e.from,
                e.import,
                if l.may_use.is_empty() { "nothing of the crate".to_owned() } else { l.may_use.join(", ") },
                l.why
            )),
            Some(_) => {}
        }
        for f in forbidden {
            if from == f.from && (e.to == f.to || e.to.starts_with(&format!("{}::", f.to))) {
                out.push(format!(
                    "{}: `{}` imports `{}` — `{from}` may not use `{}`. Why: {}",
                    e.file, e.from, e.import, f.to, f.why
                ));
            }
        }
    }
    out
}

/// Every cycle among modules, as the list of its modules. An import of a module's own
/// ancestor (`super::ctx` in `graphql/admin/campaigns.rs`) does not count: a `mod.rs` is the
/// shared prelude of its children, which it assembles.
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let nodes: Vec<&String> = graph.modules.keys().collect();
    let index: BTreeMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let mut adj = vec![BTreeSet::new(); nodes.len()];
    for e in &graph.edges {
        let is_ancestor = e.to == ROOT || e.from.starts_with(&format!("{}::", e.to));
        if is_ancestor {
            continue;
        }
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            adj[a].insert(b);
        }
    }
    // Tarjan's strongly connected components.
    struct T<'a> {
        adj: &'a [BTreeSet<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(t: &mut T<'_>, v: usize) {
        t.index[v] = Some(t.next);
        t.low[v] = t.next;
        t.next += 1;
        t.stack.push(v);
        t.on[v] = true;
        for &w in t.adj[v].iter() {
            match t.index[w] {
                None => {
                    visit(t, w);
                    t.low[v] = t.low[v].min(t.low[w]);
                }
                Some(iw) if t.on[w] => t.low[v] = t.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(t.low[v]) == t.index[v] {
            let mut scc = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on[w] = false;
                scc.push(w);
                if w == v {
                    break;
                }
            }
            if scc.len() > 1 {
                t.out.push(scc);
            }
        }
    }
    let n = nodes.len();
    let mut t = T {
        adj: &adj,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if t.index[v].is_none() {
            visit(&mut t, v);
        }
    }
    let mut out: Vec<Vec<String>> = t
        .out
        .into_iter()
        .map(|scc| {
            let mut names: Vec<String> = scc.into_iter().map(|i| nodes[i].clone()).collect();
            names.sort();
            names
        })
        .collect();
    out.sort();
    out
}

/// The imports that close a cycle, for the message: every edge between two of its modules.
pub fn cycle_edges<'g>(graph: &'g Graph, cycle: &[String]) -> Vec<&'g Edge> {
    graph.edges.iter().filter(|e| cycle.contains(&e.from) && cycle.contains(&e.to)).collect()
}

/// Public functions of a store module that neither take a `ShopId` nor say `_all_shops`.
pub fn unscoped_store_functions(file: &syn::File, allowed: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for item in &file.items {
        let syn::Item::Fn(f) = item else { continue };
        if !matches!(f.vis, syn::Visibility::Public(_)) {
            continue;
        }
        let name = f.sig.ident.to_string();
        if name.contains("_all_shops") || allowed.contains(&name.as_str()) {
            continue;
        }
        let takes_shop = f.sig.inputs.iter().any(|arg| match arg {
            syn::FnArg::Typed(t) => mentions(&t.ty, "ShopId"),
            syn::FnArg::Receiver(_) => false,
        });
        if !takes_shop {
            out.push(name);
        }
    }
    out
}

/// Whether a type names `ident` anywhere (`ShopId`, `&[ShopId]`, `Option<ShopId>`).
fn mentions(ty: &syn::Type, ident: &str) -> bool {
    struct Find<'a>(&'a str, bool);
    impl<'ast> Visit<'ast> for Find<'_> {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if i == self.0 {
                self.1 = true;
            }
        }
    }
    let mut f = Find(ident, false);
    f.visit_type(ty);
    f.1
}
