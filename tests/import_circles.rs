//! No import circles in src/: the module graph, built from every `use` and every path
//! that names a module (`crate::`, `super::`, a child module), re-exports followed to the
//! module that defines the item, must be acyclic, so that each file can be read knowing
//! only those beneath it (docs/layout.md). Test code (`#[cfg(test)]`) is left out.

use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use syn::visit::{self, Visit};

/// A module path, `["scenario", "check"]`; the crate root is empty.
type Module = Vec<String>;

/// Modules of the source tree at `root`, one per file (lib.rs and main.rs are the root).
fn modules(root: &Path) -> BTreeMap<Module, Vec<syn::Item>> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let mut module: Module = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                module.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            // lib.rs and main.rs both map to the root: merge their items.
            found.entry(module).or_insert_with(Vec::new).extend(file.items);
        }
    }
    found
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test"))
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        Fn(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        Type(i) => &i.attrs,
        Use(i) => &i.attrs,
        Macro(i) => &i.attrs,
        _ => &[],
    }
}

/// Every path of a use tree, `a::{b, c::d as e}` → `[a, b]`, `[a, c, d]` (with the
/// name it is known by).
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push((path, n.ident.to_string()));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            path.push(r.ident.to_string());
            out.push((path, r.rename.to_string()));
        }
        syn::UseTree::Glob(_) => out.push((prefix.clone(), "*".into())),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_paths(t, prefix, out)),
    }
}

/// What one module names: its imports, its re-exports, and the paths in its code.
#[derive(Default)]
struct Names {
    imports: Vec<Vec<String>>,
    reexports: Vec<(Vec<String>, String)>,
    paths: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if !is_test_only(item_attrs(item)) {
            visit::visit_item(self, item);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let mut found = Vec::new();
        use_paths(&u.tree, &mut Vec::new(), &mut found);
        if matches!(u.vis, syn::Visibility::Inherited) {
            self.imports.extend(found.into_iter().map(|(path, _)| path));
        } else {
            self.reexports.extend(found);
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        if p.segments.len() > 1 {
            self.paths.push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        visit::visit_path(self, p);
    }

    /// Macro arguments are tokens, not syntax: take every `a::b::c` among them.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        fn scan(tokens: TokenStream, paths: &mut Vec<Vec<String>>) {
            let mut current: Vec<String> = Vec::new();
            let mut colons = 0;
            fn flush(current: &mut Vec<String>, paths: &mut Vec<Vec<String>>) {
                if current.len() > 1 {
                    paths.push(std::mem::take(current));
                }
                current.clear();
            }
            for token in tokens {
                match token {
                    TokenTree::Ident(i) if current.is_empty() || colons == 2 => {
                        current.push(i.to_string());
                        colons = 0;
                    }
                    TokenTree::Punct(p) if p.as_char() == ':' && !current.is_empty() && colons < 2 => colons += 1,
                    TokenTree::Group(g) => {
                        flush(&mut current, paths);
                        scan(g.stream(), paths);
                    }
                    TokenTree::Ident(i) => {
                        flush(&mut current, paths);
                        current.push(i.to_string());
                        colons = 0;
                    }
                    _ => {
                        flush(&mut current, paths);
                        colons = 0;
                    }
                }
            }
            flush(&mut current, paths);
        }
        scan(m.tokens.clone(), &mut self.paths);
        visit::visit_macro(self, m);
    }
}

struct Graph {
    modules: BTreeSet<Module>,
    /// (module, name) → the path it re-exports, as written there.
    reexports: BTreeMap<(Module, String), Vec<String>>,
}

