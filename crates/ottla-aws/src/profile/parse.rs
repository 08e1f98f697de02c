//! The INI dialect of the AWS shared config and credentials files, as the AWS SDKs read it.
//!
//! - A line whose first non-blank character is `#` or `;` is a comment; so is the rest of a
//!   section header line after `]`, and, in a property value, a `#` or `;` that follows
//!   whitespace (`region = eu-west-1 # Ireland`).
//! - `[name]` opens a section; the text inside the brackets is trimmed.
//! - `key = value` defines a property; key and value are trimmed, keys keep their case.
//! - A line indented deeper than the property before it continues that property: if the
//!   property's value is empty the lines are a nested section (`s3 =` /
//!   `  max_concurrent_requests = 20`), otherwise each is appended to the value after a
//!   newline. A line indented no deeper than the previous key (or the first line after a
//!   section header) is a property of its own, as botocore's `configparser` reads it.
//!
//! This module only splits the text into sections and properties; which sections are
//! profiles depends on the file and is decided in `files.rs`.

/// One `[header]` and the properties under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawSection {
    /// The text between the brackets, trimmed.
    pub header: String,
    /// The 1-based line of the header.
    pub line: usize,
    /// The properties in file order.
    pub properties: Vec<RawProperty>,
}

/// One `key = value` and what continues it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawProperty {
    /// The key, as written (trimmed).
    pub key: String,
    /// The value, trimmed, continuation lines joined with `\n`.
    pub value: String,
    /// The 1-based line of the key.
    pub line: usize,
    /// `key = value` lines of a nested section (only when the value on the key's own line
    /// is empty).
    pub nested: Vec<(String, String)>,
}

/// Why a file could not be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParseError {
    /// The 1-based line.
    pub line: usize,
    /// The section the line is in, if any.
    pub section: Option<String>,
    /// What is wrong.
    pub why: String,
}

/// Splits `text` into sections.
pub(crate) fn parse_ini(text: &str) -> Result<Vec<RawSection>, ParseError> {
    let mut sections: Vec<RawSection> = Vec::new();
    // The indentation of the last property's key line.
    let mut key_indent = 0;
    // A leading byte order mark (Notepad writes one) is not part of the first line.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw_line) in text.lines().enumerate() {
        let line_no = index + 1;
        let trimmed = raw_line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let error = |section: Option<&RawSection>, why: String| ParseError {
            line: line_no,
            section: section.map(|s| s.header.clone()),
            why,
        };
        if trimmed.starts_with('[') {
            sections.push(RawSection {
                header: section_header(trimmed).map_err(|why| error(None, why))?,
                line: line_no,
                properties: Vec::new(),
            });
            continue;
        }
        let indent = raw_line.len() - raw_line.trim_start().len();
        let Some(section) = sections.last_mut() else {
            return Err(error(None, "a property before any [section] header".into()));
        };
        match section.properties.last_mut() {
            Some(property) if indent > key_indent => continue_property(property, trimmed),
            _ => {
                let property =
                    property_line(trimmed, line_no).map_err(|why| error(Some(section), why))?;
                section.properties.push(property);
                key_indent = indent;
            }
        }
    }
    Ok(sections)
}

/// `[ profile x ] # comment` → `profile x`.
fn section_header(line: &str) -> Result<String, String> {
    let inner = line.strip_prefix('[').unwrap_or(line);
    let Some((name, rest)) = inner.split_once(']') else {
        return Err(format!("section header `{line}` has no closing `]`"));
    };
    let rest = rest.trim();
    if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')) {
        return Err(format!(
            "unexpected text `{rest}` after the section header (only a comment may follow)"
        ));
    }
    let name = name.trim();
    if name.is_empty() {
        return Err("empty section header `[]`".into());
    }
    Ok(name.to_owned())
}

/// `key = value # comment`.
fn property_line(line: &str, line_no: usize) -> Result<RawProperty, String> {
    let Some((key, value)) = line.split_once('=') else {
        // The line itself is not quoted: a stray line in a credentials file may well be a
        // secret key pasted on its own.
        return Err("expected `key = value`, a `[section]` header or a comment".into());
    };
    let key = key.trim();
    if key.is_empty() {
        return Err("a property with an empty key (a line starting with `=`)".into());
    }
    Ok(RawProperty {
        key: key.to_owned(),
        value: strip_value_comment(value).to_owned(),
        line: line_no,
        nested: Vec::new(),
    })
}

