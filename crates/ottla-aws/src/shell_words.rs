//! Splitting a command line into words with POSIX shell quoting, without a shell: what
//! botocore does to `credential_process` (`shlex.split`).
//!
//! - Blanks separate words.
//! - `'…'` is literal.
//! - `"…"` is literal except that `\"` and `\\` stand for `"` and `\`.
//! - Outside quotes, `\x` stands for `x`.
//! - Quotes join with what touches them (`a"b c"d` is one word); `''` is an empty word.
//!
//! No variables, globs, pipes or redirections: those need a shell, and none runs.

/// Why a command line could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// A `'` or `"` is never closed.
    UnclosedQuote(char),
    /// The line ends with a lone `\`.
    TrailingBackslash,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::UnclosedQuote(q) => write!(f, "a {q} quote is never closed"),
            Self::TrailingBackslash => f.write_str("it ends with a lone backslash"),
        }
    }
}

/// The words of `line`.
pub(crate) fn split_words(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word has started (an empty quoted word counts).
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(SplitError::UnclosedQuote('\'')),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(SplitError::UnclosedQuote('"')),
                        },
                        Some(c) => word.push(c),
                        None => return Err(SplitError::UnclosedQuote('"')),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err(SplitError::TrailingBackslash),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<String> {
        split_words(line).unwrap()
    }

    #[test]
    fn like_shlex_split() {
        assert_eq!(
            split("  /usr/bin/creds   --profile dev "),
            ["/usr/bin/creds", "--profile", "dev"]
        );
        assert_eq!(
            split(r#"cmd "two words" 'single $HOME' a"b c"d"#),
            ["cmd", "two words", "single $HOME", "ab cd"]
        );
        assert_eq!(
            split(r#"cmd "q\"uote" "back\\slash" "keep\n""#),
            ["cmd", "q\"uote", "back\\slash", "keep\\n"]
        );
        assert_eq!(split(r"cmd a\ b \'x"), ["cmd", "a b", "'x"]);
        assert_eq!(split("cmd '' \"\""), ["cmd", "", ""]);
        assert_eq!(
            split("C:/Program\\ Files/x.exe"),
            ["C:/Program Files/x.exe"]
        );
        assert!(split("   ").is_empty());
    }

    #[test]
    fn errors() {
        assert_eq!(
            split_words("cmd 'open"),
            Err(SplitError::UnclosedQuote('\''))
        );
        assert_eq!(
            split_words("cmd \"open"),
            Err(SplitError::UnclosedQuote('"'))
        );
        assert_eq!(
            split_words("cmd \"open\\"),
            Err(SplitError::UnclosedQuote('"'))
        );
        assert_eq!(split_words("cmd \\"), Err(SplitError::TrailingBackslash));
        assert_eq!(
            SplitError::UnclosedQuote('\'').to_string(),
            "a ' quote is never closed"
        );
    }
}
