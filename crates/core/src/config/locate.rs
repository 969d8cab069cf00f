//! Maps a dotted key path (`risk.max_drawdown`, `system.symbols[2]`) to its line in YAML text.
//!
//! Semantic checks run on typed values that no longer know where they came from; this walks the
//! block-style text by indentation so every error can still point at the offending line.

/// One path step: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(b) = rest.find('[') {
            if b > 0 {
                out.push(Segment::Key(rest[..b].to_string()));
            }
            rest = &rest[b..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(end) = stripped.find(']') else { break };
                if let Ok(i) = stripped[..end].parse() {
                    out.push(Segment::Index(i));
                }
                rest = &stripped[end + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// A significant piece of a line: a sequence dash or a content start, with its 0-based column.
#[derive(Debug)]
struct Tok<'a> {
    line: usize,
    indent: usize,
    dash: bool,
    text: &'a str,
}

fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let mut indent = raw.len() - trimmed.len();
        let mut rest = trimmed;
        // "- - key: v" yields a dash at each level, then the content.
        while rest == "-" || rest.starts_with("- ") {
            toks.push(Tok {
                line: i + 1,
                indent,
                dash: true,
                text: "-",
            });
            let after = rest[1..].trim_start();
            indent += rest.len() - after.len();
            rest = after;
        }
        if !rest.is_empty() && !rest.starts_with('#') {
            toks.push(Tok {
                line: i + 1,
                indent,
                dash: false,
                text: rest,
            });
        }
    }
    toks
}

/// The key a content token defines, if it is `key:` (plain or quoted).
fn key_of(text: &str) -> Option<&str> {
    let (quoted, body) = match text.chars().next() {
        Some(q @ ('"' | '\'')) => (Some(q), &text[1..]),
        _ => (None, text),
    };
    match quoted {
        Some(q) => {
            let end = body.find(q)?;
            body[end + 1..].starts_with(':').then(|| &body[..end])
        }
        None => {
            let end = body
                .find(": ")
                .or_else(|| body.strip_suffix(':').map(|s| s.len()))?;
            Some(body[..end].trim_end())
        }
    }
}

/// End (exclusive) of the block that belongs to the token at `idx`.
fn block_end(toks: &[Tok<'_>], idx: usize, end: usize) -> usize {
    let me = &toks[idx];
    let mut j = idx + 1;
    while j < end {
        let t = &toks[j];
        // A sequence may sit at the same indent as its parent key.
        let inside = t.indent > me.indent || (!me.dash && t.indent == me.indent && t.dash);
        if !inside {
            break;
        }
        j += 1;
    }
    j
}

/// Line and column (both 1-based) of the deepest part of `path` found in `text`.
/// Returns `None` only when not even the first key is present.
pub fn locate(text: &str, path: &str) -> Option<(usize, usize)> {
    let toks = tokenize(text);
    let segs = parse_path(path);
    let (mut start, mut end) = (0usize, toks.len());
    let mut found: Option<(usize, usize)> = None;
    for seg in &segs {
        if start >= end {
            break;
        }
        let level = toks[start].indent;
        let hit = match seg {
            Segment::Key(k) => (start..end).find(|&i| {
                let t = &toks[i];
                !t.dash && t.indent == level && key_of(t.text) == Some(k.as_str())
            }),
            Segment::Index(n) => (start..end)
                .filter(|&i| toks[i].dash && toks[i].indent == level)
                .nth(*n),
        };
        let Some(i) = hit else { break };
        found = Some((toks[i].line, toks[i].indent + 1));
        let stop = block_end(&toks, i, end);
        start = i + 1;
        end = stop;
        // Content on the same line as a dash ("- key: v") is the first token of the item.
        if matches!(seg, Segment::Index(_)) && start < end && toks[start].line == toks[i].line {
            found = Some((toks[start].line, toks[start].indent + 1));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# comment
system:
  mode: paper   # trailing
  symbols:
  - SPY
  - QQQ
risk:
  max_drawdown: 0.08
  nested:
    - name: a
      value: 1
    - name: b
      value: 2
\"quoted key\": 3
";

    #[test]
    fn finds_keys_indices_and_falls_back_to_the_deepest_match() {
        assert_eq!(locate(DOC, "system"), Some((2, 1)));
        assert_eq!(locate(DOC, "system.mode"), Some((3, 3)));
        // An index points at the item's value, after the dash.
        assert_eq!(locate(DOC, "system.symbols[1]"), Some((6, 5)));
        assert_eq!(locate(DOC, "risk.max_drawdown"), Some((8, 3)));
        assert_eq!(locate(DOC, "risk.nested[1]"), Some((12, 7)));
        assert_eq!(locate(DOC, "risk.nested[1].value"), Some((13, 7)));
        assert_eq!(locate(DOC, "quoted key"), Some((14, 1)));
        // Missing leaf: the parent's line.
        assert_eq!(locate(DOC, "risk.nope"), Some((7, 1)));
        assert_eq!(locate(DOC, "absent"), None);
        // A key of the same name deeper down is not confused with a top-level one.
        assert_eq!(locate(DOC, "mode"), None);
    }

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse_path("a.b[2][3].c"),
            vec![
                Segment::Key("a".into()),
                Segment::Key("b".into()),
                Segment::Index(2),
                Segment::Index(3),
                Segment::Key("c".into()),
            ]
        );
    }
}