/// An indented line after `property`.
fn continue_property(property: &mut RawProperty, trimmed: &str) {
    if property.value.is_empty() || !property.nested.is_empty() {
        if let Some((key, value)) = trimmed.split_once('=') {
            let key = key.trim();
            if !key.is_empty() {
                property
                    .nested
                    .push((key.to_owned(), strip_value_comment(value).to_owned()));
                return;
            }
        }
    }
    if !property.value.is_empty() {
        property.value.push('\n');
    }
    property.value.push_str(trimmed);
}

/// The value without a trailing comment (`#` or `;` after whitespace), trimmed.
fn strip_value_comment(value: &str) -> &str {
    let mut previous_blank = true;
    for (at, c) in value.char_indices() {
        if (c == '#' || c == ';') && previous_blank {
            return value[..at].trim();
        }
        previous_blank = c.is_whitespace();
    }
    value.trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(section: &RawSection) -> Vec<(&str, &str)> {
        section
            .properties
            .iter()
            .map(|p| (p.key.as_str(), p.value.as_str()))
            .collect()
    }

    #[test]
    fn sections_properties_and_comments() {
        let text = "\u{feff}# leading comment\n\
                    [default]\n\
                    region = eu-west-1 # Ireland\n\
                    ; another comment\n\
                    Output=json\n\
                    \n\
                    [profile dev] ; trailing\n\
                    \tkey_with_tab_before = x\n\
                    \tsame_indent = y\n\
                    url = https://example.com/a#b\n\
                    empty =\n";
        let sections = parse_ini(text).unwrap();
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].header, "default");
        assert_eq!(sections[0].line, 2);
        assert_eq!(
            props(&sections[0]),
            [("region", "eu-west-1"), ("Output", "json")]
        );
        assert_eq!(sections[1].header, "profile dev");
        assert_eq!(
            props(&sections[1]),
            [
                ("key_with_tab_before", "x"),
                ("same_indent", "y"),
                ("url", "https://example.com/a#b"),
                ("empty", "")
            ]
        );
        assert_eq!(sections[1].properties[2].line, 10);
    }

    #[test]
    fn nested_sections_and_continuations() {
        let text = "[profile x]\n\
                    s3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n\
                    note = first\n   second line\n\
                    region = us-east-1\n";
        let sections = parse_ini(text).unwrap();
        let s3 = &sections[0].properties[0];
        assert_eq!(s3.key, "s3");
        assert_eq!(s3.value, "");
        assert_eq!(
            s3.nested,
            [
                ("max_concurrent_requests".to_owned(), "20".to_owned()),
                ("addressing_style".to_owned(), "path".to_owned())
            ]
        );
        assert_eq!(sections[0].properties[1].value, "first\nsecond line");
        assert_eq!(sections[0].properties[2].value, "us-east-1");
    }

    #[test]
    fn malformed_lines_have_line_numbers() {
        let e = parse_ini("[default]\nregion = x\nthis is not a property\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.section.as_deref(), Some("default"));
        assert!(e.why.contains("expected `key = value`"), "{}", e.why);

        let e = parse_ini("region = x\n").unwrap_err();
        assert_eq!((e.line, e.section), (1, None));

        let e = parse_ini("\n[profile x\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.why.contains("no closing `]`"), "{}", e.why);

        let e = parse_ini("[x] junk\n").unwrap_err();
        assert!(e.why.contains("after the section header"), "{}", e.why);

        let e = parse_ini("[x]\n= v\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.why.contains("empty key"), "{}", e.why);

        assert!(parse_ini("[ ]\n").is_err());
    }

    #[test]
    fn value_comments_need_whitespace() {
        assert_eq!(strip_value_comment(" a;b "), "a;b");
        assert_eq!(strip_value_comment(" a ;b "), "a");
        assert_eq!(strip_value_comment("# all comment"), "");
        assert_eq!(strip_value_comment("\ta\t#x"), "a");
    }
}
