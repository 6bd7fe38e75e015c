//! The shell blocks of the documentation, run as written: README.md, certs/README.md
//! and docs/*.md. A block fenced ```` ```sh test ```` runs; ```` ```sh no-test ```` is
//! left out on purpose (it needs podman, PostgreSQL, Java, or minutes); a shell block
//! with neither tag fails this test, so that no block is skipped by accident.
//!
//! The test blocks of one file run in order in one bash session, from the repository
//! root, with the binary under test on `PATH` and no `JPKI_MOCK_*` variable of the
//! caller's. The comment lines right after a command that start with `#` and three
//! spaces show what it prints (stdout and stderr together): each must appear, in
//! order, where `…` stands for any text and spacing is not compared. A command that
//! shows nothing must exit 0. Every address `127.0.0.1:PORT` is moved to a free port
//! (and `JPKI_MOCK_LISTEN` set to the one for 8080), so that the run never meets a
//! server of the developer's.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The longest a file's blocks may take (the README's first one builds the release
/// binary, minutes on a fresh 2-core machine).
const TIMEOUT_SECONDS: u32 = 1500;

/// One command of a block and the output the document shows for it.
#[derive(Debug)]
struct Step {
    /// Where the command starts in the document (1-based line).
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// A shell block's fate, from its fence's tags.
#[derive(Debug, PartialEq)]
enum Fence {
    Test,
    NoTest,
    NotShell,
}

/// The steps of a document's test blocks, in order; an error names an untagged shell
/// block or an expected output with no command before it.
fn steps_of(name: &str, markdown: &str) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = markdown.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((at, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let fence = fence_of(info).map_err(|e| format!("{name}:{at}: {e}"))?;
        let mut body = Vec::new();
        for (n, line) in lines.by_ref() {
            if line.trim_start().starts_with("```") {
                break;
            }
            body.push((n, line));
        }
        if fence == Fence::Test {
            steps.extend(block_steps(name, &body)?);
        }
    }
    Ok(steps)
}

fn fence_of(info: &str) -> Result<Fence, String> {
    let mut words = info.split_whitespace();
    match words.next() {
        Some("sh" | "bash" | "shell" | "console") => {}
        _ => return Ok(Fence::NotShell),
    }
    match words.next() {
        Some("test") => Ok(Fence::Test),
        Some("no-test") => Ok(Fence::NoTest),
        _ => Err(format!(
            "a shell block must say `test` (run by tests/docs.rs) or `no-test` (left out on \
             purpose) after its language: ```{info}"
        )),
    }
}

fn block_steps(name: &str, body: &[(usize, &str)]) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    // Whether an expected output here belongs to the last command (nothing but its
    // other expected lines came between).
    let mut attached = false;
    let mut pending: Option<(usize, String)> = None;
    for &(n, line) in body {
        if let Some((start, mut command)) = pending.take() {
            command.push('\n');
            command.push_str(line);
            if continues(&command) {
                pending = Some((start, command));
            } else {
                steps.push(Step {
                    line: start,
                    command,
                    expected: Vec::new(),
                });
                attached = true;
            }
        } else if let Some(output) = line.strip_prefix("#   ") {
            match steps.last_mut() {
                Some(step) if attached => step.expected.push(output.to_string()),
                _ => {
                    return Err(format!(
                        "{name}:{n}: an expected output (`#   …`) not right after a command"
                    ))
                }
            }
        } else if line.trim().is_empty() || line.trim_start().starts_with('#') {
            attached = false;
        } else if continues(line) {
            pending = Some((n, line.to_string()));
        } else {
            steps.push(Step {
                line: n,
                command: line.to_string(),
                expected: Vec::new(),
            });
            attached = true;
        }
    }
    match pending {
        Some((start, _)) => Err(format!(
            "{name}:{start}: a command that never ends (an open quote or a final `\\`)"
        )),
        None => Ok(steps),
    }
}

