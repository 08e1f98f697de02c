//! Target `aws_profile_files`: the AWS shared `config` and `credentials` files (ottla-aws).
//!
//! Input: byte 0 (mod 3) picks the files: 0 the text is the config file, 1 the credentials
//! file, 2 both (split at the first NUL byte: config, then credentials); the rest is the text
//! (lossy UTF-8). Never panics; when the files parse, every profile listed can be looked up,
//! and its keys and each line of its values are text of the files (trimmed), with the line of
//! origin inside the file. `Debug` of a profile never shows a value.

use ottla_aws::{fuzzing, ProfileFileKind};

/// Parses; `true` if the files were accepted.
pub fn check(data: &[u8]) -> bool {
    let Some((&mode, body)) = data.split_first() else {
        return false;
    };
    let text = String::from_utf8_lossy(body);
    let (config, credentials) = match mode % 3 {
        0 => (Some(text.as_ref()), None),
        1 => (None, Some(text.as_ref())),
        _ => match text.split_once('\0') {
            Some((a, b)) => (Some(a), Some(b)),
            None => (Some(text.as_ref()), Some("")),
        },
    };
    let Ok(files) = fuzzing::profile_files(config, credentials) else {
        return false;
    };
    let names: Vec<&str> = files.profile_names().collect();
    assert_eq!(files.is_empty(), names.is_empty());
    for name in names {
        let profile = files
            .profile(name)
            .unwrap_or_else(|| panic!("listed profile `{name}` cannot be looked up"));
        assert_eq!(profile.name(), name);
        for key in profile.keys() {
            assert!(!key.is_empty() && key == key.trim(), "key `{key}`");
            assert!(text.contains(key), "key `{key}` is not in the files");
            let value = profile.get(key).unwrap_or_default();
            for line in value.lines() {
                assert!(
                    text.contains(line),
                    "value line `{line}` is not in the files"
                );
            }
            // `Debug` lists keys, never values (they include secret keys). What it may show:
            // the name and the keys, quoted and escaped as `Debug` writes them.
            let shown = format!("{name:?} {:?}", profile.keys().collect::<Vec<_>>());
            if value.len() >= 8
                && value.contains(|c: char| c.is_ascii_digit())
                && !shown.contains(value)
            {
                let debug = format!("{profile:?}");
                assert!(!debug.contains(value), "Debug shows a value: {debug}");
            }
            let (kind, line) = profile.origin(key).expect("a listed key has an origin");
            let file = match kind {
                ProfileFileKind::Config => config,
                ProfileFileKind::Credentials => credentials,
            }
            .expect("the origin is a file that was given");
            assert!(line >= 1 && line <= file.lines().count(), "line {line}");
        }
        let _ = files.describe(name);
    }
    true
}
