//! The architecture check: every module of the crate imports only in the dependency
//! direction that the README's "Architecture" section documents.
//!
//! It reads `src/**/*.rs` as text (std only, no parser crate): comments, literals and
//! `#[cfg(test)]` items are set aside, then every `crate::X` path counts as module X,
//! whether in a `use` (grouped or not) or inline in code.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Who may import whom. Mirrors the README's "Architecture" section: change both together.
const ARCHITECTURE: Architecture = Architecture {
    uses: &[
        ("cli", &["config", "http", "authority", "export"]),
        // testca sits at the top beside cli: neither imports the other.
        ("testca", &["http", "ocsp", "authority", "export", "config"]),
        ("http", &["authority", "ocsp"]),
        ("export", &["authority", "ocsp"]),
        ("ocsp", &["authority", "pki"]),
        ("authority", &["rules", "pki", "issuer", "store", "clock"]),
        ("issuer", &["pki"]),
        ("pki", &["rules"]),
        ("store", &["rules"]),
        ("clock", &["rules"]),
        ("rules", &[]),
        // The shared leaves: besides each other, only these.
        ("error", &["pki", "rules"]),
        ("config", &["pki", "rules"]),
        ("faults", &["pki", "rules"]),
    ],
    shared_leaves: &["error", "config", "faults"],
    pure: &["rules"],
    // The root's entry point into `cli` (the modules themselves are private).
    binary_uses: &["run_cli"],
};

struct Architecture {
    /// Each module with the modules it may use directly. Uses are transitive: a module
    /// may also use whatever those may use.
    uses: &'static [(&'static str, &'static [&'static str])],
    /// Modules that every module but the pure ones may use. Not followed transitively:
    /// `store` using `config` does not let it use `pki`.
    shared_leaves: &'static [&'static str],
    /// Modules that import nothing from the crate, not even the shared leaves.
    pure: &'static [&'static str],
    /// All that `src/main.rs` may use from the library (not transitively).
    binary_uses: &'static [&'static str],
}

#[test]
fn modules_import_in_the_documented_direction() {
    let found = violations(&crate_sources());
    assert!(
        found.is_empty(),
        "{} import(s) against the README's \"Architecture\" section \
         (ARCHITECTURE in tests/architecture.rs):\n{}\n",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_check_reports_exactly_the_bad_imports_of_a_fake_crate() {
    let fake = [
        ("src/lib.rs", "pub mod rules;\npub use error::{Error, Result};\n"),
        (
            "src/rules/mod.rs",
            concat!(
                "//! Nothing from crate::http here.\n",
                "use crate::error::Result;\n",
                "/// Not [`crate::cli`] either.\n",
                "fn f() -> crate::Result<()> {\n",
                "    let _ = ('\"', \"crate::cli\", r#\"a \"crate::cli\" b\"#, crate::rules::x);\n",
                "    /* crate::cli /* nested */ crate::cli */ Ok(())\n",
                "}\n",
            ),
        ),
        (
            "src/http/mod.rs",
            concat!(
                "use crate::authority::Authority;\n",
                "use crate::issuer::Issuer;\n",
                "\n",
                "fn serial<'a>(x: &'a str) -> Serial {\n",
                "    crate::cli::parse_serial(x)\n",
                "}\n",
            ),
        ),
        (
            "src/issuer.rs",
            "use crate::{\n    pki::x,\n    store::y,\n};\n",
        ),
        (
            "src/pki/mod.rs",
            "use crate::rules::CertKind;\n\n#[cfg(test)]\nmod tests {\n    use crate::issuer::z;\n}\n",
        ),
        (
            "src/main.rs",
            "fn main() {\n    jpki_mock::run_cli(jpki_mock::http::PORT);\n}\n",
        ),
        ("src/newmod.rs", "use crate::rules::x;\n"),
    ];
    let fake: Vec<(String, String)> = fake
        .iter()
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect();

    assert_eq!(
        violations(&fake),
        [
            "src/rules/mod.rs:2: module rules imports error (rules may use: nothing)",
            "src/rules/mod.rs:4: module rules imports error (rules may use: nothing)",
            "src/http/mod.rs:5: module http imports cli (http may use: authority, clock, \
             config, error, faults, issuer, ocsp, pki, rules, store)",
            "src/issuer.rs:3: module issuer imports store \
             (issuer may use: config, error, faults, pki, rules)",
            "src/main.rs:2: module main imports http (main may use: run_cli)",
            "src/newmod.rs:1: module newmod is not in the architecture table: add it to \
             ARCHITECTURE in tests/architecture.rs and to the README's \"Architecture\" section",
        ]
    );
}

/// Every import in `files` (path from the crate root, text) that ARCHITECTURE does not
/// allow, as `src/path.rs:LINE: …` lines in the order of `files`.
fn violations(files: &[(String, String)]) -> Vec<String> {
    let reexports = files
        .iter()
        .find(|(path, _)| path == "src/lib.rs")
        .map(|(_, text)| root_reexports(text))
        .unwrap_or_default();
    let mut unknown_modules = BTreeSet::new();
    let mut found = Vec::new();
    for (path, text) in files {
        let module = module_of(path);
        let (root, may_use) = match module {
            // The crate root declares and re-exports every module.
            "lib" => continue,
            "main" => (
                "jpki_mock",
                ARCHITECTURE.binary_uses.iter().copied().collect(),
            ),
            _ if direct_uses(module).is_none() => {
                if unknown_modules.insert(module) {
                    found.push(format!(
                        "{path}:1: module {module} is not in the architecture table: add it to \
                         ARCHITECTURE in tests/architecture.rs and to the README's \
                         \"Architecture\" section"
                    ));
                }
                continue;
            }
            _ => ("crate", may_use(module)),
        };
        let tokens = code_tokens(text);
        for (line, name) in first_segments(root, &tokens) {
            let used = reexports.get(name).map_or(name, String::as_str);
            if used != module && !may_use.contains(used) {
                found.push(format!(
                    "{path}:{line}: module {module} imports {used} ({module} may use: {})",
                    listed(&may_use)
                ));
            }
        }
    }
    // One line per import, even when a line names the same module twice.
    found.dedup();
    found
}

fn direct_uses(module: &str) -> Option<&'static [&'static str]> {
    ARCHITECTURE
        .uses
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, uses)| *uses)
}

