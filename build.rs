// Migrations are embedded in the binary by `embed_migrations!`; rebuild when they change.
// The public pages' message catalogues (`locales/*.ftl`) are embedded the same way: this
// lists every file there, so adding a language is adding one file.
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=locales");
    let dir = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("locales");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("locales/ holds the message catalogues")
        .map(|entry| entry.expect("a readable locales/ entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    let mut out =
        String::from("/// Every catalogue in `locales/`: (language tag, Fluent source).\n");
    out.push_str("pub const CATALOGUES: &[(&str, &str)] = &[\n");
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let tag = path
            .file_stem()
            .unwrap()
            .to_str()
            .expect("a UTF-8 file name");
        writeln!(
            out,
            "    ({tag:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let target = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalogues.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