/// Whether a command goes on to the next line: a trailing backslash, or an open quote.
fn continues(command: &str) -> bool {
    let (mut single, mut double, mut escaped) = (false, false, false);
    for c in command.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !single => escaped = true,
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double => break,
            _ => {}
        }
    }
    single || double || command.trim_end().ends_with('\\')
}

/// Spacing removed where it carries no meaning, so that `{"a": 1}` shown in a document
/// matches `{"a":1}` printed, and a line break matches a space.
fn normalized(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(collapsed.len());
    let mut chars = collapsed.chars().peekable();
    while let Some(c) = chars.next() {
        let space_is_noise = c == ' '
            && (out.ends_with([':', ',', '{', '[', '('])
                || matches!(chars.peek(), Some(':' | ',' | '}' | ']' | ')')));
        if !space_is_noise {
            out.push(c);
        }
    }
    out
}

/// Finds each expected line in the output, in order; returns the first one missing.
fn first_missing(expected: &[String], output: &str) -> Option<String> {
    let output = normalized(output);
    let mut from = 0;
    for line in expected {
        // Each piece between wildcards at its first place after the previous one.
        for piece in normalized(line)
            .split('…')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match output[from..].find(piece) {
                Some(at) => from += at + piece.len(),
                None => return Some(line.clone()),
            }
        }
    }
    None
}

/// `127.0.0.1:PORT` addresses in a text: (start of the port, the port).
fn ports_in(text: &str) -> Vec<(usize, &str)> {
    const HOST: &str = "127.0.0.1:";
    text.match_indices(HOST)
        .filter_map(|(at, _)| {
            let start = at + HOST.len();
            let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
            (digits >= 2).then(|| (start, &text[start..start + digits]))
        })
        .collect()
}

/// The ports the steps use, each mapped to a free one; 8080 (the default listen
/// address) always.
fn free_ports(steps: &[Step]) -> BTreeMap<String, String> {
    let mut ports = BTreeMap::new();
    let used: Vec<String> = steps
        .iter()
        .flat_map(|s| std::iter::once(&s.command).chain(&s.expected))
        .flat_map(|text| ports_in(text).into_iter().map(|(_, port)| port.to_string()))
        .collect();
    for port in std::iter::once("8080".to_string()).chain(used) {
        ports.entry(port).or_insert_with(|| {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port().to_string()
        });
    }
    ports
}

fn with_ports(text: &str, ports: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, port) in ports_in(text) {
        out.push_str(&text[copied..start]);
        out.push_str(ports.get(port).map_or(port, String::as_str));
        copied = start + port.len();
    }
    out.push_str(&text[copied..]);
    out
}

/// What went wrong in one step, for the report.
struct Failure {
    line: usize,
    command: String,
    problem: String,
    output: String,
}

/// Runs a document's steps in one bash session from `root`; returns the failures.
fn run_steps(name: &str, steps: &[Step], root: &Path) -> Vec<Failure> {
    let scratch = tempfile::tempdir().unwrap();
    let outputs = scratch.path().join("outputs");
    std::fs::create_dir(&outputs).unwrap();
    let ports = free_ports(steps);
    let mut script = String::from(
        "trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n\
         exec < /dev/null\n",
    );
    for (i, step) in steps.iter().enumerate() {
        let out = outputs.join(i.to_string());
        let _ = write!(
            script,
            "{{\n{}\n}} > '{}' 2>&1\necho $? > '{}.status'\n",
            with_ports(&step.command, &ports),
            out.display(),
            out.display()
        );
    }
    let script_path = scratch.path().join("steps.sh");
    std::fs::write(&script_path, &script).unwrap();
    let bin_dir = Path::new(support::BIN).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut bash = Command::new("timeout");
    support::clear_jpki_env(&mut bash);
    let session = bash
        .args(["--kill-after=10", &TIMEOUT_SECONDS.to_string(), "bash"])
        .arg(&script_path)
        .current_dir(root)
        .env("PATH", path)
        .env("TMPDIR", scratch.path())
        .env("JPKI_MOCK_LISTEN", format!("127.0.0.1:{}", ports["8080"]))
        .output()
        .expect("bash runs");
    let mut failures = Vec::new();
    if session.status.code() == Some(124) {
        failures.push(Failure {
            line: 0,
            command: format!("the blocks of {name}"),
            problem: format!("did not finish within {TIMEOUT_SECONDS} s"),
            output: String::new(),
        });
    }
    for (i, step) in steps.iter().enumerate() {
        let out = outputs.join(i.to_string());
        let (Ok(output), Ok(status)) = (
            std::fs::read(&out),
            std::fs::read_to_string(out.with_extension("status")),
        ) else {
            failures.push(Failure {
                line: step.line,
                command: step.command.clone(),
                problem: "did not run".into(),
                output: String::new(),
            });
            continue;
        };
        let output = String::from_utf8_lossy(&output).into_owned();
        let status = status.trim();
        let expected: Vec<String> = step
            .expected
            .iter()
            .map(|e| with_ports(e, &ports))
            .collect();
        let problem = if expected.is_empty() && status != "0" {
            Some(format!(
                "exited {status}, and the document shows no output for it"
            ))
        } else {
            first_missing(&expected, &output).map(|line| format!("the output lacks `{line}`"))
        };
        if let Some(problem) = problem {
            failures.push(Failure {
                line: step.line,
                command: step.command.clone(),
                problem,
                output,
            });
        }
    }
    failures
}

