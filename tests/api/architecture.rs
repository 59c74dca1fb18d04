//! The layering `ARCHITECTURE.md` describes, held to the code: every module is placed in a
//! layer, imports nothing from a layer above its own (its own family aside), and no modules
//! import each other through any path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The layers, as `ARCHITECTURE.md` lists them: a module's layer is its first path segment's.
const LAYERS: &[(&str, u32)] = &[
    ("cli", 14),
    ("startup", 13),
    ("routes", 12),
    ("no_nul", 11),
    ("api", 10),
    ("web", 10),
    ("state", 9),
    ("services", 8),
    ("praise", 8),
    ("webhooks", 8),
    ("mail", 8),
    ("scim", 8),
    ("demo", 8),
    ("widgets", 7),
    ("auth", 6),
    ("views", 5),
    ("extract", 5),
    ("pagination", 5),
    ("client", 5),
    ("models", 4),
    ("telemetry", 4),
    ("config", 3),
    ("domain", 2),
    ("error", 1),
    ("schema", 0),
    ("db", 0),
];

/// Every module of `src/` (as `a::b`) and its source, without its unit tests.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap().with_extension("");
                let mut parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if parts.last().is_some_and(|p| p == "mod") {
                    parts.pop();
                }
                let name = parts.join("::");
                if name == "lib" || name == "main" {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let text = match text.find("#[cfg(test)]\nmod tests") {
                    Some(at) => text[..at].to_owned(),
                    None => text,
                };
                out.insert(name, text);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

/// The modules `source` (module `name`) imports: every `crate::a::b…` and `super::…` path,
/// resolved to the longest known module it names (each item of a `{…}` group on its own).
fn imports(name: &str, source: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        (1..=parts.len())
            .rev()
            .map(|n| parts[..n].join("::"))
            .find(|candidate| known.contains(candidate))
    };
    let parent = name.rsplit_once("::").map(|(p, _)| p.to_owned());
    let mut found = BTreeSet::new();
    for (prefix, base) in [("crate::", None), ("super::", parent.clone())] {
        let mut rest = source;
        while let Some(at) = rest.find(prefix) {
            let after = &rest[at + prefix.len()..];
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{'))
                .unwrap_or(after.len());
            let path = &after[..end];
            let full = |p: &str| match &base {
                Some(parent) => format!("{parent}::{p}"),
                None => p.to_owned(),
            };
            if let Some((head, _)) = path.split_once('{') {
                // A group: each item, up to the closing brace.
                let group = &after[head.len() + 1..after.find('}').unwrap_or(after.len())];
                for item in group.split(',') {
                    let item = item.trim().split([' ', ':']).next().unwrap_or("");
                    let path = if item == "self" || item.is_empty() {
                        head.trim_end_matches(':').to_owned()
                    } else {
                        format!("{head}{item}")
                    };
                    found.extend(resolve(&full(&path)));
                }
            } else {
                found.extend(resolve(&full(path.trim_end_matches(':'))));
            }
            rest = &after[end.min(after.len())..];
        }
    }
    found.remove(name);
    found
}

fn layer(module: &str) -> Option<u32> {
    let family = module.split("::").next().unwrap_or(module);
    LAYERS.iter().find(|(f, _)| *f == family).map(|(_, l)| *l)
}

#[test]
fn every_import_goes_down_the_layers_and_none_goes_round() {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    let graph: BTreeMap<String, BTreeSet<String>> = modules
        .iter()
        .map(|(name, source)| (name.clone(), imports(name, source, &known)))
        .collect();
    assert!(graph.len() > 60, "{} modules read", graph.len());
    let mut wrong = Vec::new();
    for (module, deps) in &graph {
        let Some(own) = layer(module) else {
            wrong.push(format!(
                "{module} is in no layer: place it in ARCHITECTURE.md and here"
            ));
            continue;
        };
        for dep in deps {
            let same_family = module.split("::").next() == dep.split("::").next();
            if !same_family && layer(dep).is_none_or(|l| l >= own) {
                wrong.push(format!(
                    "{module} (layer {own}) imports {dep} (layer {:?})",
                    layer(dep)
                ));
            }
        }
    }
    // A cycle: a module that reaches itself.
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = graph[start].iter().collect();
        while let Some(next) = todo.pop() {
            if next == start {
                wrong.push(format!("{start} imports itself through other modules"));
                break;
            }
            if seen.insert(next) {
                todo.extend(graph.get(next).into_iter().flatten());
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