impl Graph {
    /// The module a path written in `current` leads to: the longest module prefix, through
    /// re-exports to where the item is defined; None for paths outside the crate.
    fn resolve(&self, current: &Module, path: &[String], depth: u32) -> Option<Module> {
        let (mut base, rest): (Module, &[String]) = match path.first().map(String::as_str) {
            Some("crate") => (Vec::new(), &path[1..]),
            Some("super") => {
                let ups = path.iter().take_while(|s| *s == "super").count();
                (current[..current.len().saturating_sub(ups)].to_vec(), &path[ups..])
            }
            Some("self") => (current.clone(), &path[1..]),
            Some(first) => {
                let mut child = current.clone();
                child.push(first.to_string());
                if !self.modules.contains(&child) {
                    return None;
                }
                (current.clone(), path)
            }
            None => return None,
        };
        let mut best = None;
        for (i, segment) in std::iter::once(None).chain(rest.iter().map(Some)).enumerate() {
            if let Some(s) = segment {
                base.push(s.clone());
            }
            if self.modules.contains(&base) {
                best = Some((base.clone(), i));
            }
        }
        let (module, taken) = best?;
        if let Some(target) = rest.get(taken).and_then(|name| self.reexports.get(&(module.clone(), name.clone())))
            && depth < 5
            && let Some(t) = self.resolve(&module, target, depth + 1)
        {
            return Some(t);
        }
        Some(module)
    }
}

/// The import circles of the source tree at `root`: each a sorted list of modules.
fn circles(root: &Path) -> Vec<Vec<String>> {
    let files = modules(root);
    let names: BTreeMap<Module, Names> = files
        .iter()
        .map(|(m, items)| {
            let mut n = Names::default();
            items.iter().for_each(|item| n.visit_item(item));
            (m.clone(), n)
        })
        .collect();
    let mut reexports = BTreeMap::new();
    for (m, n) in &names {
        for (path, name) in &n.reexports {
            let mut full = path.clone();
            if !matches!(full[0].as_str(), "crate" | "super" | "self") {
                full.insert(0, "self".into());
            }
            reexports.insert((m.clone(), name.clone()), full);
        }
    }
    let graph = Graph { modules: files.keys().cloned().collect(), reexports };
    let edges: BTreeMap<Module, BTreeSet<Module>> = names
        .iter()
        .map(|(m, n)| {
            let targets = n.imports.iter().chain(&n.paths).filter_map(|p| graph.resolve(m, p, 0));
            (m.clone(), targets.filter(|t| t != m).collect())
        })
        .collect();
    strongly_connected(&edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut named: Vec<String> =
                c.iter().map(|m| if m.is_empty() { "crate".into() } else { m.join("::") }).collect();
            named.sort();
            named
        })
        .collect()
}

/// Tarjan's strongly connected components.
fn strongly_connected(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        for w in &s.edges[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let at = s.stack.iter().rposition(|m| *m == v).unwrap();
            s.found.push(s.stack.split_off(at).into_iter().cloned().collect());
        }
    }
    let mut s = State { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn src_has_no_import_circles() {
    let found = circles(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(found.is_empty(), "import circles in src/: {found:?}");
}

/// The detector itself: a parent that uses its child's item while the child uses the
/// parent's (through a re-export and through a macro) is a circle; a facade that only
/// re-exports is not.
#[test]
fn a_circle_through_a_parent_is_found() {
    let dir = std::env::temp_dir().join(format!("poolsim-circles-{}", std::process::id()));
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("lib.rs", "mod a;\nmod facade;\n");
    write("a/mod.rs", "mod b;\nmod c;\npub use c::Helper;\npub struct Top;\nfn f() { b::g(); }\n");
    write("a/b.rs", "pub fn g() { let _ = format!(\"{:?}\", super::Top); }\n");
    write("a/c.rs", "pub struct Helper;\n");
    write("facade/mod.rs", "mod x;\nmod y;\npub use x::X;\n");
    write("facade/x.rs", "pub struct X;\n");
    write("facade/y.rs", "use super::X;\n#[cfg(test)]\nmod test { use crate::facade::y; }\n");
    let found = circles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found, vec![vec!["a".to_string(), "a::b".to_string()]]);
}