fn report(name: &str, failures: &[Failure]) -> String {
    let mut text = String::new();
    for f in failures {
        let shown: String = f.output.chars().take(3000).collect();
        let _ = writeln!(
            text,
            "{name}:{}: {}\n  $ {}\n  --- output ---\n{shown}\n  --------------",
            f.line,
            f.problem,
            f.command.replace('\n', "\n    ")
        );
    }
    text
}

/// The documents whose blocks run: README.md, certs/README.md, docs/*.md.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md"), root.join("certs/README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
    }
    files
}

#[test]
fn every_shell_block_is_tagged_and_the_test_blocks_print_what_the_docs_show() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = String::new();
    let mut ran = 0;
    for file in documents(root) {
        let name = file.strip_prefix(root).unwrap().display().to_string();
        let markdown = std::fs::read_to_string(&file).unwrap();
        let steps = match steps_of(&name, &markdown) {
            Ok(steps) => steps,
            Err(e) => {
                let _ = writeln!(problems, "{e}");
                continue;
            }
        };
        ran += steps.len();
        problems.push_str(&report(&name, &run_steps(&name, &steps, root)));
    }
    assert!(problems.is_empty(), "{problems}");
    assert!(ran > 50, "only {ran} documented commands ran");
}

/// The runner itself: a wrong output, a failing command with no output shown, and an
/// untagged block are each reported; a right output, a wildcard and wrapped JSON pass.
#[test]
fn the_block_runner_reports_what_differs() {
    let markdown = r#"
```sh test
printf '{"card_id":1,"fee_yen":0,\n"status":"good"}\n'
#   {"card_id": 1, "fee_yen": …,
#    "status": "good"}
echo one two; echo three
#   one … three
echo "a quote that goes on
to the next line"   # prose
false
echo printed
#   not printed
```

```sh no-test
exit 3
```
"#;
    let steps = steps_of("t.md", markdown).unwrap();
    assert_eq!(steps.len(), 5, "{steps:#?}");
    assert_eq!(steps[2].command.lines().count(), 2);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let failures = run_steps("t.md", &steps, root);
    let found: Vec<(usize, &str)> = failures
        .iter()
        .map(|f| (f.line, f.problem.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (10, "exited 1, and the document shows no output for it"),
            (11, "the output lacks `not printed`"),
        ]
    );
    let untagged = steps_of("u.md", "```sh\nls\n```\n").unwrap_err();
    assert!(
        untagged.contains("u.md:1") && untagged.contains("no-test"),
        "{untagged}"
    );
    let orphan = steps_of("o.md", "```sh test\n#   output\n```\n").unwrap_err();
    assert!(orphan.contains("o.md:2"), "{orphan}");
}
