//! The `livestream` command-line tool (placeholder until the CLI issue).

fn main() {}
