// The template's own main.rs: api_check replaces it with the learner's snippet. Compiling it
// at install time (python -m grader.apicheck warm) builds itertools into the shared target
// dir, so a learner's first check only compiles the snippet.
use itertools::Itertools;

fn main() {
    let pairs: Vec<(usize, usize)> = (0..4).step_by(2).tuple_windows().collect();
    let parsed: Result<Vec<i32>, _> = ["1", "2"].iter().map(|s| s.parse::<i32>()).map_ok(|n| n * 2).collect();
    println!("{pairs:?} {parsed:?}");
}
