//! The workspace's layout, checked: the invariants ARCHITECTURE.md states about which crate
//! may know what, and that no module imports another that imports it back. Reads the
//! crates' manifests and sources as text; builds nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The pure cores: no I/O, no clock, no runtime.
const CORES: &[&str] = &[
    "acd", "sim", "wfm", "calendar", "ivr", "phone", "media", "events", "tickets", "reports",
];
/// What a core must not reach, directly or through another workspace crate.
const IO: &[&str] = &[
    "tokio",
    "sqlx",
    "axum",
    "tower",
    "tower-http",
    "hyper",
    "rsipstack",
    "socket2",
    "store",
    "telephony",
    "app",
    "server",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each workspace crate's normal dependencies (not dev-, build- or optional ones: an
/// optional one is a feature another crate may turn on, checked where it does).
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let Ok(text) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let manifest: toml::Table = text.parse().unwrap();
        let name = manifest["package"]["name"].as_str().unwrap().to_string();
        let deps = manifest
            .get("dependencies")
            .and_then(|d| d.as_table())
            .map(|t| {
                t.iter()
                    .filter(|(_, v)| v.get("optional").and_then(|o| o.as_bool()) != Some(true))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        out.insert(name, deps);
    }
    out
}

/// Everything `krate` depends on through workspace crates, itself excluded.
fn reach(deps: &BTreeMap<String, BTreeSet<String>>, krate: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![krate.to_string()];
    while let Some(k) = todo.pop() {
        for d in deps.get(&k).into_iter().flatten() {
            if seen.insert(d.clone()) {
                todo.push(d.clone());
            }
        }
    }
    seen
}

#[test]
fn cores_know_nothing_of_io() {
    let deps = dependencies();
    for core in CORES {
        assert!(deps.contains_key(*core), "no crate `{core}`");
        let bad: Vec<_> = reach(&deps, core)
            .into_iter()
            .filter(|d| IO.contains(&d.as_str()))
            .collect();
        assert!(bad.is_empty(), "the core `{core}` reaches {bad:?}");
    }
}

#[test]
fn each_outside_world_has_one_door() {
    let deps = dependencies();
    let users = |dep: &str| -> Vec<&str> {
        deps.iter()
            .filter(|(_, d)| d.contains(dep))
            .map(|(k, _)| k.as_str())
            .collect()
    };
    // Only the store knows SQL.
    assert_eq!(users("sqlx"), ["store"]);
    // HTTP: the edge, and the benches that drive it in process.
    assert_eq!(users("axum"), ["bench", "server"]);
    // SIP: telephony alone.
    assert_eq!(users("rsipstack"), ["telephony"]);
    // The running center knows no HTTP and no wire types.
    let app = reach(&deps, "app");
    for edge in ["axum", "utoipa", "server", "tower-http"] {
        assert!(!app.contains(edge), "app reaches {edge}");
    }
}

/// The running center lives in `app`: `server` owns no engine, runs no center task and is
/// not telephony's application.
#[test]
fn server_holds_no_center() {
    let src = root().join("crates/server/src");
    for (path, text) in sources(&src) {
        for forbidden in [
            "Acd::new",
            "acd::Acd",
            "impl telephony::App",
            "mpsc::channel",
        ] {
            assert!(
                !code(&text).contains(forbidden),
                "{}: `{forbidden}` belongs in crates/app",
                path.display()
            );
        }
    }
}

/// No module imports another that imports it back, in any crate: the crate's modules
/// (`src/x.rs`, `src/x/`) and one level into a module directory (`src/x/y.rs`).
#[test]
fn no_import_cycles() {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let src = entry.unwrap().path().join("src");
        if src.is_dir() {
            for cycle in cycles(&src) {
                found.push(format!("{}: {}", src.display(), cycle.join(" → ")));
            }
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

/// And the check sees a cycle when there is one.
#[test]
fn a_cycle_is_found() {
    let dir = std::env::temp_dir().join(format!("hotline-layout-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("api")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod api; mod center;").unwrap();
    std::fs::write(dir.join("center.rs"), "use crate::api::config::QueueInput;").unwrap();
    std::fs::write(dir.join("api/mod.rs"), "pub mod config;").unwrap();
    std::fs::write(dir.join("api/config.rs"), "use crate::center::{Center, x};").unwrap();
    // Siblings in a directory, one naming the other through `super::`.
    std::fs::write(dir.join("api/floor.rs"), "use super::settings::Threshold;").unwrap();
    std::fs::write(dir.join("api/settings.rs"), "use crate::api::floor::View;").unwrap();
    let found = cycles(&dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(found.len(), 2, "{found:?}");
}

/// The code map names every crate.
#[test]
fn the_code_map_names_every_crate() {
    let map = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    for name in dependencies().keys() {
        assert!(
            map.contains(&format!("`crates/{name}`")),
            "ARCHITECTURE.md has no entry for crates/{name}"
        );
    }
}

fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// The source without comments (doc links name modules without importing them).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module a file belongs to: `center`, `api::config`; `None` for the crate root.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    match parts.as_slice() {
        [root] if root == "lib" || root == "main" => None,
        [m] => Some(m.clone()),
        [dir, m, ..] if m == "mod" => Some(dir.clone()),
        [dir, m, ..] => Some(format!("{dir}::{m}")),
        [] => None,
    }
}

/// The modules `text` names by `crate::` paths, at the same depth as the modules known;
/// in a module of a directory (`dir`), also its siblings named by `super::` paths.
fn references(text: &str, known: &BTreeSet<String>, dir: Option<&str>) -> BTreeSet<String> {
    let code = code(text);
    let mut out = BTreeSet::new();
    if let Some(dir) = dir {
        for part in code.split("super::").skip(1) {
            let name: String = part
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let sibling = format!("{dir}::{name}");
            if known.contains(&sibling) {
                out.insert(sibling);
            }
        }
    }
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        // `crate::a::b`, or a group `crate::{a::b, c}`.
        let paths: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            group[..end]
                .split(',')
                .map(|p| p.trim().to_string())
                .collect()
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            vec![rest[..end].to_string()]
        };
        for p in paths {
            let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
            if segs.len() >= 2 && known.contains(&format!("{}::{}", segs[0], segs[1])) {
                out.insert(format!("{}::{}", segs[0], segs[1]));
            } else if let Some(first) = segs.first()
                && known.contains(*first)
            {
                out.insert((*first).to_string());
            }
        }
    }
    out
}

/// The cycles among a crate's modules, each as the modules in it.
fn cycles(src: &Path) -> Vec<Vec<String>> {
    let files = sources(src);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|(p, _)| module_of(src, p))
        .collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &files {
        let Some(from) = module_of(src, path) else {
            continue;
        };
        let parent = from.split("::").next().unwrap_or_default().to_string();
        let dir = from.contains("::").then_some(parent.as_str());
        for to in references(text, &modules, dir) {
            // A module and its own directory's modules are one family, not a cycle.
            let to_parent = to.split("::").next().unwrap_or_default();
            if to != from && to != parent && from != to_parent {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Strongly connected components of more than one module (Tarjan).
    struct Tarjan<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        found: Vec<Vec<String>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: &str) {
            let i = self.index.len();
            self.index.insert(v.to_string(), i);
            self.low.insert(v.to_string(), i);
            self.stack.push(v.to_string());
            for w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut scc = Vec::new();
                while let Some(w) = self.stack.pop() {
                    let done = w == v;
                    scc.push(w);
                    if done {
                        break;
                    }
                }
                if scc.len() > 1 {
                    scc.sort();
                    self.found.push(scc);
                }
            }
        }
    }
    let mut t = Tarjan {
        edges: &edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for m in &modules {
        if !t.index.contains_key(m) {
            t.visit(m);
        }
    }
    t.found
}
