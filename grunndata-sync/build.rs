//! Rebuild when a migration is added: `sqlx::migrate!` embeds the files it finds at compile
//! time, and cargo does not otherwise notice a new file in these folders.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