/// What `module` may import: everything reachable through `uses`, plus the shared leaves.
fn may_use(module: &str) -> BTreeSet<&'static str> {
    let mut reached = BTreeSet::new();
    let mut pending = direct_uses(module).unwrap_or_default().to_vec();
    while let Some(next) = pending.pop() {
        if reached.insert(next) {
            pending.extend(direct_uses(next).unwrap_or_default());
        }
    }
    if !ARCHITECTURE.pure.contains(&module) {
        reached.extend(ARCHITECTURE.shared_leaves);
    }
    reached.remove(module);
    reached
}

fn listed(modules: &BTreeSet<&str>) -> String {
    if modules.is_empty() {
        "nothing".into()
    } else {
        Vec::from_iter(modules.iter().copied()).join(", ")
    }
}

/// The top-level module a file belongs to: `src/X.rs` and `src/X/…` are `X`; `lib` is
/// the crate root and `main` the binary.
fn module_of(path: &str) -> &str {
    let in_src = path.strip_prefix("src/").unwrap_or(path);
    match in_src.split_once('/') {
        Some((dir, _)) => dir,
        None => in_src.strip_suffix(".rs").unwrap_or(in_src),
    }
}

/// The names `lib.rs` re-exports, each with its module: after `pub use error::{Error,
/// Result};`, a `crate::Result` is an import of `error`.
fn root_reexports(lib_text: &str) -> BTreeMap<String, String> {
    let tokens = code_tokens(lib_text);
    let mut modules = BTreeMap::new();
    for (k, token) in tokens.iter().enumerate() {
        if token.text != "use" {
            continue;
        }
        let mut names = tokens[k + 1..]
            .iter()
            .take_while(|t| t.text != ";")
            .map(|t| t.text.as_str())
            .filter(|t| is_identifier(t) && !["crate", "self", "super", "as"].contains(t))
            .peekable();
        if let Some(&module) = names.peek() {
            for name in names {
                modules.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    modules
}

/// The first segment of every `root::…` path, with its line: `crate::pki::cert` gives
/// `pki`, and `crate::{a::b, c}` gives `a` and `c`.
fn first_segments<'t>(root: &str, tokens: &'t [Token]) -> Vec<(usize, &'t str)> {
    let mut found = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        if token.text != root || tokens.get(k + 1).is_none_or(|t| t.text != "::") {
            continue;
        }
        match tokens.get(k + 2) {
            Some(t) if t.text == "{" => found.extend(group_heads(&tokens[k + 3..])),
            Some(t) if is_identifier(&t.text) => found.push((t.line, t.text.as_str())),
            _ => {}
        }
    }
    found
}

/// The first segment of each item of a `use` group, from just after its `{`.
fn group_heads(tokens: &[Token]) -> Vec<(usize, &str)> {
    let mut heads = Vec::new();
    let mut depth = 1;
    let mut at_head = true;
    for token in tokens {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => {
                at_head = true;
                continue;
            }
            // `use crate::{self, …}` names the root itself.
            "self" => {}
            text if at_head && is_identifier(text) => heads.push((token.line, text)),
            _ => {}
        }
        at_head = false;
    }
    heads
}

struct Token {
    text: String,
    line: usize,
}

/// The tokens of the code in `text`, without comments, literals and `#[cfg(test)]` items.
fn code_tokens(text: &str) -> Vec<Token> {
    let mut tokens = tokenize(&blank_comments_and_literals(text));
    drop_test_items(&mut tokens);
    tokens
}

