//! Runs the JSON Lines protocol of `pattern::run_jsonl` on stdin/stdout.

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    pattern::run_jsonl(stdin.lock(), std::io::BufWriter::new(stdout.lock()))
}
