// sparkc allocates many small trees (YAML nodes, JSON values); mimalloc is markedly faster
// than the system allocator on this workload (see the benchmark in README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(sparkc::run(std::env::args_os()));
}