/// Identifiers, `::` and single punctuation characters, each with its line.
fn tokenize(code: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut chars = code.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c == '\n' {
            line += 1;
        } else if is_identifier_char(c) {
            let mut end = start + c.len_utf8();
            while let Some((at, next)) = chars.next_if(|&(_, next)| is_identifier_char(next)) {
                end = at + next.len_utf8();
            }
            let text = code[start..end].to_owned();
            tokens.push(Token { text, line });
        } else if c == ':' && chars.next_if(|&(_, next)| next == ':').is_some() {
            tokens.push(Token {
                text: "::".into(),
                line,
            });
        } else if !c.is_whitespace() {
            tokens.push(Token {
                text: c.into(),
                line,
            });
        }
    }
    tokens
}

/// Removes every item marked `#[cfg(test)]`: the unit tests may import anything.
fn drop_test_items(tokens: &mut Vec<Token>) {
    const CFG_TEST: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut k = 0;
    while k < tokens.len() {
        let attribute = tokens[k..]
            .iter()
            .take(CFG_TEST.len())
            .map(|t| t.text.as_str());
        if attribute.eq(CFG_TEST) {
            let end = item_end(tokens, k + CFG_TEST.len());
            tokens.drain(k..end);
        } else {
            k += 1;
        }
    }
}

/// Just past the item that starts at `start`: its `;` or its closing `}` at depth 0
/// (further attributes and signatures nest `()`, `[]` and `{}` on the way).
fn item_end(tokens: &[Token], start: usize) -> usize {
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(start) {
        match token.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" => depth = depth.saturating_sub(1),
            "}" => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            ";" if depth == 0 => return k + 1,
            _ => {}
        }
    }
    tokens.len()
}

/// `text` with comments and string and char literals turned into spaces, newlines kept
/// so that lines stay numbered: a `crate::` in a doc comment or a message is no import.
fn blank_comments_and_literals(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut code = bytes.to_vec();
    let mut i = 0;
    while i < bytes.len() {
        let after_identifier = i > 0 && is_identifier_byte(bytes[i - 1]);
        let end = match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                Some(text[i..].find('\n').map_or(bytes.len(), |at| i + at))
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => Some(block_comment_end(bytes, i)),
            b'"' => Some(string_end(bytes, i + 1)),
            b'\'' => char_literal_end(text, i),
            b'b' | b'c' | b'r' if !after_identifier => raw_string_end(text, i),
            _ => None,
        };
        match end {
            Some(end) => {
                for byte in code[i..end].iter_mut().filter(|byte| **byte != b'\n') {
                    *byte = b' ';
                }
                i = end;
            }
            None => i += 1,
        }
    }
    // Only whole characters were blanked: every range starts and ends at ASCII.
    String::from_utf8(code).expect("blanking keeps UTF-8")
}

/// Just past the block comment opening at `start`; block comments nest.
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < bytes.len() {
        match &bytes[i..i + 2] {
            b"/*" => {
                depth += 1;
                i += 2;
            }
            b"*/" => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Just past the closing quote of a string whose contents start at `from`.
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Just past the char literal opening at `start`, or None for a lifetime or label (`'a`).
fn char_literal_end(text: &str, start: usize) -> Option<usize> {
    let rest = &text[start + 1..];
    if rest.starts_with('\\') {
        // The escaped character may itself be a quote: '\''.
        return rest.get(2..)?.find('\'').map(|at| start + 1 + 2 + at + 1);
    }
    let width = rest.chars().next()?.len_utf8();
    rest[width..]
        .starts_with('\'')
        .then_some(start + 1 + width + 1)
}

/// Just past the raw string (`r"…"`, `r#"…"#`, `br"…"`, `cr"…"`) starting at `start`, or
/// None if none starts there (`b"…"` is left to `string_end`, `r#type` is an identifier).
fn raw_string_end(text: &str, start: usize) -> Option<usize> {
    let after_prefix = &text[start..];
    let after_prefix = after_prefix
        .strip_prefix(['b', 'c'])
        .unwrap_or(after_prefix);
    let after_r = after_prefix.strip_prefix('r')?;
    let hashes = after_r.len() - after_r.trim_start_matches('#').len();
    let contents = after_r[hashes..].strip_prefix('"')?;
    let closing = format!("\"{}", "#".repeat(hashes));
    let contents_start = text.len() - contents.len();
    Some(
        contents
            .find(&closing)
            .map_or(text.len(), |at| contents_start + at + closing.len()),
    )
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Bytes of non-ASCII characters count too: Rust identifiers may contain them.
fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii()
}

/// Every `src/**/*.rs` of this crate as (path from the crate root, text), sorted by path.
fn crate_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let relative = path.strip_prefix(root).expect("found under the crate root");
            (relative.to_string_lossy().replace('\\', "/"), text)
        })
        .collect()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}
