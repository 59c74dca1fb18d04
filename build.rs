// Migrations are embedded in the binary by `embed_migrations!`; rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
